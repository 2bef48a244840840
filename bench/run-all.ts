// Runs every benchmark in one go and writes the figures, each beside its baseline and the ratio,
// with the machine and the date, into bench/RESULTS.md between the run-all markers (the
// hand-written analysis around them stays). `npm run bench` = the default sizes.
//
//   node --import tsx bench/run-all.ts [--quick | --full] [--note "shared machine"] [--only ingest,search,...] [--no-write]
import { readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchExport, type ExportFigures } from './export.ts';
import { benchIngest, type IngestFigures } from './ingest.ts';
import { loadBenchCorpus } from './smtp-load.ts';
import { benchPostfix, postfixUnavailable, POSTFIX_INSTALL_HINT, type PostfixFigures } from './postfix.ts';
import { benchReindex, fillArchive, type ReindexFigures } from './reindex.ts';
import { benchSearch, type SearchFigures } from './search.ts';
import { benchVerify, type VerifyFigures } from './verify.ts';

const RESULTS = join(import.meta.dirname, 'RESULTS.md');
const BEGIN = '<!-- run-all:begin -->';
const END = '<!-- run-all:end -->';
const STEPS = ['ingest', 'postfix', 'search', 'export', 'reindex', 'verify'] as const;
type Step = (typeof STEPS)[number];

interface Sizes {
  label: string;
  ingestMessages: number;
  connections: number;
  searchDocs: number[];
  exportMessages: number;
  archiveMessages: number;
}

const SIZES: Record<'quick' | 'default' | 'full', Sizes> = {
  quick: { label: 'quick (small sizes, a smoke run)', ingestMessages: 300, connections: 8, searchDocs: [5_000], exportMessages: 1_000, archiveMessages: 500 },
  default: { label: 'default', ingestMessages: 3_000, connections: 8, searchDocs: [100_000], exportMessages: 10_000, archiveMessages: 5_000 },
  full: { label: 'full (adds search at 1M)', ingestMessages: 3_000, connections: 8, searchDocs: [100_000, 1_000_000], exportMessages: 10_000, archiveMessages: 5_000 },
};

interface Results {
  ingest?: IngestFigures;
  postfix?: PostfixFigures | string;
  search: SearchFigures[];
  /** add() alone, for the reindex ratio when the search step was left out. */
  addRate?: SearchFigures;
  export?: ExportFigures;
  reindex?: ReindexFigures;
  verify?: VerifyFigures;
  failures: string[];
}

const log = (l: string) => process.stderr.write(`${l}\n`);
const n0 = (x: number) => Math.round(x).toLocaleString('en-US');
const n1 = (x: number) => x.toFixed(1);
const ratio = (x: number, base: number) => (base > 0 ? (x / base).toFixed(2) : '—');
const ms = (x: number) => (x >= 100 ? n0(x) : x.toFixed(1));

async function step<T>(r: Results, name: string, fn: () => Promise<T>): Promise<T | undefined> {
  const started = Date.now();
  log(`== ${name}`);
  try {
    const out = await fn();
    log(`   ${name} done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return out;
  } catch (err) {
    log(`   ${name} FAILED: ${(err as Error).stack ?? err}`);
    r.failures.push(`${name}: ${(err as Error).message.split('\n')[0]}`);
    return undefined;
  }
}

async function runAll(sizes: Sizes, only: Set<Step>): Promise<Results> {
  const r: Results = { search: [], failures: [] };
  if (only.has('ingest')) r.ingest = await step(r, `ingest (${sizes.ingestMessages} generated + corpus, ${sizes.connections} connections)`, () => benchIngest({ messages: sizes.ingestMessages, connections: sizes.connections }));
  if (only.has('postfix')) {
    const why = postfixUnavailable();
    if (why) {
      r.postfix = `${why}; install: \`${POSTFIX_INSTALL_HINT}\``;
      log(`\n!!!!! The Postfix and smtp-sink comparison is SKIPPED: ${why}.\n!!!!! Install Debian's postfix to measure it:\n!!!!!   ${POSTFIX_INSTALL_HINT}\n`);
    } else {
      r.postfix = await step(r, 'postfix and smtp-sink (same corpus, same client)', async () => benchPostfix(await loadBenchCorpus(sizes.ingestMessages), sizes.connections, log));
    }
  }
  if (only.has('search')) {
    for (const docs of sizes.searchDocs) {
      const f = await step(r, `search at ${n0(docs)} documents`, () => benchSearch({ docs, log }));
      if (f) r.search.push(f);
    }
  }
  if (only.has('export')) r.export = await step(r, `export of ${n0(sizes.exportMessages)} messages`, () => benchExport({ messages: sizes.exportMessages, log }));
  if (only.has('reindex') || only.has('verify')) {
    const archive = await step(r, `archive of ${n0(sizes.archiveMessages)} messages for reindex and verify`, () => fillArchive(sizes.archiveMessages, { log }));
    if (archive) {
      try {
        if (only.has('reindex')) r.reindex = await step(r, 'reindex', () => benchReindex(archive));
        // Reindex is compared with add() measured in this run: a small index when search did not run.
        if (r.reindex && !r.search.length) r.addRate = await step(r, 'indexing rate in add() at 5,000 documents', () => benchSearch({ docs: 5_000, queriesPerKind: 1 }));
        if (only.has('verify')) r.verify = await step(r, 'verify', () => benchVerify(archive.dataDir, archive.messages));
      } finally {
        await rm(archive.dataDir, { recursive: true, force: true });
      }
    }
  }
  return r;
}

