// The three kinds of import source (an mbox, a directory tree or Maildir, a single message file),
// each feeding the shared IngestQueue and keeping its own resume point in a progress file.
import { createHash, type Hash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { Checkpoints, type ImportCounts, type IngestQueue, type Outcome } from './ingest-queue.ts';
import { readMbox } from './mbox-reader.ts';
import { PrefixHasher, loadProgress, progressFileFor, saveProgress, treeLine, type TreeProgress } from './progress-file.ts';
import { compareRel, walkTree } from './tree-walk.ts';

export interface Session {
  queue: IngestQueue;
  maxMessageBytes: number;
  /** Where progress files go (`<data dir>/imports`); none: no resuming shortcut. */
  progressDir?: string;
  /** Use progress files of earlier runs (false: go through everything again). */
  resume: boolean;
  /** Messages passed over because a progress file proved them done. */
  skipped: number;
  ignoredFiles: number;
  /** The mbox being read, for a percentage. */
  position?: { path: string; done: number; total: number };
  /** Savers of the sources in progress, called periodically and at the end. */
  savers: Set<() => Promise<void>>;
}

export interface SourceResult {
  /** Every message was reached and none is left to retry. */
  complete: boolean;
  messages: number;
  counts: ImportCounts;
}

export const zeroCounts = (): ImportCounts => ({ imported: 0, duplicates: 0, failed: 0 });

function tally(c: ImportCounts, o: Outcome): void {
  if (o.kind === 'imported') c.imported++;
  else if (o.kind === 'duplicate') c.duplicates++;
  else c.failed++;
}

const passable = (o: Outcome) => o.kind !== 'failed' || !!o.permanent;

export function stopped(s: Session): boolean {
  return s.queue.stopped;
}

/** Runs `fn` one call at a time: saves read the file in order and rename one temp file. */
function serialized(fn: () => Promise<void>): () => Promise<void> {
  let chain: Promise<void> = Promise.resolve();
  return () => (chain = chain.then(fn, fn));
}

/** Settled promises leave the set, so a long import does not accumulate them. */
function track(pending: Set<Promise<void>>, p: Promise<void>): void {
  pending.add(p);
  void p.finally(() => pending.delete(p));
}

function oversize(s: Session, size: number): [string, string] {
  return ['too_large', `message of ${size} bytes is over the ${s.maxMessageBytes}-byte limit`];
}

export async function importMbox(s: Session, path: string): Promise<SourceResult> {
  const size = (await stat(path)).size;
  const file = s.progressDir ? progressFileFor(s.progressDir, path) : null;
  const hasher = new PrefixHasher(path);
  const prefix = { offset: 0, messages: 0, counts: zeroCounts() };
  if (file && s.resume) {
    const p = await loadProgress(file, path, 'mbox');
    if (p && p.offset <= size && (await hasher.matches(p.offset, p.prefixSha256))) {
      Object.assign(prefix, { offset: p.offset, messages: p.messages, counts: { ...p.counts } });
      s.skipped += p.messages;
    }
  }
  const start = prefix.offset;
  let saved = file ? -1 : Infinity;
  const save = serialized(async () => {
    if (!file || prefix.offset === saved) return;
    const snap = { offset: prefix.offset, messages: prefix.messages, counts: { ...prefix.counts } };
    await saveProgress(file, { kind: 'mbox', path, ...snap, prefixSha256: await hasher.digestAt(snap.offset) });
    saved = snap.offset;
  });
  const marks = new Checkpoints<{ next: number; outcome?: Outcome }>((u) => {
    prefix.offset = u.next;
    prefix.messages++;
    tally(prefix.counts, u.outcome!);
  });
  const pending = new Set<Promise<void>>();
  let reachedEnd = false;
  let blocked = false;
  s.savers.add(save);
  try {
    for await (const m of readMbox(path, { maxMessageBytes: s.maxMessageBytes, start })) {
      if (stopped(s)) break;
      s.position = { path, done: m.next, total: size };
      const unit: { next: number; outcome?: Outcome } = { next: m.next };
      const where = `${path}@${m.offset}`;
      if (!m.raw) {
        unit.outcome = s.queue.refuse(where, m.size, ...oversize(s, m.size));
        marks.register(unit)(true);
        continue;
      }
      const started = await s.queue.submit(m.raw, where);
      if (!started) break;
      const complete = marks.register(unit); // after submit: a message not attempted stays ahead of the resume point
      track(pending, started.done.then((o) => {
        unit.outcome = o;
        if (!passable(o)) blocked = true;
        complete(passable(o));
      }));
    }
    reachedEnd = !stopped(s);
  } finally {
    await Promise.all(pending);
    s.savers.delete(save);
    s.position = undefined;
    await save();
  }
  return { complete: reachedEnd && !blocked, messages: prefix.messages, counts: prefix.counts };
}

/** Reads one message file and hands it to the queue; resolves once it is in flight (null: stopped). */
export async function startMessageFile(s: Session, path: string, size?: number): Promise<{ done: Promise<Outcome> } | null> {
  let raw: Buffer;
  try {
    const bytes = size ?? (await stat(path)).size;
    if (bytes > s.maxMessageBytes) return { done: Promise.resolve(s.queue.refuse(path, bytes, ...oversize(s, bytes))) };
    raw = await readFile(path);
  } catch (err) {
    // Vanished or unreadable (permissions): reported, and retried by a re-run.
    return { done: Promise.resolve(s.queue.refuse(path, 0, 'unreadable', (err as Error).message)) };
  }
  return s.queue.submit(raw, path);
}

interface TreeUnit {
  rel: string;
  line: string;
  messages: number;
  counts: ImportCounts;
}

export async function importTree(s: Session, root: string): Promise<SourceResult> {
  const file = s.progressDir ? progressFileFor(s.progressDir, root) : null;
  const { hash, skipThrough, prefix } = await resumeTree(s, root, file);
  let saved = file ? -1 : Infinity;
  const save = serialized(async () => {
    if (!file || prefix.files === saved || prefix.files === 0) return;
    const snap = { ...prefix, counts: { ...prefix.counts }, prefixSha256: hash.copy().digest('hex') };
    await saveProgress(file, { kind: 'tree', path: root, ...snap });
    saved = snap.files;
  });
  const marks = new Checkpoints<TreeUnit>((u) => {
    hash.update(u.line);
    prefix.doneThrough = u.rel;
    prefix.files++;
    prefix.messages += u.messages;
    for (const k of ['imported', 'duplicates', 'failed'] as const) prefix.counts[k] += u.counts[k];
  });
  const pending = new Set<Promise<void>>();
  let reachedEnd = false;
  let blocked = false;
  s.savers.add(save);
  try {
    for await (const f of walkTree(root, () => s.ignoredFiles++)) {
      if (stopped(s)) break;
      if (skipThrough !== null && compareRel(f.rel, skipThrough) <= 0) continue;
      const unit: TreeUnit = { rel: f.rel, line: treeLine(f.rel, f.stats), messages: 0, counts: zeroCounts() };
      if (f.kind === 'mbox') {
        const complete = marks.register(unit);
        const r = await importMbox(s, f.path); // its own progress file; the tree waits for it
        Object.assign(unit, { messages: r.messages, counts: r.counts });
        if (!r.complete) blocked = true;
        complete(r.complete);
        continue;
      }
      const started = await startMessageFile(s, f.path, f.stats.size);
      if (!started) break;
      const complete = marks.register(unit);
      track(pending, started.done.then((o) => {
        unit.messages = 1;
        tally(unit.counts, o);
        if (!passable(o)) blocked = true;
        complete(passable(o));
      }));
    }
    reachedEnd = !stopped(s);
  } finally {
    await Promise.all(pending);
    s.savers.delete(save);
    await save();
  }
  return { complete: reachedEnd && !blocked, messages: prefix.messages, counts: prefix.counts };
}

/** Where a tree import starts: after the prefix an earlier run finished, if it is unchanged. */
async function resumeTree(s: Session, root: string, file: string | null) {
  const start = { hash: createHash('sha256'), skipThrough: null as string | null, prefix: { doneThrough: '', files: 0, messages: 0, counts: zeroCounts() } };
  if (!file || !s.resume) return start;
  const p = await loadProgress(file, root, 'tree');
  const verified = p ? await verifyTreePrefix(root, p) : null;
  if (!p || !verified) return start;
  s.skipped += p.messages;
  return { hash: verified, skipThrough: p.doneThrough, prefix: { doneThrough: p.doneThrough, files: p.files, messages: p.messages, counts: { ...p.counts } } };
}

/** Re-walks the files up to the recorded point; the skip is safe only if they are all unchanged. */
async function verifyTreePrefix(root: string, p: TreeProgress): Promise<Hash | null> {
  const hash = createHash('sha256');
  let files = 0;
  for await (const f of walkTree(root)) {
    if (compareRel(f.rel, p.doneThrough) > 0) break;
    hash.update(treeLine(f.rel, f.stats));
    files++;
  }
  return files === p.files && hash.copy().digest('hex') === p.prefixSha256 ? hash : null;
}
