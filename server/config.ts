// Configuration from environment variables (and an optional JSON file named by STELE_CONFIG),
// validated at start-up: a bad value stops Stele with a message naming the variable.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import { SteleError } from '../core/errors.ts';
import { parseAuthConfig, type AuthConfig } from './auth/auth-config.ts';

/** Exchange Online's largest journaled message is 150 MB; 64 MiB covers on-premise defaults. */
const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

const port = z.coerce.number().int().min(0).max(65535);

const schema = z.object({
  STELE_DATA_DIR: z.string().min(1).default('./data'),
  STELE_HTTP_PORT: port.default(8080),
  STELE_SMTP_PORT: port.default(2525),
  STELE_BIND: z.union([z.ipv4(), z.ipv6(), z.literal('localhost')]).default('127.0.0.1'),
  STELE_VAULT: z.string().optional(),
  STELE_INDEX: z.string().optional(),
  STELE_KEY_DIR: z.string().optional(),
  STELE_ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  STELE_INGEST_TOKEN: z.string().min(24, 'must be at least 24 characters').optional(),
  STELE_SMTP_ALLOW: z.string().default('127.0.0.0/8,::1/128'),
  STELE_TLS_CERT: z.string().optional(),
  STELE_TLS_KEY: z.string().optional(),
  STELE_ALLOW_PLAINTEXT: z.enum(['true', 'false']).default('false'),
  STELE_MAX_MESSAGE_BYTES: z.coerce.number().int().min(1024).default(DEFAULT_MAX_MESSAGE_BYTES),
  STELE_PARSE_WORKERS: z.coerce.number().int().min(1).max(64).default(Math.max(1, availableParallelism())),
  STELE_HOSTNAME: z.string().default('stele.local'),
  STELE_ALERT_INGEST_PER_MINUTE: z.coerce.number().int().min(1).default(6000),
  STELE_DISPOSITION_SCHEDULE: z.string().default('0 2 * * *'),
  STELE_RETENTION_TZ: z.string().default('UTC'),
  STELE_FOUR_EYES: z.enum(['true', 'false']).default('false'),
  STELE_INTERNAL_DOMAINS: z.string().default(''),
  // Slowloris bounds (ingest/http/limits.ts has the why); tests lower them to run fast.
  STELE_HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).default(20_000),
  STELE_HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(300_000),
  STELE_SMTP_MAX_CLIENTS: z.coerce.number().int().min(1).default(200),
  STELE_INGEST_BUFFER_BYTES: z.coerce.number().int().min(1024).optional(),
});

export interface Config {
  dataDir: string;
  httpPort: number;
  smtpPort: number;
  bind: string;
  /** region name -> backend URL, e.g. { a: "fs:./data/vault/a", b: "fs:./data/vault/b" } */
  vault: Record<string, string>;
  index: string;
  keyDir: string;
  adminPassword?: string;
  ingestToken?: string;
  smtpAllow: string[];
  tls?: { certPath: string; keyPath: string };
  allowPlaintext: boolean;
  maxMessageBytes: number;
  parseWorkers: number;
  hostname: string;
  /** Journaled messages per minute above which an "abnormal ingest volume" alert is raised. */
  alertIngestPerMinute: number;
  /** How long a client may take to send request headers, and a whole request (slowloris bounds). */
  httpTimeouts: { headersMs: number; requestMs: number };
  /** Simultaneous SMTP connections; more are answered 421. */
  smtpMaxClients: number;
  /** Bytes all receivers may hold at once (ingest/read-capped.ts); unset: the pipeline's default. */
  ingestBufferBytes?: number;
  retention: { dispositionSchedule: string; timezone: string; fourEyes: boolean; internalDomains: string[] };
  /** Sessions, MFA, password hashing and alert delivery (server/auth/auth-config.ts). */
  auth: AuthConfig;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const fromFile = env.STELE_CONFIG ? readConfigFile(env.STELE_CONFIG) : {};
  const input = { ...fromFile, ...pickStele(env) };
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new SteleError('bad_request', `invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  const dataDir = resolve(c.STELE_DATA_DIR);
  if (!!c.STELE_TLS_CERT !== !!c.STELE_TLS_KEY) {
    throw new SteleError('bad_request', 'invalid configuration:\n  STELE_TLS_CERT and STELE_TLS_KEY go together');
  }
  return {
    dataDir,
    httpPort: c.STELE_HTTP_PORT,
    smtpPort: c.STELE_SMTP_PORT,
    bind: c.STELE_BIND,
    vault: parseVault(c.STELE_VAULT ?? `a=fs:${dataDir}/vault/a,b=fs:${dataDir}/vault/b`),
    index: c.STELE_INDEX ?? `sqlite:${dataDir}/index.db`,
    keyDir: resolve(c.STELE_KEY_DIR ?? `${dataDir}/keys`),
    adminPassword: c.STELE_ADMIN_PASSWORD,
    ingestToken: c.STELE_INGEST_TOKEN,
    smtpAllow: c.STELE_SMTP_ALLOW.split(',').map((s) => s.trim()).filter(Boolean),
    tls: c.STELE_TLS_CERT && c.STELE_TLS_KEY ? { certPath: c.STELE_TLS_CERT, keyPath: c.STELE_TLS_KEY } : undefined,
    allowPlaintext: c.STELE_ALLOW_PLAINTEXT === 'true',
    maxMessageBytes: c.STELE_MAX_MESSAGE_BYTES,
    parseWorkers: c.STELE_PARSE_WORKERS,
    hostname: c.STELE_HOSTNAME,
    alertIngestPerMinute: c.STELE_ALERT_INGEST_PER_MINUTE,
    httpTimeouts: { headersMs: Math.min(c.STELE_HTTP_HEADERS_TIMEOUT_MS, c.STELE_HTTP_REQUEST_TIMEOUT_MS), requestMs: c.STELE_HTTP_REQUEST_TIMEOUT_MS },
    smtpMaxClients: c.STELE_SMTP_MAX_CLIENTS,
    ingestBufferBytes: c.STELE_INGEST_BUFFER_BYTES,
    retention: {
      dispositionSchedule: c.STELE_DISPOSITION_SCHEDULE,
      timezone: c.STELE_RETENTION_TZ,
      fourEyes: c.STELE_FOUR_EYES === 'true',
      internalDomains: c.STELE_INTERNAL_DOMAINS.split(',').map((d) => d.trim().toLowerCase()).filter(Boolean),
    },
    auth: parseAuthConfig(input, { tls: !!(c.STELE_TLS_CERT && c.STELE_TLS_KEY), hostname: c.STELE_HOSTNAME }),
  };
}

/** "a=fs:/x,b=s3://..." -> { a: "fs:/x", b: "s3://..." }; at least two distinct regions. */
function parseVault(spec: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([a-z][a-z0-9-]*)=(.+)$/.exec(part);
    if (!m) throw new SteleError('bad_request', `invalid configuration:\n  STELE_VAULT: expected name=url pairs, got ${JSON.stringify(part)}`);
    out[m[1]] = m[2];
  }
  const urls = Object.values(out);
  if (urls.length < 2 || new Set(urls).size !== urls.length) {
    throw new SteleError('bad_request', 'invalid configuration:\n  STELE_VAULT: needs at least two regions with distinct locations');
  }
  return out;
}

function pickStele(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith('STELE_') && v !== undefined && v !== '')) as Record<string, string>;
}

function readConfigFile(path: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new SteleError('bad_request', `invalid configuration:\n  STELE_CONFIG: cannot read ${path}: ${(err as Error).message}`);
  }
}