function ingestRows(r: Results): string[] {
  const f = r.ingest;
  if (!f) return ['| ingest | — | not measured | | |'];
  const rows = [
    `| ingest, acknowledged (${n0(f.messages)} msgs, ${n1(f.megabytes)} MB, ${f.connections} conns, ${f.stele.failures} failures) | msg/s | ${n0(f.stele.msgsPerSec)} | raw hash + 2 durable writes: ${n0(f.baseline.msgsPerSec)} | ${ratio(f.stele.msgsPerSec, f.baseline.msgsPerSec)} |`,
    `| | MB/s | ${n1(f.stele.mbPerSec)} | raw: ${n1(f.baseline.mbPerSec)} | ${ratio(f.stele.mbPerSec, f.baseline.mbPerSec)} |`,
    `| ingest, acknowledged and indexed | msg/s | ${n0(f.stele.indexedMsgsPerSec)} | raw: ${n0(f.baseline.msgsPerSec)} | ${ratio(f.stele.indexedMsgsPerSec, f.baseline.msgsPerSec)} |`,
  ];
  const p = r.postfix;
  if (typeof p === 'string') rows.push(`| ingest vs Postfix | — | **skipped**: ${p} | | |`);
  else if (p) {
    const pfAck = p.messages / p.postfix.seconds;
    const pfMaildir = p.messages / p.postfix.deliveredSeconds;
    const sink = p.messages / p.sink.seconds;
    rows.push(
      `| ingest vs Postfix ${p.postfix.version} (250 after its queue file is fsynced; ${p.postfix.failures} failures) | msg/s | ${n0(f.stele.msgsPerSec)} | Postfix acknowledged: ${n0(pfAck)} (${n1(p.megabytes / p.postfix.seconds)} MB/s) | ${ratio(f.stele.msgsPerSec, pfAck)} |`,
      `| ingest vs Postfix, all in the Maildir (${n0(p.postfix.delivered)} delivered) | msg/s | ${n0(f.stele.indexedMsgsPerSec)} (acked + indexed) | Postfix in Maildir: ${n0(pfMaildir)} | ${ratio(f.stele.indexedMsgsPerSec, pfMaildir)} |`,
      `| ingest vs smtp-sink (protocol ceiling; ${p.sink.failures} failures) | msg/s | ${n0(f.stele.msgsPerSec)} | smtp-sink: ${n0(sink)} (${n1(p.megabytes / p.sink.seconds)} MB/s) | ${ratio(f.stele.msgsPerSec, sink)} |`,
    );
    if (p.messages !== f.messages) rows.push(`| (corpus sizes differ: Stele ${f.messages}, Postfix ${p.messages}) | | | | |`);
  }
  return rows;
}

