// Shared plumbing for the test services: free loopback ports, bounded readiness polling,
// child processes that are stopped on exit, and the CI rule (no service = failure in CI).
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createServer } from 'node:net';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';

/** The only address a test service binds: nothing is reachable from outside the machine. */
export const LOOPBACK = '127.0.0.1';

export const STELE_CACHE_DIR = process.env.STELE_CACHE_DIR ?? `${process.env.HOME ?? '/tmp'}/.cache/stele`;

/** A port the kernel just handed out on loopback. The caller retries if it is taken meanwhile. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, LOOPBACK, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Polls `probe` until it returns true; fails after `timeoutMs` or as soon as `alive()` is false. */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  opts: { timeoutMs: number; alive?: () => boolean; intervalMs?: number },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let delay = opts.intervalMs ?? 50;
  for (;;) {
    if (opts.alive && !opts.alive()) throw new Error(`${what}: the process exited before it was ready`);
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${opts.timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 500);
  }
}

const running = new Set<ChildProcess>();
const tempDirs = new Set<string>();
process.once('exit', () => {
  // A test file that crashes must not leave servers or their data behind.
  for (const child of running) killGroup(child, 'SIGKILL');
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** Removes `dir` when the process exits, however it exits; stop() removes it earlier. */
export function removeOnExit(dir: string): () => void {
  tempDirs.add(dir);
  return () => tempDirs.delete(dir);
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

export interface Service {
  child: ChildProcess;
  logFile: string;
  alive(): boolean;
  /** Last lines of the service's log, for an error message. */
  tail(lines?: number): string;
  /** SIGTERM to the process group, SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts a server in its own process group with stdout and stderr going to `logFile`. */
export function startService(command: string, args: string[], logFile: string, opts: SpawnOptions = {}): Service {
  const fd = openSync(logFile, 'a');
  const child = spawn(command, args, { ...opts, detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  running.add(child);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  exited.then(() => running.delete(child));
  const alive = () => child.exitCode === null && child.signalCode === null && child.pid !== undefined;
  return {
    child,
    logFile,
    alive,
    tail(lines = 20) {
      try {
        return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      } catch {
        return '(no log)';
      }
    },
    async stop(graceMs = 10_000) {
      if (!alive()) return exited;
      killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * What a start function does when its service cannot be had: outside CI the suites that need it
 * skip with a loud warning; in CI (CI=true) that is a failure, so a broken build cannot pass green.
 */
export function unavailable(service: string, err: unknown): null {
  const reason = err instanceof Error ? err.message : String(err);
  if (process.env.CI === 'true') {
    throw new Error(`${service} could not be started (CI=true, so this fails the run): ${reason}`, { cause: err });
  }
  const bar = '!'.repeat(78);
  console.warn(`\n${bar}\n!! ${service} could not be started; the suites that need it are SKIPPED.\n!! ${reason.split('\n').join('\n!! ')}\n!! See docs/test-services.md. In CI (CI=true) this is a failure.\n${bar}\n`);
  return null;
}
