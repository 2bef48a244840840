// Export benchmark: N generated messages, sealed as the vault seals them and indexed in a real
// SQLite index, exported through the discovery service; prints MB/s and RSS sampled during the
// export (at 25/50/75/100% and the peak), which must stay flat as the export grows.
//
//   node --import tsx bench/export.ts [--messages 10000] [--large (100k)] [--split-mb 2048] [--dir /path] [--keep] [--trace (memory every 5%)] [--mbox]
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { silentLogger } from '../core/log.ts';
import { Discovery } from '../discovery/index.ts';
import { createSqliteIndex, type IndexDocument, type SearchIndex } from '../search/index.ts';
import { loadOrCreateKeyring, loadSodium, messageKey } from '../vault/index.ts';
import { seal, unseal } from '../vault/seal.ts';
import { generateMessage } from './corpus.ts';

export interface ExportFigures {
  messages: number;
  /** Native bytes exported (the messages as journaled). */
  nativeBytes: number;
  zipBytes: number;
  parts: number;
  seconds: number;
  nativeMBps: number;
  zipMBps: number;
  /** RSS in MB when 25, 50, 75 and 100% of the messages were written, the peak, and before. */
  rssAtMB: Record<'0' | '25' | '50' | '75' | '100', number>;
  peakRssMB: number;
  /** Where the peak was seen: the share of messages written then (0 = still freezing the selection). */
  peakAtPercent: number;
  /** process.memoryUsage() at each mark, in MB: where the RSS is (V8 heap, or Buffers outside it). */
  memoryAtMB: Record<'0' | '25' | '50' | '75' | '100', { rss: number; heapUsed: number; external: number; arrayBuffers: number }>;
  machine: string;
}

const mb = (n: number) => Math.round((n / 1e6) * 10) / 10;
const header = (raw: string, name: string) => new RegExp(`^${name}: *(.*)$`, 'mi').exec(raw)?.[1]?.trim() ?? '';
const addr = (v: string) => (v.match(/[^\s<>,;"]+@[^\s<>,;"]+/g) ?? []).map((a) => ({ address: a.toLowerCase() }));

/** An index document from the header section and the start of the body (enough for load files). */
function documentOf(raw: Buffer, sha256: string, i: number): IndexDocument {
  const text = raw.subarray(0, 16_384).toString('latin1');
  const split = text.indexOf('\r\n\r\n');
  const head = text.slice(0, split < 0 ? text.length : split);
  const date = new Date(Date.UTC(2020, 0, 1) + i * 60_000).toISOString();
  return {
    id: sha256, sha256, messageId: header(head, 'Message-ID').replace(/[<>]/g, '') || undefined, subject: header(head, 'Subject'),
    from: addr(header(head, 'From')), to: addr(header(head, 'To')), cc: addr(header(head, 'Cc')), bcc: [], envelopeTo: [], date, receivedAt: date,
    size: raw.length, body: text.slice(split + 4, split + 4 + 8_000), attachments: [], category: 'default', retainUntil: '2030-01-01T00:00:00.000Z',
    custodians: ['bench@clinic.example'], holds: [], flags: [],
  };
}

/** Seals every message into a directory (what the vault holds) and indexes it; one at a time. */
async function populate(dir: string, index: SearchIndex, n: number, sealOne: (key: string, raw: Buffer) => Buffer, log: (l: string) => void): Promise<number> {
  let bytes = 0;
  let batch: IndexDocument[] = [];
  for (let i = 0; i < n; i++) {
    const raw = generateMessage(i, 11);
    const sha = createHash('sha256').update(raw).digest('hex');
    await writeFile(join(dir, sha), sealOne(messageKey(sha), raw));
    bytes += raw.length;
    batch.push(documentOf(raw, sha, i));
    if (batch.length === 1000 || i === n - 1) {
      await index.add(batch);
      batch = [];
      log(`  populated ${i + 1}/${n}`);
    }
  }
  return bytes;
}

export async function benchExport(opts: { messages: number; splitBytes?: number; dir?: string; keep?: boolean; trace?: boolean; mbox?: boolean; log?: (line: string) => void }): Promise<ExportFigures> {
  const log = opts.log ?? (() => {});
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'stele-bench-export-')));
  const objects = join(dir, 'objects');
  await mkdir(objects, { recursive: true });
  const sodium = await loadSodium();
  const { keyring } = await loadOrCreateKeyring(join(dir, 'keys'));
  const index = await createSqliteIndex({ path: join(dir, 'index.db') });
  try {
    const nativeBytes = await populate(objects, index, opts.messages, (k, raw) => seal(sodium, keyring, k, raw), log);
    const discovery = new Discovery({
      index, sodium, signing: keyring.signing, dataDir: dir, log: silentLogger, appendLedger: async () => undefined,
      // The vault's read path minus the object store: the sealed object from disk, opened and checked.
      readMessage: async (sha) => unseal(sodium, keyring, messageKey(sha), await readFile(join(objects, sha))),
    });
    try {
      return await measure(discovery, opts, nativeBytes, log);
    } finally {
      await discovery.close();
    }
  } finally {
    await index.close();
    if (!opts.keep) await rm(dir, { recursive: true, force: true });
  }
}