function otherRows(r: Results): string[] {
  const rows: string[] = [];
  for (const s of r.search) {
    rows.push(
      `| search at ${n0(s.docs)} docs, all query kinds | p50 / p95 / p99 ms | ${ms(s.overall.p50)} / ${ms(s.overall.p95)} / ${ms(s.overall.p99)} | — | |`,
      `| indexing at ${n0(s.docs)} docs (SQLite FTS5, batches of ${s.indexing.batch}) | docs/s in add() | ${n0(s.indexing.docsPerSec)} | — | |`,
    );
  }
  const e = r.export;
  if (e) rows.push(`| export of ${n0(e.messages)} msgs (${n1(e.nativeBytes / 1e6)} MB natives, ${e.parts} volume(s)) | MB/s; peak RSS | ${n1(e.nativeMBps)} MB/s; ${n0(e.peakRssMB)} MB (at ${e.peakAtPercent}%) | — | |`);
  const addFigures = r.search[0] ?? r.addRate;
  const add = addFigures?.indexing.docsPerSec;
  const x = r.reindex;
  const addLabel = add ? `indexing rate in add() at ${n0(addFigures!.docs)} docs: ${n0(add)}` : 'indexing rate in add(): not measured';
  if (x) rows.push(`| reindex of ${n0(x.messages)} msgs from the vault (\`stele reindex\`) | msg/s | ${n0(x.msgsPerSec)} | ${addLabel} | ${add ? ratio(x.msgsPerSec, add) : '—'} |`);
  const v = r.verify;
  if (v) rows.push(`| verify of ${n0(v.messages)} msgs, ${n0(v.objects)} copies (\`stele verify\`) | MB/s | ${n1(v.mbPerSec)} | sequential read + sha256 of the same files: ${n1(v.baseline.mbPerSec)} | ${v.ratio.toFixed(2)} |`);
  return rows;
}

function table(r: Results, sizes: Sizes, machine: { start: number[]; end: number[]; note?: string; date: string; seconds: number }): string {
  const cpu = cpus();
  const la = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
  return [
    BEGIN,
    '## Latest `npm run bench` (written by bench/run-all.ts)',
    '',
    `- Date: ${machine.date}; run: ${sizes.label}; ${Math.round(machine.seconds / 60)} min in all.`,
    `- Machine: ${cpu.length} x ${cpu[0]?.model ?? 'cpu'}, ${n1(totalmem() / 2 ** 30)} GiB, Linux ${release()}, Node ${process.version}.`,
    `- Load average (1/5/15 min): ${la(machine.start)} at the start, ${la(machine.end)} at the end.${machine.note ? ` Note: ${machine.note}.` : ''}`,
    '- How to run: `npm run bench` (default sizes), `npm run bench -- --quick` (about a minute), `npm run bench -- --full` (adds search at 1M, ' +
      'about 20 min more); `--only ingest,postfix,search,export,reindex,verify` runs some. The Postfix and smtp-sink comparison needs Debian\'s ' +
      '`postfix` package and root (a private instance in a temporary directory on a free loopback port; nothing on port 25).',
    '',
    '| figure | unit | Stele | baseline | ratio |',
    '|---|---|---:|---|---:|',
    ...ingestRows(r),
    ...otherRows(r),
    '',
    r.failures.length ? `Failed steps: ${r.failures.join('; ')}` : 'Every step completed.',
    END,
  ].join('\n');
}

/** Replaces the marked section, or puts one under the title when the file has none yet. */
export async function writeResults(section: string): Promise<void> {
  const text = await readFile(RESULTS, 'utf8').catch(() => '# Benchmark results\n');
  const begin = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  let out: string;
  if (begin >= 0 && end > begin) out = text.slice(0, begin) + section + text.slice(end + END.length);
  else {
    const title = /^# .*\n/.exec(text);
    const at = title ? title[0].length : 0;
    out = `${text.slice(0, at)}\n${section}\n${text.slice(at)}`;
  }
  await writeFile(RESULTS, out);
}

const { values } = parseArgs({
  options: { quick: { type: 'boolean' }, full: { type: 'boolean' }, note: { type: 'string' }, only: { type: 'string' }, 'no-write': { type: 'boolean' } },
});
const sizes = SIZES[values.quick ? 'quick' : values.full ? 'full' : 'default'];
const only = new Set<Step>(values.only ? (values.only.split(',').map((x) => x.trim()) as Step[]) : STEPS);
for (const s of only) if (!STEPS.includes(s)) throw new Error(`unknown step ${s}; steps: ${STEPS.join(', ')}`);
const started = Date.now();
const start = loadavg();
const results = await runAll(sizes, only);
const section = table(results, sizes, { start, end: loadavg(), note: values.note, date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC', seconds: (Date.now() - started) / 1000 });
console.log(section);
if (!values['no-write']) {
  await writeResults(section);
  log(`written to ${RESULTS}`);
}
process.exitCode = results.failures.length ? 1 : 0;
