// Runs one export: freezes the selection, then streams every native, its text and its load-file
// rows into split ZIP volumes; ends with custody.txt, manifest.json and its Ed25519 signature.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import type { Clock } from '../core/clock.ts';
import { SteleError } from '../core/errors.ts';
import { parseQuery, type SearchIndex } from '../search/index.ts';
import type { LedgerEvent, Sodium } from '../vault/index.ts';
import { csvHeader, csvLine, datHeader, datLine, extractedText, loadRow, rowValues } from './load-file.ts';
import { CUSTODY_NAME, MANIFEST_FORMAT, MANIFEST_NAME, SIGNATURE_NAME, signManifest, type ManifestFile } from './manifest.ts';
import { custodyReport } from './custody.ts';
import { MboxWriter } from './mbox.ts';
import { controlNumber, EVENTS, type ExportRecord, type ExportOptions, type Matter } from './model.ts';
import type { DiscoveryStore } from './sqlite/store.ts';
import { hashFile, ZipParts } from './zip-parts.ts';

export interface ExportJobDeps {
  store: DiscoveryStore;
  index: SearchIndex;
  /** The message's bytes exactly as journaled (Vault.getOpened(messageKey(sha256))). */
  readMessage(sha256: string): Promise<Buffer>;
  appendLedger(event: LedgerEvent): Promise<unknown>;
  sodium: Sodium;
  signing: { publicKey: Uint8Array; secretKey: Uint8Array };
  exportDir: string;
  clock: Clock;
  /** Named in custody.txt (the archive's host name). */
  archiveName: string;
}

const PAGE = 500;
const PROGRESS_EVERY = 100;

/** Appends text to a file, waiting on the stream when its buffer is full. */
class TextSink {
  private readonly s: WriteStream;
  private failure: unknown = null;
  constructor(readonly path: string) {
    this.s = createWriteStream(path, { flags: 'wx' });
    this.s.on('error', (e) => (this.failure ??= e));
  }
  async write(text: string): Promise<void> {
    if (this.failure) throw this.failure;
    if (!this.s.write(text)) await once(this.s, 'drain');
  }
  async close(): Promise<void> {
    await new Promise<void>((resolve, reject) => this.s.end((err?: Error | null) => (err ? reject(err) : resolve())));
    if (this.failure) throw this.failure;
  }
}