async function measure(discovery: Discovery, opts: { messages: number; splitBytes?: number; trace?: boolean; mbox?: boolean }, nativeBytes: number, log: (l: string) => void): Promise<ExportFigures> {
  global.gc?.();
  const rss = () => process.memoryUsage.rss();
  const breakdown = () => { const m = process.memoryUsage(); return { rss: mb(m.rss), heapUsed: mb(m.heapUsed), external: mb(m.external), arrayBuffers: mb(m.arrayBuffers) }; };
  const rssAt: ExportFigures['rssAtMB'] = { 0: mb(rss()), 25: 0, 50: 0, 75: 0, 100: 0 };
  const memoryAt = { 0: breakdown() } as ExportFigures['memoryAtMB'];
  const matter = await discovery.createMatter({ name: 'bench', description: '', custodians: [] }, 'bench');
  const search = await discovery.saveSearch(matter.id, { name: 'all', query: 'NOT from:nobody@nowhere.example' }, 'bench');
  let peak = rss();
  let peakAt = 0;
  const started = process.hrtime.bigint();
  const exp = discovery.startExport(matter.id, { searchId: search.id, prefix: 'BENCH', startNumber: 1, digits: 7, splitBytes: opts.splitBytes ?? 2 * 1024 ** 3, mbox: opts.mbox ?? false }, 'bench');
  const marks = [25, 50, 75, 100] as const;
  let next = 0;
  let traced = 0;
  // Sampled on a timer while the export runs; a mark is taken the first time progress passes it.
  const timer = setInterval(() => {
    const now = rss();
    const e = discovery.store.export(exp.id);
    if (now > peak) {
      peak = now;
      peakAt = e && e.total ? Math.floor((100 * e.done) / e.total) : 0;
    }
    if (opts.trace && e && e.total > 0 && e.done * 20 >= (traced + 1) * e.total) {
      traced = Math.floor((e.done * 20) / e.total);
      const m = breakdown();
      log(`    ${traced * 5}%  zip ${mb(e.bytes)} MB  rss ${m.rss} heap ${m.heapUsed} external ${m.external} arrayBuffers ${m.arrayBuffers} MB`);
    }
    while (e && next < marks.length && e.total > 0 && e.done * 100 >= marks[next] * e.total) {
      rssAt[marks[next]] = mb(now);
      const m = (memoryAt[marks[next]] = breakdown());
      log(`  ${marks[next]}%  ${e.done}/${e.total}  rss ${m.rss} MB (heap ${m.heapUsed}, external ${m.external}, arrayBuffers ${m.arrayBuffers})`);
      next++;
    }
  }, 50);
  const done = await discovery.waitForExport(exp.id);
  clearInterval(timer);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (done.status !== 'complete') throw new Error(`export failed: ${done.error}`);
  if (!rssAt[100]) rssAt[100] = mb(rss());
  memoryAt[100] ??= breakdown();
  const zipBytes = done.parts.reduce((n, p) => n + p.bytes, 0);
  return {
    messages: opts.messages, nativeBytes, zipBytes, parts: done.parts.length, seconds,
    nativeMBps: nativeBytes / 1e6 / seconds, zipMBps: zipBytes / 1e6 / seconds,
    rssAtMB: rssAt, memoryAtMB: memoryAt, peakRssMB: mb(peak), peakAtPercent: peakAt, machine: `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { messages: { type: 'string' }, large: { type: 'boolean' }, 'split-mb': { type: 'string' }, dir: { type: 'string' }, keep: { type: 'boolean' }, trace: { type: 'boolean' }, mbox: { type: 'boolean' } } });
  const messages = values.large ? 100_000 : Number(values.messages ?? 10_000);
  const f = await benchExport({ messages, splitBytes: values['split-mb'] ? Number(values['split-mb']) * 1024 * 1024 : undefined, dir: values.dir, keep: values.keep, trace: values.trace, mbox: values.mbox, log: (l) => console.log(l) });
  console.log(`exported ${f.messages} messages, ${mb(f.nativeBytes)} MB of natives into ${f.parts} volume(s), ${mb(f.zipBytes)} MB, in ${f.seconds.toFixed(1)} s`);
  console.log(`throughput: ${f.nativeMBps.toFixed(1)} MB/s of natives (${f.zipMBps.toFixed(1)} MB/s of ZIP written)`);
  console.log(`RSS MB: before ${f.rssAtMB[0]}, 25% ${f.rssAtMB[25]}, 50% ${f.rssAtMB[50]}, 75% ${f.rssAtMB[75]}, 100% ${f.rssAtMB[100]}; peak ${f.peakRssMB} (at ${f.peakAtPercent}% written)`);
  console.log(f.machine);
}
