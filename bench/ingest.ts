// Ingest benchmark: journals generated traffic plus the shared corpus over SMTP with many
// parallel connections into a real Stele process, beside a baseline measured in the same run:
// the same bytes hashed and written durably twice (file fsync + directory fsync per region),
// with no parsing, sealing or ledger: the physical limit of this machine's disk.
// --backend scale runs the same Stele on the scale backends instead of the embedded ones: two
// real S3 servers with Object Lock (regions a and b) and a real Elasticsearch node, started by
// the test-service helpers (test/services/) and stopped afterwards.
//
//   node --import tsx bench/ingest.ts [--messages 3000] [--connections 8] [--backend embedded|scale]
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DirSyncer } from '../vault/fs/dir-sync.ts';
import { startElasticsearch } from '../test/services/elasticsearch.ts';
import { s3VaultSetting, startS3Pair } from '../test/services/s3.ts';
import { loadBenchCorpus, sendAll } from './smtp-load.ts';

/** embedded: two fs regions and SQLite (the default); scale: two S3 servers and Elasticsearch. */
export type IngestBackend = 'embedded' | 'scale';

export interface IngestFigures {
  backend: IngestBackend;
  messages: number;
  megabytes: number;
  connections: number;
  baseline: { msgsPerSec: number; mbPerSec: number };
  stele: { msgsPerSec: number; mbPerSec: number; failures: number; indexedMsgsPerSec: number };
  ratio: number;
}

async function runPool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

