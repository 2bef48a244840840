// Search benchmark: loads N generated archive documents straight into an index adapter (SQLite
// by default; --index es: a real Elasticsearch node, started by test/services/ unless --es-url
// names one), reports the indexing rate, then times a fixed mix of discovery queries
// (p50/p95/p99 per kind and overall) and reports the index size on disk per message. Documents
// are generated as they are loaded, so 1M documents never sit in memory together.
//
//   node --import tsx bench/search.ts [--docs 100000] [--queries 50] [--batch 1000] [--index sqlite|es]
//                                     [--es-url http://127.0.0.1:9200] [--dir /path] [--keep]
import { createHash } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createElasticsearchIndex, createSqliteIndex, parseQuery, type IndexDocument, type SearchIndex, type SearchOptions } from '../search/index.ts';
import { startElasticsearch } from '../test/services/elasticsearch.ts';
import { rng } from './corpus.ts';

export interface LatencyFigures {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  /** Mean hits matched (total), to show how selective the kind is. */
  meanTotal: number;
}

/** sqlite: the embedded adapter (a file); es: the Elasticsearch adapter on a real node. */
export type SearchBackend = 'sqlite' | 'es';

export interface SearchFigures {
  backend: SearchBackend;
  docs: number;
  indexing: { seconds: number; docsPerSec: number; wallSeconds: number; batch: number };
  index: { bytes: number; bytesPerMessage: number };
  /** Milliseconds, per query kind. */
  queries: Record<string, LatencyFigures>;
  overall: LatencyFigures;
  machine: string;
}

/** Documents per add() by default: one SQLite transaction each, as a catching-up indexer batches. */
const DEFAULT_BATCH = 1000;

interface QueryCase {
  kind: string;
  q: string;
  opts: SearchOptions;
}

export interface SearchBenchOptions {
  docs: number;
  /** Timed queries per kind (default 50). */
  queriesPerKind?: number;
  /** Documents per add() (default 1000). */
  batch?: number;
  /** Which adapter (default sqlite). */
  index?: SearchBackend;
  /** es: a node to use (its index `stele-bench-<time>` is deleted afterwards unless keep); default: start one. */
  esUrl?: string;
  /** sqlite: where the index file goes (default: a temporary directory, removed afterwards). */
  dir?: string;
  keep?: boolean;
  seed?: number;
  log?: (line: string) => void;
}

/** Where the bench's index lives, per adapter: how to open it, size it after loading, and clean up. */
interface BenchTarget {
  open(): Promise<SearchIndex>;
  /** After loading: settles the index (SQLite: closed and reopened; ES: refreshed, flushed) and sizes it. */
  settle(index: SearchIndex): Promise<{ index: SearchIndex; bytes: number }>;
  dispose(): Promise<void>;
}

