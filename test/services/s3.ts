// Starts two real S3 servers with Object Lock on loopback (regions A and B) for the s3 vault tests.
// The server is versitygw, built once by s3.sh into the Stele cache; see docs/test-services.md.
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

export interface S3Pair {
  a: S3Endpoint;
  b: S3Endpoint;
  /** Which server and version answers, e.g. "versitygw v1.8.0" (for known server quirks). */
  server: string;
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
  const started: Service[] = [];
  try {
    const binary = await buildS3Server();
    root = await mkdtemp(join(tmpdir(), 'stele-s3-'));
    removeOnExit(root);
    const a = await startOne(binary, join(root, 'a'), 'stele-a', started);
    const b = await startOne(binary, join(root, 'b'), 'stele-b', started);
    const dir = root;
    const version = binary.match(/versitygw-(v[\w.-]+)$/)?.[1] ?? 'unknown';
    return {
      a,
      b,
      server: `versitygw ${version}`,
      async stop() {
        await Promise.all(started.map((s) => s.stop()));
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await Promise.all(started.map((s) => s.stop()));
    if (root) await rm(root, { recursive: true, force: true });
    return unavailable('S3 test servers (versitygw)', err);
  }
}

async function startOne(binary: string, dir: string, region: string, started: Service[]): Promise<S3Endpoint> {
  await mkdir(join(dir, 'data'), { recursive: true });
  await mkdir(join(dir, 'versions'), { recursive: true });
  // Random per run and passed through the environment, so they are never in a file or in `ps`.
  const accessKey = `STELE${randomBytes(8).toString('hex').toUpperCase()}`;
  const secretKey = randomBytes(30).toString('base64url');
  let lastError: unknown;
  // The port is free when asked for but could be taken before the server binds it: retry.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const endpoint = `http://${LOOPBACK}:${port}`;
    const service = startService(
      binary,
      // Object Lock needs versioning, which the posix backend keeps in its own directory.
      ['--port', `${LOOPBACK}:${port}`, '--region', region, '--quiet', 'posix', '--versioning-dir', join(dir, 'versions'), join(dir, 'data')],
      join(dir, `server-${attempt}.log`),
      { env: { ...process.env, ROOT_ACCESS_KEY_ID: accessKey, ROOT_SECRET_ACCESS_KEY: secretKey } },
    );
    started.push(service);
    try {
      // Any answer from this server (an unsigned request gets 403) means it is serving.
      await waitUntil(
        `versitygw on ${endpoint}`,
        async () => (await fetch(endpoint, { signal: AbortSignal.timeout(1_000) })).headers.get('server') === 'VERSITYGW',
        { timeoutMs: READY_TIMEOUT_MS, alive: service.alive },
      );
      return { endpoint, accessKey, secretKey, region };
    } catch (err) {
      lastError = new Error(`${err instanceof Error ? err.message : String(err)}\n${service.tail()}`);
      await service.stop();
    }
  }
  throw lastError;
}
