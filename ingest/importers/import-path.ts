// `importPath`: archives an mbox file, a single message file, or a directory of .eml files and
// Maildir folders, through the same pipeline as journaled mail, resumably.
import { open, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { SteleError } from '../../core/errors.ts';
import type { Logger } from '../../core/log.ts';
import { IngestQueue, type Failure, type ImportCounts, type IngestFn, type Outcome } from './ingest-queue.ts';
import { looksLikeMbox } from './mbox-reader.ts';
import { importMbox, importTree, startMessageFile, zeroCounts, type Session } from './sources.ts';
import { isMaildir } from './tree-walk.ts';

export type ImportFormat = 'mbox' | 'eml' | 'maildir' | 'directory';

/** Four in flight keeps the parse workers and both regions' fsyncs busy without reading far ahead. */
export const DEFAULT_IMPORT_CONCURRENCY = 4;
/** How often progress files are rewritten: a crash costs at most this much re-checking. */
const SAVE_EVERY_MS = 5_000;
const PROGRESS_EVERY_MS = 250;

export interface ImportOptions {
  path: string;
  /** The pipeline's ingest (e.g. `(req) => pipeline.ingest(req)`). */
  ingest: IngestFn;
  /** Who imports, for the ledger: "import:<user>" or "import:cli". */
  actor: string;
  maxMessageBytes: number;
  /** Directory for progress files (`<data dir>/imports`); omit for none. */
  progressDir?: string;
  /** Trust progress files of earlier runs (default true). */
  resume?: boolean;
  concurrency?: number;
  /** For a file: force mbox or single message instead of sniffing its first line. */
  format?: 'mbox' | 'eml';
  /** Aborting stops reading; messages in flight finish and progress is saved. */
  signal?: AbortSignal;
  onProgress?: (p: ImportProgress) => void;
  /** Every message's outcome, with where it came from (path, or path@offset in an mbox). */
  onMessage?: (where: string, outcome: Outcome) => void;
  log?: Logger;
  retryDelaysMs?: number[];
}

export interface ImportProgress extends ImportCounts {
  messages: number;
  bytes: number;
  skipped: number;
  seconds: number;
  /** While an mbox is read: bytes of it read so far, and its size. */
  file?: { path: string; done: number; total: number };
}

export interface ImportSummary extends ImportCounts {
  path: string;
  format: ImportFormat;
  /** Messages handled in this run (imported + duplicates + failed). */
  messages: number;
  bytes: number;
  /** Messages passed over because a progress file proved an earlier run had done them. */
  skipped: number;
  /** Files in a directory that are not mail by name. */
  ignoredFiles: number;
  seconds: number;
  /** Set when the import stopped early: interrupted, or the archive kept refusing writes. */
  stoppedBy?: string;
  failures: Failure[];
}

export async function importPath(opts: ImportOptions): Promise<ImportSummary> {
  const path = resolve(opts.path);
  const started = performance.now();
  const queue = new IngestQueue({
    ingest: opts.ingest, actor: opts.actor, concurrency: opts.concurrency ?? DEFAULT_IMPORT_CONCURRENCY,
    retryDelaysMs: opts.retryDelaysMs, log: opts.log, signal: opts.signal,
    onOutcome: opts.onMessage ? (where, o) => opts.onMessage!(where, o) : undefined,
  });
  const s: Session = {
    queue, maxMessageBytes: opts.maxMessageBytes, progressDir: opts.progressDir, resume: opts.resume ?? true,
    skipped: 0, ignoredFiles: 0, savers: new Set(),
  };
  const format = await detectFormat(path, opts.format);
  const seconds = () => (performance.now() - started) / 1000;
  const progress = (): ImportProgress => ({ ...queue.counts, messages: queue.messages, bytes: queue.bytes, skipped: s.skipped, seconds: seconds(), file: s.position });
  const saver = setInterval(() => s.savers.forEach((save) => void save().catch((err) => opts.log?.warn('import: progress not saved', { err }))), SAVE_EVERY_MS);
  const ticker = opts.onProgress ? setInterval(() => opts.onProgress!(progress()), PROGRESS_EVERY_MS) : undefined;
  try {
    if (format === 'mbox') await importMbox(s, path);
    else if (format === 'eml') await (await startMessageFile(s, path))?.done;
    else await importTree(s, path);
    await queue.idle();
  } finally {
    clearInterval(saver);
    clearInterval(ticker);
  }
  opts.onProgress?.(progress());
  const stoppedBy = queue.fatal ? `the archive refused writes: ${queue.fatal.message}` : opts.signal?.aborted ? 'interrupted' : undefined;
  return {
    path, format, ...zeroCounts(), ...queue.counts, messages: queue.messages, bytes: queue.bytes, skipped: s.skipped,
    ignoredFiles: s.ignoredFiles, seconds: seconds(), failures: queue.failures, ...(stoppedBy ? { stoppedBy } : {}),
  };
}

async function detectFormat(path: string, forced?: 'mbox' | 'eml'): Promise<ImportFormat> {
  const st = await stat(path).catch((err: NodeJS.ErrnoException) => {
    throw new SteleError('bad_request', `cannot import ${path}: ${err.code === 'ENOENT' ? 'no such file or directory' : err.message}`);
  });
  if (st.isDirectory()) return (await isMaildir(path)) ? 'maildir' : 'directory';
  if (!st.isFile()) throw new SteleError('bad_request', `cannot import ${path}: not a file or directory`);
  if (forced) return forced;
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(4096);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    return looksLikeMbox(head.subarray(0, bytesRead)) ? 'mbox' : 'eml';
  } finally {
    await fh.close();
  }
}
