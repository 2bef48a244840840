// Verify benchmark: times the real `stele verify` over an archive of N messages (every object in
// both regions read, opened and hashed; the ledger chain and checkpoints proved), beside the
// floor under it: the same object files read sequentially and SHA-256 hashed, nothing else.
//
//   node --import tsx bench/verify.ts [--messages 5000] [--dir existing-data-dir] [--cpu-prof dir]
import { createHash } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { fillArchive, runStele } from './reindex.ts';

export interface VerifyFigures {
  messages: number;
  objects: number;
  /** Sealed bytes verify read (both regions). */
  bytes: number;
  seconds: number;
  mbPerSec: number;
  baseline: { files: number; bytes: number; seconds: number; mbPerSec: number };
  ratio: number;
}

async function* objectFiles(dir: string): AsyncGenerator<string> {
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, e.name);
    if (e.isDirectory()) yield* objectFiles(path);
    else yield path;
  }
}

/** Reads every message object of both fs regions in turn and hashes it: the floor under verify. */
export async function readAndHash(dataDir: string): Promise<VerifyFigures['baseline']> {
  let files = 0;
  let bytes = 0;
  const started = process.hrtime.bigint();
  for (const region of ['a', 'b']) {
    for await (const path of objectFiles(join(dataDir, 'vault', region, 'objects', 'messages'))) {
      const file = await readFile(path);
      createHash('sha256').update(file).digest();
      files++;
      bytes += file.length;
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { files, bytes, seconds, mbPerSec: bytes / 1e6 / seconds };
}

export async function benchVerify(dataDir: string, messages: number, opts: { cpuProfDir?: string } = {}): Promise<VerifyFigures> {
  // The baseline first: it also brings the files into the page cache, so both read warm.
  const baseline = await readAndHash(dataDir);
  const nodeArgs = opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : [];
  const r = await runStele(['verify', '--json'], dataDir, nodeArgs);
  const report = JSON.parse(r.stdout) as { ok: boolean; objects: number; bytes: number; seconds: number; findings: unknown[] };
  if (!report.ok) throw new Error(`verify found problems: ${JSON.stringify(report.findings).slice(0, 500)}`);
  const mbPerSec = report.bytes / 1e6 / report.seconds;
  return { messages, objects: report.objects, bytes: report.bytes, seconds: report.seconds, mbPerSec, baseline, ratio: mbPerSec / baseline.mbPerSec };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { messages: { type: 'string', default: '5000' }, dir: { type: 'string' }, 'cpu-prof': { type: 'string' } } });
  const archive = values.dir ? null : await fillArchive(Number(values.messages), { log: (l) => console.log(l) });
  const dataDir = values.dir ?? archive!.dataDir;
  try {
    const f = await benchVerify(dataDir, archive?.messages ?? 0, { cpuProfDir: values['cpu-prof'] });
    console.log(`verify: ${f.objects} object copies, ${(f.bytes / 1e6).toFixed(1)} MB in ${f.seconds.toFixed(1)} s = ${f.mbPerSec.toFixed(1)} MB/s`);
    console.log(`baseline read + sha256: ${f.baseline.files} files, ${(f.baseline.bytes / 1e6).toFixed(1)} MB in ${f.baseline.seconds.toFixed(1)} s = ${f.baseline.mbPerSec.toFixed(1)} MB/s`);
    console.log(`ratio: ${f.ratio.toFixed(2)}`);
  } finally {
    if (archive) await rm(archive.dataDir, { recursive: true, force: true });
  }
}
