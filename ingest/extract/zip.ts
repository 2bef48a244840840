// A minimal, bounded ZIP reader for office documents (DOCX, XLSX, PPTX, ODF) held in memory.
//
// Why not a package: node:zlib's inflateRawSync takes maxOutputLength, which stops inflating at the
// cap instead of trusting the sizes an archive declares, so a zip bomb costs at most the cap in
// memory and time. The central directory is all we need to parse, and every offset in it is
// checked against the buffer. Not supported (an error): ZIP64, encryption, methods other than
// stored and deflate — none of which a real office document needs.

import { inflateRawSync } from 'node:zlib';

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_BYTES = 22;
const MAX_COMMENT_BYTES = 0xffff;
const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;
const FLAG_ENCRYPTED = 0x0001;

export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  compressedSize: number;
  /** As declared by the archive: a hint, never trusted for allocation. */
  uncompressedSize: number;
  localHeaderOffset: number;
}

export interface ZipLimits {
  /** Total bytes that all reads together may inflate to. */
  maxTotalBytes: number;
  /** More central-directory entries than this and the archive is refused. */
  maxEntries: number;
}

export class ZipError extends Error {
  constructor(message: string) {
    super(`zip: ${message}`);
    this.name = 'ZipError';
  }
}

export class ZipReader {
  readonly entries: ZipEntry[];
  private readonly byName = new Map<string, ZipEntry>();
  private inflatedBytes = 0;

  private constructor(
    private readonly buf: Buffer,
    entries: ZipEntry[],
    private readonly limits: ZipLimits,
  ) {
    this.entries = entries;
    for (const e of entries) if (!this.byName.has(e.name)) this.byName.set(e.name, e);
  }

  /** Parses the central directory. Throws ZipError on anything that does not add up. */
  static open(buf: Buffer, limits: ZipLimits): ZipReader {
    const eocd = findEndOfCentralDirectory(buf);
    const count = buf.readUInt16LE(eocd + 10);
    const cdSize = buf.readUInt32LE(eocd + 12);
    const cdOffset = buf.readUInt32LE(eocd + 16);
    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) throw new ZipError('ZIP64 archives are not supported');
    if (count > limits.maxEntries) throw new ZipError(`${count} entries is over the ${limits.maxEntries}-entry cap`);
    if (cdOffset + cdSize > eocd) throw new ZipError('central directory lies outside the archive');

    const entries: ZipEntry[] = [];
    let p = cdOffset;
    for (let i = 0; i < count; i++) {
      if (p + 46 > cdOffset + cdSize || buf.readUInt32LE(p) !== CENTRAL_SIGNATURE) throw new ZipError(`central directory entry ${i} is damaged`);
      const nameLen = buf.readUInt16LE(p + 28);
      const extraLen = buf.readUInt16LE(p + 30);
      const commentLen = buf.readUInt16LE(p + 32);
      const end = p + 46 + nameLen + extraLen + commentLen;
      if (end > cdOffset + cdSize) throw new ZipError(`central directory entry ${i} overruns the directory`);
      entries.push({
        name: buf.toString('utf8', p + 46, p + 46 + nameLen),
        flags: buf.readUInt16LE(p + 8),
        method: buf.readUInt16LE(p + 10),
        compressedSize: buf.readUInt32LE(p + 20),
        uncompressedSize: buf.readUInt32LE(p + 24),
        localHeaderOffset: buf.readUInt32LE(p + 42),
      });
      p = end;
    }
    return new ZipReader(buf, entries, limits);
  }

  get(name: string): ZipEntry | undefined {
    return this.byName.get(name);
  }

  /** Bytes inflated so far by read(); never more than limits.maxTotalBytes. */
  get totalInflated(): number {
    return this.inflatedBytes;
  }

  /** Inflates one entry, counting it against the total cap. Throws ZipError past the cap. */
  read(entry: ZipEntry): Buffer {
    if (entry.flags & FLAG_ENCRYPTED) throw new ZipError(`${entry.name} is encrypted`);
    const budget = this.limits.maxTotalBytes - this.inflatedBytes;
    if (entry.uncompressedSize > budget) throw overCap(this.limits.maxTotalBytes, entry.name);
    const h = entry.localHeaderOffset;
    if (h + 30 > this.buf.length || this.buf.readUInt32LE(h) !== LOCAL_SIGNATURE) throw new ZipError(`local header of ${entry.name} is damaged`);
    const start = h + 30 + this.buf.readUInt16LE(h + 26) + this.buf.readUInt16LE(h + 28);
    // Sizes come from the central directory: local headers may defer them to a data descriptor.
    if (start + entry.compressedSize > this.buf.length) throw new ZipError(`data of ${entry.name} runs past the archive`);
    const raw = this.buf.subarray(start, start + entry.compressedSize);

    let out: Buffer;
    if (entry.method === METHOD_STORED) {
      if (raw.length > budget) throw overCap(this.limits.maxTotalBytes, entry.name);
      out = raw;
    } else if (entry.method === METHOD_DEFLATE) {
      try {
        // Node stops at maxOutputLength and throws rather than allocating past it.
        out = inflateRawSync(raw, { maxOutputLength: Math.max(budget, 1) });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw overCap(this.limits.maxTotalBytes, entry.name);
        throw new ZipError(`${entry.name} does not inflate: ${(err as Error).message}`);
      }
      if (out.length > budget) throw overCap(this.limits.maxTotalBytes, entry.name);
    } else {
      throw new ZipError(`${entry.name} uses unsupported compression method ${entry.method}`);
    }
    this.inflatedBytes += out.length;
    return out;
  }
}

function overCap(cap: number, name: string): ZipError {
  return new ZipError(`${name} would inflate past the ${cap}-byte cap (zip bomb?)`);
}

function findEndOfCentralDirectory(buf: Buffer): number {
  if (buf.length < EOCD_BYTES) throw new ZipError('too short to be a ZIP archive');
  const lowest = Math.max(0, buf.length - EOCD_BYTES - MAX_COMMENT_BYTES);
  for (let p = buf.length - EOCD_BYTES; p >= lowest; p--) {
    if (buf.readUInt32LE(p) === EOCD_SIGNATURE && p + EOCD_BYTES + buf.readUInt16LE(p + 20) <= buf.length) return p;
  }
  throw new ZipError('no end-of-central-directory record');
}
