// Starts a real Stele (embedded default: two fs regions, SQLite index) on ephemeral loopback
// ports in a temporary data directory, for tests that talk to it through real sockets.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { after, before } from 'node:test';
import { createLogger, type Logger } from '../core/log.ts';
import type { Clock } from '../core/clock.ts';
import { loadConfig, type Config } from '../server/config.ts';
import { startStele, type RunningStele } from '../server/stele.ts';
import type { Role } from '../server/auth/index.ts';

export { login, enrolTotp, totpCode, send, type SignedInClient } from './auth-client.ts';

export const TEST_TOKEN = 'test-ingest-token-0123456789abcdef';
export const TEST_ADMIN_PASSWORD = 'correct horse battery staple';

export interface TestStele extends RunningStele {
  dataDir: string;
  config: Config;
  logLines: string[];
  httpUrl: string;
  stop(): Promise<void>;
  restart(): Promise<TestStele>;
  /** Resolves once everything on the ledger so far is searchable. */
  caughtUp(): Promise<void>;
  /** Creates a user with these roles; returns the password (generated unless given). */
  createUser(username: string, roles: Role[], password?: string): Promise<string>;
}

export async function startTestStele(opts: { env?: Record<string, string>; dataDir?: string; clock?: Clock } = {}): Promise<TestStele> {
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'stele-test-')));
  const config = loadConfig({
    STELE_DATA_DIR: dataDir,
    STELE_HTTP_PORT: '0',
    STELE_SMTP_PORT: '0',
    STELE_INGEST_TOKEN: TEST_TOKEN,
    STELE_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
    STELE_PARSE_WORKERS: '2',
    // Tests sign in with passwords alone unless they enforce MFA themselves (the default is every role).
    STELE_MFA_REQUIRED_ROLES: 'none',
    ...opts.env,
  });
  const logLines: string[] = [];
  const log: Logger = createLogger({ level: 'debug', write: (l) => logLines.push(l) });
  const running = await startStele(config, log, { clock: opts.clock, bcryptCost: 4 });
  const t: TestStele = {
    ...running,
    dataDir,
    config,
    logLines,
    httpUrl: `http://127.0.0.1:${running.httpPort}`,
    stop: () => running.close(),
    caughtUp: () => running.indexer.caughtUp(),
    createUser: async (username, roles, password) => {
      const made = await running.auth.accounts.create({ username, roles, password });
      return made.generatedPassword ?? password!;
    },
    restart: async () => {
      await running.close();
      return startTestStele({ ...opts, dataDir });
    },
  };
  return t;
}

/**
 * Starts a Stele (with a throw-away certificate when `tls`) before the tests of the enclosing
 * describe() and removes it after them. Returns a getter: the server exists once `before` ran.
 */
export function useTestStele(opts: Parameters<typeof startTestStele>[0] & { tls?: boolean } = {}): () => TestStele {
  let s: TestStele | undefined;
  let certDir: string | undefined;
  before(async () => {
    const cert = opts.tls ? await makeTestCertificate() : undefined;
    certDir = cert?.dir;
    s = await startTestStele({ ...opts, env: { ...opts.env, ...cert?.env } });
  });
  after(async () => {
    if (s) {
      await s.stop();
      await removeDir(s.dataDir);
    }
    if (certDir) await removeDir(certDir);
  });
  return () => s!;
}

/** A throw-away self-signed certificate for localhost (openssl), for TLS tests. */
export async function makeTestCertificate(): Promise<{ dir: string; env: Record<string, string> }> {
  const dir = await mkdtemp(join(tmpdir(), 'stele-cert-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  return { dir, env: { STELE_TLS_CERT: join(dir, 'cert.pem'), STELE_TLS_KEY: join(dir, 'key.pem') } };
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Runs the real `stele` CLI against a data directory. */
export function runCli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/stele.mjs', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** POSTs a raw message to the journal endpoint. */
export async function journalHttp(url: string, raw: Buffer | string, opts: { token?: string | null; rcptTo?: string[] } = {}): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'message/rfc822' };
  const token = opts.token === undefined ? TEST_TOKEN : opts.token;
  if (token) headers.authorization = `Bearer ${token}`;
  if (opts.rcptTo) headers['x-stele-rcpt-to'] = opts.rcptTo.join(',');
  return fetch(`${url}/api/v1/journal`, { method: 'POST', headers, body: typeof raw === 'string' ? raw : new Uint8Array(raw) });
}