/** Hash, then create each file durably in two directories: the floor under any archive. */
export async function baseline(messages: Buffer[], connections: number): Promise<{ seconds: number }> {
  const root = await mkdtemp(join(tmpdir(), 'stele-bench-baseline-'));
  const dirs = [join(root, 'a'), join(root, 'b')];
  const { mkdir } = await import('node:fs/promises');
  for (const d of dirs) await mkdir(d);
  const syncer = new DirSyncer();
  const started = process.hrtime.bigint();
  let n = 0;
  await runPool(messages, connections, async (raw) => {
    const name = `${createHash('sha256').update(raw).digest('hex')}-${n++}`;
    await Promise.all(dirs.map(async (dir) => {
      const fh = await open(join(dir, name), 'wx');
      await fh.writeFile(raw);
      await fh.sync();
      await fh.close();
      await syncer.sync(dir);
    }));
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await syncer.close(); // its cached directory handles
  await rm(root, { recursive: true, force: true });
  return { seconds };
}

async function startSteleProcess(dataDir: string, backendEnv: Record<string, string>): Promise<{ child: ChildProcess; smtpPort: number; httpPort: number }> {
  const profile = process.env.BENCH_CPU_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE}`] : [];
  const child = spawn(process.execPath, [...profile, 'bin/stele.mjs', 'serve'], {
    env: { ...process.env, ...backendEnv, STELE_DATA_DIR: dataDir, STELE_HTTP_PORT: '0', STELE_SMTP_PORT: '0', STELE_ADMIN_PASSWORD: 'bench-password-123456', STELE_INGEST_TOKEN: 'bench-token-0123456789abcdefghij', STELE_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [httpPort, smtpPort] = await new Promise<[number, number]>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /HTTP http:\/\/[\d.]+:(\d+)\s+SMTP [\d.]+:(\d+)/.exec(out);
      if (m) resolve([Number(m[1]), Number(m[2])]);
    });
    child.once('exit', (code) => reject(new Error(`stele exited with ${code}`)));
  });
  return { child, smtpPort, httpPort };
}

/** Polls /api/v1/health until the index has caught up with the ledger (or gives up after an hour). */
async function waitIndexed(httpPort: number): Promise<void> {
  const deadline = Date.now() + 3_600_000;
  for (;;) {
    const health = (await (await fetch(`http://127.0.0.1:${httpPort}/api/v1/health`)).json()) as { components: { index: { lag?: number } } };
    if (health.components.index.lag === 0) return;
    if (Date.now() > deadline) throw new Error(`the index did not catch up within an hour (lag ${health.components.index.lag})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The scale backends for one run, fresh (empty buckets, empty index), as STELE_VAULT and
 * STELE_INDEX; stop() ends the servers and removes their data.
 */
async function startScaleBackends(): Promise<{ env: Record<string, string>; stop(): Promise<void> }> {
  const [s3, es] = await Promise.all([startS3Pair(), startElasticsearch({ heap: process.env.STELE_ES_HEAP ?? '2g' })]);
  if (!s3 || !es) {
    await Promise.all([s3?.stop(), es?.stop()]);
    throw new Error('the scale backends could not be started (see the warning above)');
  }
  return {
    env: { STELE_VAULT: s3VaultSetting(s3), STELE_INDEX: es.url },
    stop: async () => void (await Promise.all([s3.stop(), es.stop()])),
  };
}

export async function steleIngest(messages: Buffer[], connections: number, backendEnv: Record<string, string> = {}): Promise<{ seconds: number; indexedSeconds: number; failures: number }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'stele-bench-'));
  const { child, smtpPort, httpPort } = await startSteleProcess(dataDir, backendEnv);
  const started = process.hrtime.bigint();
  const { seconds, failures } = await sendAll(smtpPort, messages, connections, 'archive@stele.example');
  await waitIndexed(httpPort);
  const indexedSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  await rm(dataDir, { recursive: true, force: true });
  return { seconds, indexedSeconds, failures };
}

export async function benchIngest(opts: { messages: number; connections: number; backend?: IngestBackend }): Promise<IngestFigures> {
  const backend = opts.backend ?? 'embedded';
  const corpus = await loadBenchCorpus(opts.messages);
  const bytes = corpus.reduce((s, b) => s + b.length, 0);
  const mb = bytes / 1e6;
  const base = await baseline(corpus, opts.connections);
  // Started before the clock runs and stopped after it stops: their start-up is not ingest time.
  const scale = backend === 'scale' ? await startScaleBackends() : null;
  let run: Awaited<ReturnType<typeof steleIngest>>;
  try {
    run = await steleIngest(corpus, opts.connections, scale?.env);
  } finally {
    await scale?.stop();
  }
  const figures: IngestFigures = {
    backend,
    messages: corpus.length,
    megabytes: mb,
    connections: opts.connections,
    baseline: { msgsPerSec: corpus.length / base.seconds, mbPerSec: mb / base.seconds },
    stele: { msgsPerSec: corpus.length / run.seconds, mbPerSec: mb / run.seconds, failures: run.failures, indexedMsgsPerSec: corpus.length / run.indexedSeconds },
    ratio: base.seconds / run.seconds,
  };
  return figures;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { messages: { type: 'string', default: '3000' }, connections: { type: 'string', default: '8' }, backend: { type: 'string', default: 'embedded' } } });
  if (values.backend !== 'embedded' && values.backend !== 'scale') throw new Error(`--backend must be embedded or scale, not ${values.backend}`);
  const f = await benchIngest({ messages: Number(values.messages), connections: Number(values.connections), backend: values.backend });
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model}, node ${process.version}; load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`backend: ${f.backend === 'scale' ? 'scale (two versitygw S3 servers with Object Lock, Elasticsearch)' : 'embedded (two fs regions, SQLite)'}`);
  console.log(`corpus: ${f.messages} messages, ${f.megabytes.toFixed(1)} MB, ${f.connections} SMTP connections`);
  console.log('| run | messages/s | MB/s |');
  console.log('|---|---:|---:|');
  console.log(`| baseline: hash + 2 durable writes | ${f.baseline.msgsPerSec.toFixed(0)} | ${f.baseline.mbPerSec.toFixed(1)} |`);
  console.log(`| stele over SMTP, acknowledged (${f.stele.failures} failures) | ${f.stele.msgsPerSec.toFixed(0)} | ${f.stele.mbPerSec.toFixed(1)} |`);
  console.log(`| stele over SMTP, acknowledged and indexed | ${f.stele.indexedMsgsPerSec.toFixed(0)} | ${((f.megabytes * f.stele.indexedMsgsPerSec) / f.messages).toFixed(1)} |`);
  console.log(`ratio stele / baseline: ${f.ratio.toFixed(2)}`);
}
