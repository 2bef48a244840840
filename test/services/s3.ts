// Starts two real S3 servers with Object Lock on loopback (regions A and B) for the s3 vault tests.
// The server is versitygw, built once by s3.sh into the Stele cache; see docs/test-services.md.
// Each server can be stopped and started again on its own (a region outage), same port and data.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { LOOPBACK, freePort, removeOnExit, startService, unavailable, waitUntil, type Service } from './process.ts';

export interface S3Endpoint {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  accessKey: string;
  secretKey: string;
  /** The S3 region string the server answers for (not our region name 'a'/'b'). */
  region: string;
}

/** One S3 server: its endpoint, and its own stop and start for outage tests. */
export interface S3Server extends S3Endpoint {
  /** Stops this server only, as a region outage; its port and data dir are kept. Idempotent. */
  stop(): Promise<void>;
  /**
   * Starts it again on the same port, data dir and credentials: the same region comes back with
   * everything it held. Resolves once it answers. Idempotent while it runs.
   */
  start(): Promise<void>;
  running(): boolean;
}

export interface S3Pair {
  a: S3Server;
  b: S3Server;
  /** Which server and version answers, e.g. "versitygw v1.8.0" (for known server quirks). */
  server: string;
  /** Stops both servers and removes their data. */
  stop(): Promise<void>;
}

const HERE = dirname(fileURLToPath(import.meta.url));
const BUILD_TIMEOUT_MS = 20 * 60_000;
const READY_TIMEOUT_MS = 30_000;

/** Builds the server if needed and returns its path. */
export async function buildS3Server(): Promise<string> {
  const { stdout } = await promisify(execFile)('bash', [join(HERE, 's3.sh'), 'build'], {
    timeout: BUILD_TIMEOUT_MS,
    maxBuffer: 16 * 1024 * 1024,
  });
  const binary = stdout.trim().split('\n').pop() ?? '';
  if (!binary) throw new Error('s3.sh build printed no path');
  return binary;
}

/**
 * Two S3 servers with Object Lock, each with its own data dir and fresh random credentials.
 * Returns null (after a loud warning) when they cannot be started outside CI; throws in CI.
 */
export async function startS3Pair(): Promise<S3Pair | null> {
  let root: string | undefined;
  const servers: S3Server[] = [];
  try {
    const binary = await buildS3Server();
    root = await mkdtemp(join(tmpdir(), 'stele-s3-'));
    removeOnExit(root);
    for (const name of ['a', 'b']) servers.push(await startOne(binary, join(root, name), `stele-${name}`));
    const dir = root;
    const [a, b] = servers;
    const version = binary.match(/versitygw-(v[\w.-]+)$/)?.[1] ?? 'unknown';
    return {
      a,
      b,
      server: `versitygw ${version}`,
      async stop() {
        await Promise.all(servers.map((s) => s.stop()));
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await Promise.all(servers.map((s) => s.stop()));
    if (root) await rm(root, { recursive: true, force: true });
    return unavailable('S3 test servers (versitygw)', err);
  }
}

/**
 * `s3://KEY:SECRET@host:port/bucket?region=...`, the vault URL of one server (percent-encoded
 * credentials). Both regions as STELE_VAULT: `a=${s3VaultUrl(pair.a, 'stele-a')},b=...`.
 */
export function s3VaultUrl(ep: S3Endpoint, bucket: string): string {
  return `s3://${encodeURIComponent(ep.accessKey)}:${encodeURIComponent(ep.secretKey)}@${new URL(ep.endpoint).host}/${bucket}?region=${ep.region}`;
}

/** STELE_VAULT for a pair: region a on server A, region b on server B, buckets `<prefix>-a|b`. */
export function s3VaultSetting(pair: S3Pair, prefix = 'stele'): string {
  return `a=${s3VaultUrl(pair.a, `${prefix}-a`)},b=${s3VaultUrl(pair.b, `${prefix}-b`)}`;
}

async function startOne(binary: string, dir: string, region: string): Promise<S3Server> {
  await mkdir(join(dir, 'data'), { recursive: true });
  await mkdir(join(dir, 'versions'), { recursive: true });
  // Random per run and passed through the environment, so they are never in a file or in `ps`.
  const accessKey = `STELE${randomBytes(8).toString('hex').toUpperCase()}`;
  const secretKey = randomBytes(30).toString('base64url');
  let starts = 0;
  let service: Service | null = null;
  let endpoint = '';

  /** One process on `port`; resolves when it answers, else stops it and throws with its log. */
  const launch = async (port: number): Promise<void> => {
    const url = `http://${LOOPBACK}:${port}`;
    const svc = startService(
      binary,
      // Object Lock needs versioning, which the posix backend keeps in its own directory.
      ['--port', `${LOOPBACK}:${port}`, '--region', region, '--quiet', 'posix', '--versioning-dir', join(dir, 'versions'), join(dir, 'data')],
      join(dir, `server-${starts++}.log`),
      { env: { ...process.env, ROOT_ACCESS_KEY_ID: accessKey, ROOT_SECRET_ACCESS_KEY: secretKey } },
    );
    try {
      // Any answer from this server (an unsigned request gets 403) means it is serving.
      await waitUntil(
        `versitygw on ${url}`,
        async () => (await fetch(url, { signal: AbortSignal.timeout(1_000) })).headers.get('server') === 'VERSITYGW',
        { timeoutMs: READY_TIMEOUT_MS, alive: svc.alive },
      );
    } catch (err) {
      await svc.stop();
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n${svc.tail()}`, { cause: err });
    }
    service = svc;
    endpoint = url;
  };

  let lastError: unknown;
  // The port is free when asked for but could be taken before the server binds it: retry.
  for (let attempt = 0; attempt < 3 && !endpoint; attempt++) {
    await launch(await freePort()).catch((err: unknown) => {
      lastError = err;
    });
  }
  if (!endpoint) throw lastError;
  const port = Number(new URL(endpoint).port);

  return {
    endpoint,
    accessKey,
    secretKey,
    region,
    running: () => service?.alive() ?? false,
    async stop() {
      const svc = service;
      service = null;
      await svc?.stop();
    },
    async start() {
      if (service?.alive()) return;
      // Same port: the vault's URL names it. Another process taking it during the outage is
      // reported as such rather than retried elsewhere.
      await launch(port).catch((err: Error) => {
        throw new Error(`restarting the S3 server for ${region} on port ${port} (was it taken meanwhile?): ${err.message}`, { cause: err });
      });
    },
  };
}
