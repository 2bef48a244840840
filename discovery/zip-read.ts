// A small ZIP reader for offline verification: the central directory (with ZIP64, which
// archiver writes past 65,535 entries or 4 GiB) and a stream of each entry's uncompressed bytes.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createInflateRaw } from 'node:zlib';
import { SteleError } from '../core/errors.ts';

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX16 = 0xffff;
const MAX32 = 0xffffffff;

const bad = (path: string, why: string) => new SteleError('integrity', `${path}: not a readable ZIP (${why})`);

async function readAt(path: string, offset: number, length: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, offset);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Where the central directory is and how many entries it has, from the (ZIP64) end record. */
async function locateDirectory(path: string): Promise<{ offset: number; size: number; count: number }> {
  const fh = await open(path, 'r');
  const fileSize = (await fh.stat()).size;
  await fh.close();
  const tailLen = Math.min(fileSize, 22 + MAX16 + 20);
  const tail = await readAt(path, fileSize - tailLen, tailLen);
  let at = -1;
  for (let i = tail.length - 22; i >= 0; i--) if (tail.readUInt32LE(i) === EOCD) { at = i; break; }
  if (at < 0) throw bad(path, 'no end of central directory');
  let count = tail.readUInt16LE(at + 10);
  let size = tail.readUInt32LE(at + 12);
  let offset = tail.readUInt32LE(at + 16);
  if ((count === MAX16 || size === MAX32 || offset === MAX32) && at >= 20 && tail.readUInt32LE(at - 20) === ZIP64_LOCATOR) {
    const rec = await readAt(path, Number(tail.readBigUInt64LE(at - 20 + 8)), 56);
    if (rec.readUInt32LE(0) !== ZIP64_EOCD) throw bad(path, 'broken ZIP64 end record');
    count = Number(rec.readBigUInt64LE(32));
    size = Number(rec.readBigUInt64LE(40));
    offset = Number(rec.readBigUInt64LE(48));
  }
  return { offset, size, count };
}

export async function readZipDirectory(path: string): Promise<ZipEntry[]> {
  const loc = await locateDirectory(path);
  const cd = await readAt(path, loc.offset, loc.size);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < loc.count; i++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL) throw bad(path, `central directory entry ${i}`);
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    const e: ZipEntry = {
      name: cd.toString('utf8', p + 46, p + 46 + nameLen), method: cd.readUInt16LE(p + 10),
      compressedSize: cd.readUInt32LE(p + 20), size: cd.readUInt32LE(p + 24), localOffset: cd.readUInt32LE(p + 42),
    };
    applyZip64(e, cd.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen));
    entries.push(e);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** The ZIP64 extra field holds, in order, only the values whose 32-bit slot is saturated. */
function applyZip64(e: ZipEntry, extra: Buffer): void {
  for (let q = 0; q + 4 <= extra.length;) {
    const id = extra.readUInt16LE(q);
    const len = extra.readUInt16LE(q + 2);
    if (id === 0x0001) {
      let r = q + 4;
      const next = () => { const v = Number(extra.readBigUInt64LE(r)); r += 8; return v; };
      if (e.size === MAX32) e.size = next();
      if (e.compressedSize === MAX32) e.compressedSize = next();
      if (e.localOffset === MAX32) e.localOffset = next();
    }
    q += 4 + len;
  }
}

/** The entry's uncompressed bytes (stored or deflated: what archiver writes). */
export async function openEntry(path: string, e: ZipEntry): Promise<Readable> {
  const header = await readAt(path, e.localOffset, 30);
  if (header.length < 30 || header.readUInt32LE(0) !== LOCAL) throw bad(path, `local header of ${e.name}`);
  const start = e.localOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
  if (e.compressedSize === 0) return Readable.from([]);
  const raw = createReadStream(path, { start, end: start + e.compressedSize - 1 });
  if (e.method === 0) return raw;
  if (e.method === 8) return raw.pipe(createInflateRaw()).on('close', () => raw.destroy());
  raw.destroy();
  throw bad(path, `${e.name} uses compression method ${e.method}`);
}
