// The import progress file: lets a re-run of a huge import skip quickly what an earlier run
// finished. It is only a shortcut: a skip is taken only when a hash proves the skipped part is
// byte-for-byte (mbox) or file-for-file (directories) what was done; otherwise everything goes
// through the pipeline again, whose SHA-256 dedup is what makes re-runs correct.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Stats } from 'node:fs';
import type { ImportCounts } from './ingest-queue.ts';

const VERSION = 1;

interface Common {
  version: number;
  path: string;
  /** Messages before the resume point, and what became of them. */
  messages: number;
  counts: ImportCounts;
  updatedAt: string;
}

export interface MboxProgress extends Common {
  kind: 'mbox';
  /** Byte offset of the first message not yet done (a separator line, or the end). */
  offset: number;
  /** SHA-256 of the file's bytes [0, offset). */
  prefixSha256: string;
}

export interface TreeProgress extends Common {
  kind: 'tree';
  /** The last file (walk order) up to which every file is done. */
  doneThrough: string;
  files: number;
  /** SHA-256 over the name, size, times and inode of every mail file up to doneThrough. */
  prefixSha256: string;
}

export type Progress = MboxProgress | TreeProgress;

/** `<dir>/<sha256 of the absolute path>.json`: one file per imported source, whatever its name. */
export function progressFileFor(dir: string, absPath: string): string {
  return join(dir, `${createHash('sha256').update(absPath).digest('hex')}.json`);
}

export async function loadProgress<K extends Progress['kind']>(file: string, absPath: string, kind: K): Promise<Extract<Progress, { kind: K }> | null> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return null; // absent or damaged: start from the beginning, which is always correct
  }
  const p = data as Partial<Progress> | null;
  if (!p || p.version !== VERSION || p.kind !== kind || p.path !== absPath || typeof p.prefixSha256 !== 'string') return null;
  return p as Extract<Progress, { kind: K }>;
}

/** Written atomically (temp file, rename), so a crash leaves the old or the new file, never half. */
export async function saveProgress(file: string, p: Omit<MboxProgress, 'version' | 'updatedAt'> | Omit<TreeProgress, 'version' | 'updatedAt'>): Promise<void> {
  const body = JSON.stringify({ version: VERSION, ...p, updatedAt: new Date().toISOString() }, null, 2);
  const tmp = `${file}.${process.pid}.tmp`;
  await mkdir(join(file, '..'), { recursive: true });
  await writeFile(tmp, body);
  await rename(tmp, file);
}

/** An incremental SHA-256 of a file's first bytes, following the resume point as it advances. */
export class PrefixHasher {
  private hash: Hash = createHash('sha256');
  private pos = 0;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly path: string) {}

  /** Hashes [0, offset) of the file now and compares; on a match the hasher continues from there. */
  async matches(offset: number, expected: string): Promise<boolean> {
    try {
      await this.advanceTo(offset);
      if (this.hash.copy().digest('hex') === expected) return true;
    } catch {
      // shorter than the recorded offset, or unreadable: not the file that was done
    }
    this.hash = createHash('sha256');
    this.pos = 0;
    return false;
  }

  /** The digest of [0, offset); calls are serialised because they read the file in order. */
  digestAt(offset: number): Promise<string> {
    const next = this.chain.then(async () => {
      await this.advanceTo(offset);
      return this.hash.copy().digest('hex');
    });
    this.chain = next.catch(() => {});
    return next;
  }

  private async advanceTo(offset: number): Promise<void> {
    if (offset < this.pos) throw new Error(`prefix hash cannot go back from ${this.pos} to ${offset}`);
    if (offset === this.pos) return;
    // Re-reads bytes the splitter read moments ago: they come from the page cache.
    for await (const chunk of createReadStream(this.path, { start: this.pos, end: offset - 1, highWaterMark: 1024 * 1024 })) {
      this.hash.update(chunk as Buffer);
      this.pos += (chunk as Buffer).length;
    }
    if (this.pos !== offset) throw new Error(`file ${this.path} is shorter than ${offset} bytes`);
  }
}

/** The line a finished file contributes to a tree's prefix hash: any change to the file changes it. */
export function treeLine(rel: string, stats: Stats): string {
  return `${rel}\u0000${stats.size}\u0000${stats.mtimeMs}\u0000${stats.ctimeMs}\u0000${stats.ino}\n`;
}
