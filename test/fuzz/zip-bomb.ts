// Builds small ZIP archives that inflate to gigabytes (zip bombs), nested ZIPs and DOCX-like
// bombs for the hostile-input tests, without ever holding the inflated data in memory.
import { constants, crc32, deflateRawSync } from 'node:zlib';

const MIB = 1 << 20;

/**
 * Raw deflate of `mib` MiB of zeros. One MiB of zeros is deflated once with a full flush (which
 * resets the compressor and byte-aligns the output), so the same ~1 KiB block repeated is a valid
 * stream of any length: the cost is O(output), not O(inflated size).
 */
function deflatedZeros(mib: number): { data: Buffer; crc: number; size: number } {
  const zeros = Buffer.alloc(MIB);
  const block = deflateRawSync(zeros, { level: 9, finishFlush: constants.Z_FULL_FLUSH });
  const last = deflateRawSync(Buffer.alloc(0)); // the final (BFINAL) empty block
  let crc = 0;
  for (let i = 0; i < mib; i++) crc = crc32(zeros, crc);
  return { data: Buffer.concat([...Array<Buffer>(mib).fill(block), last]), crc, size: mib * MIB };
}

export interface ZipMember {
  name: string;
  /** Stored as is (method 0) unless `deflated` is given. */
  content?: Buffer;
  deflated?: { data: Buffer; crc: number; size: number };
  /** Declare this uncompressed size instead of the true one (a lying header). */
  declaredSize?: number;
}

/** A plain (non-ZIP64) archive: local headers, data, central directory, end record. */
export function buildZip(members: ZipMember[]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const name = Buffer.from(m.name);
    const method = m.deflated ? 8 : 0;
    const data = m.deflated ? m.deflated.data : m.content!;
    const crc = m.deflated ? m.deflated.crc : crc32(data);
    const size = Math.min(m.declaredSize ?? (m.deflated ? m.deflated.size : data.length), 0xfffffffe);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc >>> 0, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(method, 10);
    cd.writeUInt32LE(crc >>> 0, 16);
    cd.writeUInt32LE(data.length, 20);
    cd.writeUInt32LE(size, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt32LE(offset, 42);
    locals.push(local, name, data);
    central.push(cd, name);
    offset += local.length + name.length + data.length;
  }
  const cdBytes = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(cdBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cdBytes, end]);
}

/** A one-entry archive whose entry inflates to `mib` MiB of zeros (sizes declared honestly). */
export function zipBomb(mib: number, name = 'zeros.bin'): Buffer {
  return buildZip([{ name, deflated: deflatedZeros(mib) }]);
}

/** A DOCX-shaped archive whose word/document.xml is the bomb and whose header lies about its size. */
export function docxBomb(mib: number): Buffer {
  return buildZip([
    { name: '[Content_Types].xml', content: Buffer.from('<?xml version="1.0"?><Types/>') },
    { name: 'word/document.xml', deflated: deflatedZeros(mib), declaredSize: 4096 },
  ]);
}

/** A bomb inside a ZIP inside a ZIP ... `depth` levels deep. */
export function nestedZipBomb(mib: number, depth: number): Buffer {
  let inner = zipBomb(mib);
  for (let i = 0; i < depth; i++) inner = buildZip([{ name: `level-${i}.zip`, content: inner }]);
  return inner;
}
