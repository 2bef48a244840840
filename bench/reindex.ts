// Reindex benchmark: fills an archive (two fs regions, ledger, SQLite index) with N generated
// messages through the real pipeline, then times the real `stele reindex` CLI rebuilding the
// index from the vault and the ledger alone (every message read, opened, parsed and added).
//
//   node --import tsx bench/reindex.ts [--messages 5000] [--keep] [--cpu-prof dir]
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { silentLogger } from '../core/log.ts';
import { loadConfig } from '../server/config.ts';
import { createPipeline, openCore } from '../server/stele.ts';
import { generateMessage } from './corpus.ts';

export const BENCH_ENV = {
  STELE_INGEST_TOKEN: 'bench-token-0123456789abcdefghij',
  STELE_ADMIN_PASSWORD: 'bench-password-123456',
  STELE_MFA_REQUIRED_ROLES: 'none',
  STELE_LOG_LEVEL: 'warn',
};

export interface Archive {
  dataDir: string;
  messages: number;
  /** Bytes of the messages as journaled. */
  bytes: number;
  /** Acknowledged per second while filling, in process (no SMTP), index caught up after. */
  fillSeconds: number;
}

/** Journals N generated messages through the pipeline (8 in flight) and waits for the index. */
export async function fillArchive(n: number, opts: { dataDir?: string; seed?: number; log?: (l: string) => void } = {}): Promise<Archive> {
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'stele-bench-archive-')));
  const config = loadConfig({ ...BENCH_ENV, STELE_DATA_DIR: dataDir });
  const core = await openCore(config, silentLogger);
  const ingest = createPipeline(core);
  const started = Date.now();
  let bytes = 0;
  let next = 0;
  try {
    await Promise.all(Array.from({ length: 8 }, async () => {
      for (let i = next++; i < n; i = next++) {
        const raw = generateMessage(i, opts.seed ?? 23);
        bytes += raw.length;
        await ingest.pipeline.ingest({ raw, source: 'import', actor: 'import:bench', envelope: { mailFrom: 'journal@clinic.example', rcptTo: ['archive@stele.example'] } });
        if ((i + 1) % 1000 === 0) opts.log?.(`  archived ${i + 1}/${n}`);
      }
    }));
    await ingest.indexer.caughtUp();
  } finally {
    await ingest.close();
    await core.close();
  }
  return { dataDir, messages: n, bytes, fillSeconds: (Date.now() - started) / 1000 };
}

/** Runs the real CLI against an archive; resolves with its output, or rejects on a non-zero exit. */
export function runStele(args: string[], dataDir: string, nodeArgs: string[] = []): Promise<{ stdout: string; stderr: string; seconds: number }> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, 'bin/stele.mjs', ...args], {
      env: { ...process.env, ...BENCH_ENV, STELE_DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code === 0) resolve({ stdout, stderr, seconds });
      else reject(new Error(`stele ${args.join(' ')} exited with ${code}: ${stderr.slice(-2000)}`));
    });
  });
}

export interface ReindexFigures {
  messages: number;
  /** The command's own figure: the rebuild alone (after opening the archive). */
  seconds: number;
  msgsPerSec: number;
  /** The whole process, start-up included. */
  wallSeconds: number;
  machine: string;
}

export async function benchReindex(archive: Archive, opts: { cpuProfDir?: string } = {}): Promise<ReindexFigures> {
  const nodeArgs = opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : [];
  const r = await runStele(['reindex'], archive.dataDir, nodeArgs);
  const m = /reindexed (\d+) messages in ([\d.]+) s/.exec(r.stdout);
  if (!m) throw new Error(`unexpected reindex output: ${r.stdout}`);
  if (Number(m[1]) !== archive.messages) throw new Error(`reindexed ${m[1]} messages, expected ${archive.messages}`);
  const seconds = Number(m[2]);
  return {
    messages: archive.messages, seconds, msgsPerSec: archive.messages / seconds, wallSeconds: r.seconds,
    machine: `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { messages: { type: 'string', default: '5000' }, keep: { type: 'boolean' }, 'cpu-prof': { type: 'string' } } });
  const archive = await fillArchive(Number(values.messages), { log: (l) => console.log(l) });
  try {
    console.log(`archive: ${archive.messages} messages, ${(archive.bytes / 1e6).toFixed(1)} MB, filled in ${archive.fillSeconds.toFixed(1)} s`);
    const f = await benchReindex(archive, { cpuProfDir: values['cpu-prof'] });
    console.log(`reindex: ${f.msgsPerSec.toFixed(0)} messages/s (${f.seconds.toFixed(1)} s; ${f.wallSeconds.toFixed(1)} s with start-up)`);
    console.log(f.machine);
  } finally {
    if (values.keep) console.log(`kept ${archive.dataDir}`);
    else await rm(archive.dataDir, { recursive: true, force: true });
  }
}
