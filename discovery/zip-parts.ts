// Writes an export as a run of ZIP parts (archiver). Appends wait whenever the entries archiver
// has not yet consumed pass a fixed byte budget, the central directory is written with
// backpressure, and a volume holds at most MAX_VOLUME_ENTRIES entries, so memory is bounded
// however large the export.
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { createHash, type Hash } from 'node:crypto';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { ZipArchive } from 'archiver';
import { SteleError } from '../core/errors.ts';
import type { ExportPart } from './model.ts';
import { streamCentralDirectory } from './zip-central.ts';

/**
 * Natives are stored, not deflated: mail's bulk is base64 of already-compressed attachments,
 * which deflate barely shrinks (about 35% on the bench corpus) at half the export's speed, and
 * a stored native's bytes lie in the ZIP exactly as journaled. Text and load files, which
 * shrink well, are deflated at level 1 (most of level 6's gain for a fraction of its CPU).
 */
export const DEFLATE_LEVEL = 1;

/** Entries handed to archiver but not yet written: enough to keep zlib busy, bounded in bytes. */
export const MAX_INFLIGHT_BYTES = 16 * 1024 * 1024;

/**
 * Entries per volume. archiver keeps every entry's record (about 0.45 KB) until the volume's
 * central directory is written, so without a cap a volume of many small entries grows memory
 * with the export. It also keeps under the classic ZIP limit (an end record's count of 0xFFFF
 * means "see the ZIP64 record"): a volume under it and under 4 GiB needs no ZIP64 records,
 * which some review tools still read badly.
 */
export const MAX_VOLUME_ENTRIES = 65_534;

export class ZipParts {
  readonly parts: ExportPart[] = [];
  private archive: ZipArchive | null = null;
  private out: WriteStream | null = null;
  private closed: Promise<void> | null = null;
  /** SHA-256 of the current volume, taken as its bytes go to the file (no second read). */
  private digest: Hash | null = null;
  private entries = 0;
  private failure: unknown = null;
  /** Sizes of appended entries in order; archiver reports 'entry' in the same order. */
  private inflight: number[] = [];
  private inflightBytes = 0;
  private drained: Array<() => void> = [];

  constructor(
    private readonly dir: string,
    private readonly baseName: string,
    private readonly splitBytes: number,
    private readonly date: Date,
    /** Tests lower it to see volumes split on the entry count. */
    private readonly maxEntries = MAX_VOLUME_ENTRIES,
  ) {}

  /**
   * The part the next entry of `size` bytes goes to: a new one if it would pass the split size or
   * the entry cap (one slot is kept for a keepVolume entry, the signature beside its manifest).
   */
  private async partFor(size: number, keepVolume: boolean): Promise<string> {
    const full = this.archive && this.entries > 0
      && (this.archive.pointer() + this.inflightBytes + size > this.splitBytes || this.entries >= this.maxEntries - 1);
    if (full && !keepVolume) await this.closePart();
    if (!this.archive) this.openPart();
    return this.parts[this.parts.length - 1].name;
  }

  private openPart(): void {
    const name = `${this.baseName}-${String(this.parts.length + 1).padStart(3, '0')}.zip`;
    const archive = new ZipArchive({ zlib: { level: DEFLATE_LEVEL } });
    streamCentralDirectory(archive);
    const out = createWriteStream(join(this.dir, name), { flags: 'wx' });
    archive.on('error', (err) => this.fail(err));
    archive.on('warning', (err) => this.fail(err));
    archive.on('entry', () => {
      this.inflightBytes -= this.inflight.shift() ?? 0;
      this.wake();
    });
    out.on('error', (err) => this.fail(err));
    const digest = createHash('sha256');
    const tap = new Transform({ transform(chunk: Buffer, _enc, done) { digest.update(chunk); done(null, chunk); } });
    tap.on('error', (err) => this.fail(err));
    this.closed = new Promise<void>((resolve, reject) => {
      out.on('close', resolve);
      out.on('error', reject);
      archive.on('error', reject);
    });
    archive.pipe(tap).pipe(out);
    this.digest = digest;
    this.archive = archive;
    this.out = out;
    this.entries = 0;
    this.parts.push({ name, bytes: 0, sha256: '' });
  }

  /**
   * Adds one entry, waiting first while too much is queued; answers the part's name.
   * keepVolume: never start a new volume for it (the signature stays beside its manifest).
   */
  async add(path: string, source: Buffer | (() => Readable), size: number, opts: { store?: boolean; keepVolume?: boolean } = {}): Promise<string> {
    this.check();
    const part = await this.partFor(size, opts.keepVolume ?? false);
    while (this.inflightBytes > 0 && this.inflightBytes + size > MAX_INFLIGHT_BYTES && !this.failure) {
      await new Promise<void>((resolve) => this.drained.push(resolve));
    }
    this.check();
    this.inflight.push(size);
    this.inflightBytes += size;
    // Always a stream: archiver writes a stored Buffer straight through, ignoring backpressure,
    // and reports the entry done at once; a stream's 'entry' waits until its bytes have flowed.
    const stream = Buffer.isBuffer(source) ? Readable.from([source], { objectMode: false }) : source();
    this.archive!.append(stream, { name: path, date: this.date, store: opts.store ?? false });
    this.entries++;
    return part;
  }

  private wake(): void {
    const waiting = this.drained;
    this.drained = [];
    for (const w of waiting) w();
  }

  private fail(err: unknown): void {
    this.failure ??= err;
    this.wake();
  }

  /** Bytes written so far over every part. */
  bytes(): number {
    return this.parts.slice(0, -1).reduce((n, p) => n + p.bytes, 0) + (this.archive?.pointer() ?? 0);
  }

  private async closePart(): Promise<void> {
    const archive = this.archive!;
    await archive.finalize(); // resolves once every queued entry has been written
    await this.closed;
    const part = this.parts[this.parts.length - 1];
    part.bytes = archive.pointer();
    part.sha256 = this.digest!.digest('hex');
    this.digest = null;
    this.archive = null;
    this.out = null;
    this.check();
  }

  async finish(): Promise<ExportPart[]> {
    if (this.archive) await this.closePart();
    return this.parts;
  }

  /** Stops writing after a failure; the caller removes the directory. */
  abort(): void {
    this.archive?.abort();
    this.out?.destroy();
  }

  private check(): void {
    if (this.failure) throw new SteleError('internal', `writing the export failed: ${(this.failure as Error).message}`, { cause: this.failure });
  }
}

export async function hashFile(path: string, algorithm = 'sha256'): Promise<string> {
  const h = createHash(algorithm);
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}