/** Pages through a saved search's hits, oldest first, into the export's frozen selection. */
async function freezeSearch(deps: ExportJobDeps, exportId: string, query: string): Promise<void> {
  const ast = parseQuery(query);
  let cursor: string | undefined;
  do {
    const page = await deps.index.search(ast, { sort: 'date_asc', limit: 1000, cursor });
    deps.store.addItems(exportId, page.hits.map((h) => h.id));
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
}

export async function runExport(deps: ExportJobDeps, exportId: string): Promise<void> {
  const exp = deps.store.export(exportId);
  if (!exp) throw new SteleError('not_found', `no export ${exportId}`);
  const matter = deps.store.matter(exp.matterId)!;
  const dir = join(deps.exportDir, exp.id);
  let zip: ZipParts | null = null;
  try {
    deps.store.setExport(exp.id, { status: 'running' });
    if (exp.source.kind === 'search') await freezeSearch(deps, exp.id, exp.source.query);
    const total = deps.store.itemCount(exp.id);
    if (total === 0) throw new SteleError('bad_request', 'the selection is empty: nothing to export');
    deps.store.setExport(exp.id, { total });
    await rm(dir, { recursive: true, force: true }); // leftovers of an interrupted run
    await mkdir(join(dir, '.work'), { recursive: true });
    zip = new ZipParts(dir, exp.id, exp.options.splitBytes, deps.clock.now());
    await writeExport(deps, exp, matter, dir, zip);
  } catch (err) {
    zip?.abort();
    await rm(dir, { recursive: true, force: true });
    const message = err instanceof Error ? err.message : String(err);
    deps.store.setExport(exp.id, { status: 'failed', error: message, finishedAt: deps.clock.now().toISOString() });
    await deps.appendLedger({ type: EVENTS.exportFailed, actor: exp.requestedBy, subject: exp.id, data: { matter: exp.matterId, error: message } });
    throw err;
  }
}

async function writeExport(deps: ExportJobDeps, exp: ExportRecord & { options: ExportOptions }, matter: Matter, dir: string, zip: ZipParts): Promise<void> {
  const work = join(dir, '.work');
  const dat = new TextSink(join(work, 'load.dat'));
  const csv = new TextSink(join(work, 'load.csv'));
  const files = new TextSink(join(work, 'files.json'));
  const listed: { n: number } = { n: 0 };
  const list = async (f: ManifestFile) => files.write(`${listed.n++ ? ',\n' : ''}    ${JSON.stringify(f)}`);
  await dat.write(datHeader());
  await csv.write(csvHeader());
  const mbox = exp.options.mbox ? new MboxWriter(join(work, 'natives.mbox')) : null;
  const { prefix, digits, startNumber } = exp.options;
  let number = startNumber - 1;
  for (let after = 0, page = deps.store.items(exp.id, 0, PAGE); page.length; after = page[page.length - 1].seq, page = deps.store.items(exp.id, after, PAGE)) {
    for (const item of page) {
      const control = controlNumber(prefix, ++number, digits);
      const { row, raw, doc } = await addMessage(deps, zip, item.sha256, control, list);
      await mbox?.add(raw, doc?.from[0]?.address, new Date(doc?.receivedAt ?? 0));
      await dat.write(datLine(rowValues(row)));
      await csv.write(csvLine(rowValues(row)));
      const done = number - startNumber + 1;
      if (done % PROGRESS_EVERY === 0) deps.store.setExport(exp.id, { done, bytes: zip.bytes() });
    }
  }
  const count = number - startNumber + 1;
  deps.store.setExport(exp.id, { done: count, bytes: zip.bytes() });
  await dat.close();
  await csv.close();
  await mbox?.close();
  await closeExport(deps, { exp, matter, dir, zip, dat: dat.path, csv: csv.path, mbox: mbox?.path ?? null, files, list, lastNumber: number });
}

/** Load files, custody report, the manifest and its signature; then the volumes are final. */
async function closeExport(deps: ExportJobDeps, c: {
  exp: ExportRecord & { options: ExportOptions }; matter: Matter; dir: string; zip: ZipParts; dat: string; csv: string; mbox: string | null;
  files: TextSink; list: (f: ManifestFile) => Promise<void>; lastNumber: number;
}): Promise<void> {
  const { exp, matter, zip, list } = c;
  const { prefix, digits, startNumber } = exp.options;
  const number = c.lastNumber;
  const count = number - startNumber + 1;
  const work = join(c.dir, '.work');
  const loadName = `${prefix}_${exp.id}`;
  await addFile(zip, `DATA/${loadName}.dat`, c.dat, list);
  await addFile(zip, `DATA/${loadName}.csv`, c.csv, list);
  const mboxPath = `MBOX/${loadName}.mbox`;
  if (c.mbox) await addFile(zip, mboxPath, c.mbox, list, { store: true });
  const completedAt = deps.clock.now().toISOString();
  const first = controlNumber(prefix, startNumber, digits);
  const last = controlNumber(prefix, number, digits);
  const publicKey = Buffer.from(deps.signing.publicKey).toString('base64');
  const partNames = zip.parts.map((p) => p.name); // volumes so far; a final one may follow below
  const custody = Buffer.from(custodyReport({ exp, matter, completedAt, count, first, last, parts: partNames, publicKey, archive: deps.archiveName, mbox: c.mbox ? mboxPath : null }));
  await list({ path: CUSTODY_NAME, part: await zip.add(CUSTODY_NAME, custody, custody.length), bytes: custody.length, sha256: sha256(custody) });
  await c.files.close();
  const manifestPath = join(work, MANIFEST_NAME);
  await writeManifest(manifestPath, c.files.path, {
    format: MANIFEST_FORMAT, exportId: exp.id, matter: { id: matter.id, name: matter.name },
    source: exp.source.kind === 'search' ? exp.source : { kind: 'selection' },
    exportedBy: exp.requestedBy, requestedAt: exp.requestedAt, completedAt,
    controlNumbers: { first, last, count }, publicKey,
  });
  const manifestSha = await hashFile(manifestPath);
  const size = (await stat(manifestPath)).size;
  await zip.add(MANIFEST_NAME, () => createReadStream(manifestPath), size);
  const sig = Buffer.from(JSON.stringify(signManifest(deps.sodium, deps.signing, manifestSha), null, 2) + '\n');
  await zip.add(SIGNATURE_NAME, sig, sig.length, { keepVolume: true });
  const parts = await zip.finish();
  await rm(work, { recursive: true, force: true });
  deps.store.setExport(exp.id, { status: 'complete', lastNumber: number, parts, manifestSha256: manifestSha, bytes: parts.reduce((n, p) => n + p.bytes, 0), finishedAt: deps.clock.now().toISOString() });
  await deps.appendLedger({
    type: EVENTS.exportCompleted, actor: exp.requestedBy, subject: exp.id,
    data: { matter: matter.id, documents: count, first, last, manifestSha256: manifestSha, parts },
  });
}

/** One message: its native exactly as journaled (hash checked against its id) and its text. */
async function addMessage(deps: ExportJobDeps, zip: ZipParts, id: string, control: string, list: (f: ManifestFile) => Promise<void>) {
  const raw = await deps.readMessage(id);
  const sha = sha256(raw);
  if (sha !== id) throw new SteleError('integrity', `message ${id} read back with SHA-256 ${sha}: export stopped`);
  const md5 = createHash('md5').update(raw).digest('hex');
  const doc = await deps.index.get(id);
  const nativePath = `NATIVES/${control}.eml`;
  const textPath = `TEXT/${control}.txt`;
  await list({ path: nativePath, part: await zip.add(nativePath, raw, raw.length, { store: true }), bytes: raw.length, sha256: sha });
  const text = Buffer.from(extractedText(doc));
  await list({ path: textPath, part: await zip.add(textPath, text, text.length), bytes: text.length, sha256: sha256(text) });
  return { row: loadRow({ control, doc, sha256: sha, md5, nativePath, textPath }), raw, doc };
}

async function addFile(zip: ZipParts, path: string, from: string, list: (f: ManifestFile) => Promise<void>, opts: { store?: boolean } = {}): Promise<void> {
  const { size } = await stat(from);
  const digest = await hashFile(from);
  await list({ path, part: await zip.add(path, () => createReadStream(from), size, opts), bytes: size, sha256: digest });
}

/** manifest.json: the header fields, then the file list streamed from disk (it can be large). */
async function writeManifest(path: string, filesPath: string, header: Record<string, unknown>): Promise<void> {
  const out = new TextSink(path);
  const head = JSON.stringify(header, null, 2);
  await out.write(`${head.slice(0, -2)},\n  "files": [\n`);
  for await (const chunk of createReadStream(filesPath, { encoding: 'utf8' })) await out.write(chunk as string);
  await out.write('\n  ]\n}\n');
  await out.close();
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
