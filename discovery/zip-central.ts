// Writes a ZIP volume's central directory with backpressure. zip-stream (archiver's ZIP engine,
// compress-commons 7) writes it in one synchronous loop of about twenty small write() calls per
// entry, so at finalize every record sits in stream buffers at once: 110,000 entries took RSS
// from 180 MB to 1.2 GB, which V8 then kept. Here each record is built in one Buffer, batched,
// and written only as fast as the file takes it.
import type { ZipArchive } from 'archiver';

/** Central-directory bytes handed to the stream per write: large enough to be cheap, small to hold. */
const BATCH_BYTES = 64 * 1024;

/** The parts of compress-commons' ZipArchiveEntry a central-directory record is made of. */
interface ZipEntryFields {
  _offsets: { file: number };
  getGeneralPurposeBit(): { encode(): Buffer; usesUTF8ForNames(): boolean };
  getMethod(): number;
  getSize(): number;
  getCompressedSize(): number;
  isZip64(): boolean;
  getPlatform(): number;
  getVersionNeededToExtract(): number;
  setVersionNeededToExtract(v: number): void;
  getTimeDos(): number;
  getCrc(): number;
  getName(): string;
  getComment(): string;
  getCentralDirectoryExtra(): Buffer;
  setExtra(extra: Buffer): void;
  getInternalAttributes(): number;
  getExternalAttributes(): number;
}

/** The parts of compress-commons' ZipArchiveOutputStream this relies on (checked at start). */
interface ZipEngine {
  offset: number;
  _entries: ZipEntryFields[];
  _archive: { centralOffset: number; centralLength: number; processing: boolean; finish: boolean; finished: boolean };
  _finish(): void;
  _writeCentralDirectoryZip64(): void;
  _writeCentralDirectoryEnd(): void;
  isZip64(): boolean;
  write(chunk: Buffer): boolean;
  end(): void;
  once(event: 'drain', fn: () => void): void;
  emit(event: 'error', err: unknown): boolean;
}

function engineOf(archive: ZipArchive): ZipEngine {
  const engine = (archive as unknown as { _module?: { engine?: ZipEngine } })._module?.engine;
  const needed = ['_finish', '_writeCentralDirectoryZip64', '_writeCentralDirectoryEnd', 'isZip64'] as const;
  if (!engine || !Array.isArray(engine._entries) || !engine._archive || needed.some((m) => typeof engine[m] !== 'function')) {
    // An archiver upgrade moved the internals: fail loudly rather than silently use the bursty path.
    throw new Error('archiver/zip-stream internals changed: discovery/zip-central.ts needs updating');
  }
  return engine;
}

const SIG_CENTRAL = 0x02014b50;
const VERSION_ZIP64 = 45; // also compress-commons' "version made by"
const MAX32 = 0xffffffff;

/** compress-commons' getEightBytes: low and high 32 bits, little-endian. */
function writeEight(buf: Buffer, v: number, at: number): void {
  buf.writeUInt32LE(v % 0x100000000, at);
  buf.writeUInt32LE((v / 0x100000000) | 0, at + 4);
}

/**
 * One entry's central-directory record in one Buffer, field for field what compress-commons'
 * _writeCentralFileHeader writes (its test compares the bytes), without its twenty small
 * allocations an entry: at 65,000 entries those alone made a 200 MB heap spike.
 */
export function centralRecord(ae: ZipEntryFields): Buffer {
  const gpb = ae.getGeneralPurposeBit();
  let size = ae.getSize();
  let compressed = ae.getCompressedSize();
  let offset = ae._offsets.file;
  if (ae.isZip64() || offset > MAX32) {
    size = compressed = offset = MAX32;
    ae.setVersionNeededToExtract(VERSION_ZIP64);
    const extra = Buffer.alloc(28);
    extra.writeUInt16LE(0x0001, 0); // ZIP64 extended information
    extra.writeUInt16LE(24, 2);
    writeEight(extra, ae.getSize(), 4);
    writeEight(extra, ae.getCompressedSize(), 12);
    writeEight(extra, ae._offsets.file, 20);
    ae.setExtra(extra);
  }
  const nameText = ae.getName();
  const commentText = ae.getComment();
  const name = Buffer.from(nameText);
  const comment = Buffer.from(commentText);
  // Like the engine: without the UTF-8 flag it writes the strings, with their length in chars.
  const utf8 = gpb.usesUTF8ForNames();
  const extra = ae.getCentralDirectoryExtra();
  const rec = Buffer.allocUnsafe(46 + name.length + extra.length + comment.length);
  rec.writeUInt32LE(SIG_CENTRAL, 0);
  rec.writeUInt16LE(((ae.getPlatform() << 8) | VERSION_ZIP64) & 0xffff, 4);
  rec.writeUInt16LE(ae.getVersionNeededToExtract() & 0xffff, 6);
  gpb.encode().copy(rec, 8);
  rec.writeUInt16LE(ae.getMethod() & 0xffff, 10);
  rec.writeUInt32LE(ae.getTimeDos() >>> 0, 12);
  rec.writeUInt32LE(ae.getCrc() >>> 0, 16);
  rec.writeUInt32LE(compressed >>> 0, 20);
  rec.writeUInt32LE(size >>> 0, 24);
  rec.writeUInt16LE((utf8 ? name.length : nameText.length) & 0xffff, 28);
  rec.writeUInt16LE(extra.length & 0xffff, 30);
  rec.writeUInt16LE((utf8 ? comment.length : commentText.length) & 0xffff, 32);
  rec.writeUInt16LE(0, 34); // disk number start
  rec.writeUInt16LE(ae.getInternalAttributes() & 0xffff, 36);
  rec.writeUInt32LE(ae.getExternalAttributes() >>> 0, 38);
  rec.writeUInt32LE(offset >>> 0, 42);
  name.copy(rec, 46);
  extra.copy(rec, 46 + name.length);
  comment.copy(rec, 46 + name.length + extra.length);
  return rec;
}

/** Replaces the archive's finish step with one that waits on 'drain'; the bytes are unchanged. */
export function streamCentralDirectory(archive: ZipArchive): void {
  const engine = engineOf(archive);
  engine._finish = function finish(this: ZipEngine) {
    const run = async () => {
      this._archive.centralOffset = this.offset;
      let batch: Buffer[] = [];
      let size = 0;
      for (const entry of this._entries) {
        const b = centralRecord(entry);
        batch.push(b);
        size += b.length;
        if (size < BATCH_BYTES) continue;
        const more = this.write(Buffer.concat(batch));
        batch = [];
        size = 0;
        if (!more) await new Promise<void>((resolve) => this.once('drain', resolve));
      }
      if (batch.length) this.write(Buffer.concat(batch));
      this._archive.centralLength = this.offset - this._archive.centralOffset;
      if (this.isZip64()) this._writeCentralDirectoryZip64();
      this._writeCentralDirectoryEnd();
      this._archive.processing = false;
      this._archive.finish = true;
      this._archive.finished = true;
      this.end();
    };
    run().catch((err) => this.emit('error', err));
  };
}