async function sqliteTarget(opts: SearchBenchOptions): Promise<BenchTarget> {
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'stele-bench-search-')));
  const path = join(dir, 'index.db');
  return {
    open: () => createSqliteIndex({ path }),
    async settle(index) {
      await index.close(); // checkpoints the WAL into the file, so its size is the index's size
      const bytes = await fileBytes(path);
      return { index: await createSqliteIndex({ path }), bytes };
    },
    dispose: async () => {
      if (!opts.keep && !opts.dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

async function esTarget(opts: SearchBenchOptions): Promise<BenchTarget> {
  // Give a node the bench starts what compose.yaml gives production (2 GB heap).
  const node = opts.esUrl ? null : await startElasticsearch({ heap: process.env.STELE_ES_HEAP ?? '2g' });
  if (!opts.esUrl && !node) throw new Error('Elasticsearch could not be started (see the warning above)');
  const url = opts.esUrl ?? node!.url;
  const name = `stele-bench-${Date.now()}`;
  const call = async (method: string, path: string) => {
    const res = await fetch(`${url.replace(/\/$/, '')}/${path}`, { method });
    if (!res.ok && res.status !== 404) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<Record<string, any>>;
  };
  return {
    open: () => createElasticsearchIndex({ url, index: name }),
    async settle(index) {
      // Searchable and on disk: what a node serving queries has. Segments are left as merged so
      // far, as they would be under ongoing ingest (no force-merge).
      await call('POST', `${name}/_refresh`);
      await call('POST', `${name}/_flush`);
      const stats = await call('GET', `${name}/_stats/store`);
      return { index, bytes: Number(stats._all?.primaries?.store?.size_in_bytes ?? 0) };
    },
    async dispose() {
      if (node) await node.stop();
      else if (!opts.keep) for (const idx of [name, `${name}-meta`]) await call('DELETE', idx);
    },
  };
}

export async function benchSearch(opts: SearchBenchOptions): Promise<SearchFigures> {
  const log = opts.log ?? (() => {});
  const backend = opts.index ?? 'sqlite';
  const target = backend === 'es' ? await esTarget(opts) : await sqliteTarget(opts);
  try {
    const gen = new DocumentGenerator(opts.seed ?? 1, opts.docs);
    const batch = opts.batch ?? DEFAULT_BATCH;
    const loaded = await target.open();
    const load = await loadDocuments(loaded, gen, opts.docs, batch, log);
    const { index, bytes } = await target.settle(loaded);
    try {
      const cases = await buildCases(index, gen.samples, opts.queriesPerKind ?? 50);
      const { perKind, overall } = await runCases(index, cases, log);
      return {
        backend,
        docs: opts.docs,
        indexing: { ...load, docsPerSec: opts.docs / load.seconds, batch },
        index: { bytes, bytesPerMessage: bytes / opts.docs },
        queries: perKind,
        overall,
        machine: `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`,
      };
    } finally {
      await index.close();
    }
  } finally {
    await target.dispose();
  }
}

async function loadDocuments(index: SearchIndex, gen: DocumentGenerator, n: number, size: number, log: (l: string) => void): Promise<{ seconds: number; wallSeconds: number }> {
  const started = performance.now();
  let inAdd = 0;
  let lastReport = started;
  for (let i = 0; i < n; i += size) {
    const batch: IndexDocument[] = [];
    for (let k = i; k < Math.min(n, i + size); k++) batch.push(gen.document(k));
    const t = performance.now();
    await index.add(batch);
    inAdd += performance.now() - t;
    if (performance.now() - lastReport > 10_000) {
      lastReport = performance.now();
      log(`  loaded ${i + batch.length} of ${n} (${((i + batch.length) / (inAdd / 1000)).toFixed(0)} docs/s in add)`);
    }
  }
  return { seconds: inAdd / 1000, wallSeconds: (performance.now() - started) / 1000 };
}

async function fileBytes(path: string): Promise<number> {
  let total = 0;
  for (const f of [path, `${path}-wal`, `${path}-shm`]) total += await stat(f).then((s) => s.size, () => 0);
  return total;
}

/** The fixed mix: each kind with `per` different parameter values drawn from the loaded data. */
async function buildCases(index: SearchIndex, s: Samples, per: number): Promise<QueryCase[]> {
  const pick = <T>(list: T[], i: number): T => list[(i * 7919) % list.length]!;
  const base: SearchOptions = { limit: 50, sort: 'date_desc', facets: false };
  const cases: QueryCase[] = [];
  for (let i = 0; i < per; i++) {
    const year = 2018 + (i % 8);
    const month = 1 + (i % 12);
    cases.push(
      { kind: 'word', q: pick(s.commonWords, i), opts: base },
      { kind: 'rare word', q: pick(s.rareWords, i), opts: base },
      { kind: 'word, by relevance', q: pick(s.commonWords, i + 3), opts: { ...base, sort: 'relevance' } },
      { kind: 'phrase', q: `"${pick(s.phrases, i)}"`, opts: base },
      { kind: 'from:', q: `from:${pick(s.senders, i)}`, opts: base },
      { kind: 'participant:', q: `participant:${pick(s.recipients, i)}`, opts: base },
      { kind: 'date range', q: `after:${year}-${String(month).padStart(2, '0')} before:${year}-${String(month).padStart(2, '0')}`, opts: base },
      { kind: 'has:attachment', q: `has:attachment ${pick(s.commonWords, i + 11)}`, opts: base },
      { kind: 'combination', q: `from:@${pick(s.domains, i)} (${pick(s.commonWords, i)} OR ${pick(s.commonWords, i + 1)}) after:${year} -subject:re`, opts: base },
      { kind: 'word + facets', q: pick(s.commonWords, i + 5), opts: { ...base, facets: true } },
      { kind: 'everything + facets', q: i % 2 ? `after:${year}` : '', opts: { ...base, facets: true } },
    );
  }
  // Deep pages: a cursor 10,000 hits into a large result (all mail; a common word), found once
  // (walking there costs ten 1000-hit pages), then timed like any page.
  for (const q of ['', s.commonWords[0]!]) {
    let cursor: string | null | undefined;
    for (let page = 0; page < 10; page++) {
      const r = await index.search(parseQuery(q), { limit: 1000, cursor: cursor ?? undefined });
      if (!r.nextCursor) break;
      cursor = r.nextCursor;
    }
    if (cursor) for (let k = 0; k < Math.ceil(per / 2); k++) cases.push({ kind: 'deep cursor page', q, opts: { ...base, cursor } });
  }
  return cases;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]! : 0;
}

function figures(samples: Array<{ ms: number; total: number }>): LatencyFigures {
  const ms = samples.map((x) => x.ms).sort((a, b) => a - b);
  const meanTotal = samples.reduce((n, x) => n + x.total, 0) / Math.max(1, samples.length);
  return { n: ms.length, p50: percentile(ms, 0.5), p95: percentile(ms, 0.95), p99: percentile(ms, 0.99), meanTotal };
}

async function runCases(index: SearchIndex, cases: QueryCase[], log: (l: string) => void) {
  // One unmeasured pass of each kind warms SQLite's page cache, as a running service would have.
  const seen = new Set<string>();
  for (const c of cases) if (!seen.has(c.kind)) (seen.add(c.kind), await index.search(parseQuery(c.q), c.opts));
  const byKind = new Map<string, Array<{ ms: number; total: number }>>();
  for (const c of cases) {
    const t = performance.now();
    const r = await index.search(parseQuery(c.q), c.opts);
    const ms = performance.now() - t;
    if (!byKind.has(c.kind)) byKind.set(c.kind, []);
    byKind.get(c.kind)!.push({ ms, total: r.total });
  }
  const perKind: Record<string, LatencyFigures> = {};
  for (const [kind, list] of byKind) perKind[kind] = figures(list);
  log(`  ran ${cases.length} queries`);
  return { perKind, overall: figures([...byKind.values()].flat()) };
}

// ---------------------------------------------------------------- generated documents

const STOP = 'the of and to a in is that for it as with be on not this are by at from or have an they which you were all there would their we been has when who will more no if out so what up about into than them can only other new some could time these two may then do first any my now such like our over me even most made after also did many before must through back years where much your way well down should because each just those people how too little good very make still own see work long get here between both being under never day same another know while last might us great old year off come since against go came right used take three'.split(' ');
const BUSINESS = 'merger agreement budget invoice contract meeting schedule report quarterly review approval payment account client project deadline proposal draft revision compliance audit policy settlement litigation discovery counsel privileged confidential patient referral claim insurance shipment order pricing forecast revenue margin board dividend acquisition diligence valuation escrow warranty indemnity termination amendment signature renewal vendor supplier logistics inventory warehouse payroll benefits pension hiring interview onboarding training security incident breach password access network server outage maintenance release deployment customer complaint refund discount promotion campaign launch partnership license patent trademark regulator filing disclosure shareholder investor'.split(' ');
const SYLLABLES = 'ka lo mi ne ra to su vi de ba po fe gu ri sa mo ta li ze ho an el or un is ex ul ob in ar'.split(' ');
const FIRST = 'alice bob carol dave erin frank grace heidi ivan judy mallory niaj olivia peggy rupert sybil trent victor walter yvonne zoe amir bea chen dmitri elena farah goran hana ines'.split(' ');
const LAST = 'archer baker carter dixon evans fischer garcia hughes ito jensen kowalski lopez meyer novak okafor patel quinn rossi schmidt tanaka umar varga weber xu yilmaz zimmer'.split(' ');
const TLDS = ['example', 'example.com', 'example.org', 'example.net'];
const VOCABULARY = 30_000;
const PEOPLE = 4_000;
const DOMAINS = 150;
const START_MS = Date.UTC(2018, 0, 1);
const SPAN_MS = Date.UTC(2026, 0, 1) - START_MS;

function pseudoWord(j: number): string {
  let w = '';
  let n = j + SYLLABLES.length; // at least two syllables
  while (n > 0) {
    w += SYLLABLES[n % SYLLABLES.length];
    n = Math.floor(n / SYLLABLES.length);
  }
  return w;
}

/** Cumulative Zipf weights over ranks, for sampling by binary search. */
function zipf(n: number, s: number): Float64Array {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let r = 0; r < n; r++) cdf[r] = sum += 1 / (r + 1) ** s;
  for (let r = 0; r < n; r++) cdf[r]! /= sum;
  return cdf;
}

function sample(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cdf[mid]! < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Values seen in the loaded documents, so every query asks for something that exists. */
export interface Samples {
  commonWords: string[];
  rareWords: string[];
  phrases: string[];
  senders: string[];
  recipients: string[];
  domains: string[];
}

/** Archive-shaped documents: Zipf words, active and quiet senders, threads, attachments with text. */
export class DocumentGenerator {
  readonly words: string[];
  private readonly wordCdf = zipf(VOCABULARY, 1.0);
  private readonly personCdf = zipf(PEOPLE, 0.8);
  private readonly domains: string[];
  readonly samples: Samples;
  private readonly sampleEvery: number;

  constructor(
    private readonly seed: number,
    private readonly docs: number,
  ) {
    this.words = [...STOP, ...BUSINESS];
    for (let j = 0; this.words.length < VOCABULARY; j++) this.words.push(pseudoWord(j));
    const r = rng(seed);
    this.domains = Array.from({ length: DOMAINS }, (_, d) => {
      const name = `${pseudoWord(d * 13 + 7)}.${TLDS[d % TLDS.length]}`;
      return d % 10 === 3 ? `eu.${name}` : name; // some subdomains, for domain: queries
    });
    this.samples = {
      commonWords: BUSINESS.slice(0, 60),
      rareWords: Array.from({ length: 200 }, () => this.words[3000 + Math.floor(r() * 20_000)]!),
      phrases: [], senders: [], recipients: [], domains: [],
    };
    this.sampleEvery = Math.max(1, Math.floor(docs / 400));
  }

  private word(r: () => number): string {
    return this.words[sample(this.wordCdf, r())]!;
  }

  private person(r: () => number): { name: string; address: string } {
    const p = sample(this.personCdf, r());
    const first = FIRST[p % FIRST.length]!;
    const last = LAST[Math.floor(p / FIRST.length) % LAST.length]!;
    const address = `${first}.${last}${p >= FIRST.length * LAST.length ? p : ''}@${this.domains[p % DOMAINS]}`;
    return { name: `${first[0]!.toUpperCase()}${first.slice(1)} ${last[0]!.toUpperCase()}${last.slice(1)}`, address };
  }

  private sentence(r: () => number, n: number): string {
    const w: string[] = [];
    for (let k = 0; k < n; k++) w.push(this.word(r));
    return w.join(' ');
  }

  private subjectOf(i: number): string {
    const r = rng(this.seed * 7 + i * 31 + 1);
    return this.sentence(r, 2 + Math.floor(r() * 6));
  }

  private text(r: () => number, words: number): string {
    const lines: string[] = [];
    for (let n = 0; n < words; ) {
      const len = 6 + Math.floor(r() * 12);
      lines.push(`${this.sentence(r, len)}.`);
      n += len;
    }
    return lines.join(r() < 0.5 ? '\n' : ' ');
  }

  document(i: number): IndexDocument {
    const r = rng(Math.imul(this.seed, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca77));
    const id = createHash('sha256').update(`bench-search-${this.seed}-${i}`).digest('hex');
    const from = this.person(r);
    const to = Array.from({ length: 1 + Math.floor(r() * r() * 4) }, () => this.person(r));
    const cc = r() < 0.25 ? Array.from({ length: 1 + Math.floor(r() * 2) }, () => this.person(r)) : [];
    const bcc = r() < 0.03 ? [this.person(r)] : [];
    const reply = i > 0 && r() < 0.35 ? Math.max(0, i - 1 - Math.floor(r() * 50)) : -1;
    // Archives grow in time order; a month of jitter mixes neighbours.
    const date = START_MS + Math.floor((i / this.docs) * SPAN_MS * 0.97) + Math.floor(r() * 30 * 86_400_000);
    const bodyWords = Math.min(3000, Math.floor(Math.exp(4.3 + r() * 1.4) * (0.6 + r())));
    const body = this.text(r, bodyWords);
    const attachments = this.attachments(r, i);
    const size = 1800 + Math.floor(body.length * 2.3) + attachments.reduce((n, a) => n + a.size, 0);
    const domain = (a: string) => a.slice(a.indexOf('@') + 1);
    if (i % this.sampleEvery === 0) {
      const words = body.split(/[\s.]+/).filter(Boolean);
      const at = Math.floor(r() * Math.max(1, words.length - 2));
      if (words.length > 2) this.samples.phrases.push(words.slice(at, at + 2 + (i % 2)).join(' '));
      this.samples.senders.push(from.address);
      this.samples.recipients.push(to[0]!.address);
      this.samples.domains.push(domain(from.address));
    }
    return {
      id, sha256: id,
      messageId: `<${i}.${this.seed}@bench.example>`,
      ...(reply >= 0 ? { inReplyTo: `<${reply}.${this.seed}@bench.example>`, references: [`<${reply}.${this.seed}@bench.example>`] } : {}),
      subject: reply >= 0 ? `Re: ${this.subjectOf(reply)}` : this.subjectOf(i),
      from: [from], to, cc, bcc,
      envelopeTo: [...to, ...cc, ...bcc].map((p) => p.address),
      date: new Date(date).toISOString(),
      receivedAt: new Date(date + 2000).toISOString(),
      size, body, attachments,
      category: r() < 0.1 ? 'finance-7y' : r() < 0.05 ? 'hr-10y' : 'default-6y',
      retainUntil: new Date(date + 6 * 365 * 86_400_000).toISOString(),
      custodians: [from.address, ...to.map((p) => p.address)],
      holds: r() < 0.01 ? ['acme-v-globex'] : [],
      flags: r() < 0.1 ? ['journal-report'] : [],
    };
  }

  private attachments(r: () => number, i: number): IndexDocument['attachments'] {
    if (r() >= 0.2) return [];
    const n = r() < 0.7 ? 1 : r() < 0.66 ? 2 : 3;
    const kinds = [['pdf', 'application/pdf'], ['docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'], ['xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'], ['jpg', 'image/jpeg']] as const;
    return Array.from({ length: n }, (_, k) => {
      const [ext, contentType] = kinds[Math.floor(r() * kinds.length)]!;
      const textual = ext !== 'jpg' && r() < 0.8;
      return {
        filename: `${this.word(r)}-${this.word(r)}-${i % 100}${k}.${ext}`,
        contentType,
        size: Math.floor(Math.exp(9 + r() * 5)),
        ...(textual ? { text: this.text(r, 150 + Math.floor(r() * 1200)) } : {}),
      };
    });
  }
}

function printFigures(f: SearchFigures): void {
  console.log(`machine: ${f.machine}; load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`index: ${f.backend === 'es' ? 'Elasticsearch adapter (one real node)' : 'SQLite FTS5 adapter'}`);
  console.log(`documents: ${f.docs}; indexing ${f.indexing.docsPerSec.toFixed(0)} docs/s in add() ` +
    `(batches of ${f.indexing.batch}; ${f.indexing.wallSeconds.toFixed(0)} s wall with generation)`);
  console.log(`index on disk: ${(f.index.bytes / 1e6).toFixed(0)} MB, ${(f.index.bytesPerMessage / 1024).toFixed(2)} KiB per message`);
  console.log('| query kind | n | mean hits | p50 ms | p95 ms | p99 ms |');
  console.log('|---|---:|---:|---:|---:|---:|');
  const row = (k: string, x: LatencyFigures) =>
    console.log(`| ${k} | ${x.n} | ${x.meanTotal.toFixed(0)} | ${x.p50.toFixed(1)} | ${x.p95.toFixed(1)} | ${x.p99.toFixed(1)} |`);
  for (const [k, x] of Object.entries(f.queries)) row(k, x);
  row('**overall**', f.overall);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      docs: { type: 'string', default: '100000' }, queries: { type: 'string', default: '50' }, batch: { type: 'string' },
      index: { type: 'string', default: 'sqlite' }, 'es-url': { type: 'string' }, dir: { type: 'string' }, keep: { type: 'boolean' },
    },
  });
  if (values.index !== 'sqlite' && values.index !== 'es') throw new Error(`--index must be sqlite or es, not ${values.index}`);
  const f = await benchSearch({
    docs: Number(values.docs), queriesPerKind: Number(values.queries), batch: values.batch ? Number(values.batch) : undefined,
    index: values.index, esUrl: values['es-url'], dir: values.dir, keep: values.keep,
    log: (l) => process.stderr.write(`${l}\n`),
  });
  printFigures(f);
}
