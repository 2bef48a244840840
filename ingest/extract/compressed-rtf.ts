// Decompresses PR_RTF_COMPRESSED bodies (LZFu and MELA) as specified in [MS-OXRTFCP].

/** Header: COMPSIZE, RAWSIZE, COMPTYPE, CRC, each a little-endian uint32 ([MS-OXRTFCP] 2.1.3.1.1). */
const HEADER_BYTES = 16;
const COMPTYPE_COMPRESSED = 0x75465a4c; // "LZFu"
const COMPTYPE_UNCOMPRESSED = 0x414c454d; // "MELA"

/** The dictionary is pre-loaded with this RTF prologue ([MS-OXRTFCP] 2.1.2.1); writing starts after it. */
const PREBUF =
  '{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss \\fmodern \\fscript ' +
  '\\fdecor MS Sans SerifSymbolArialTimes New RomanCourier{\\colortbl\\red0\\green0\\blue0\r\n\\par ' +
  '\\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx';
const DICTIONARY_BYTES = 4096;

let crcTable: Uint32Array | undefined;

/** CRC-32 as [MS-OXRTFCP] 3.1.3.2 computes it: reflected polynomial, seed 0 and no final inversion. */
function rtfCrc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0;
  for (let i = 0; i < data.length; i++) crc = crcTable[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return crc >>> 0;
}

export interface DecompressedRtf {
  rtf: Buffer;
  /** False when the stored CRC does not match the compressed bytes: the RTF may be damaged. */
  crcOk: boolean;
}

/**
 * Decompresses a compressed-RTF stream. Throws on a header that cannot be right or a declared
 * size above maxBytes; output never grows past min(RAWSIZE, maxBytes), so the work is linear in
 * the input and the memory bounded whatever the input claims.
 */
export function decompressRtf(input: Uint8Array, maxBytes = 16 * 1024 * 1024): DecompressedRtf {
  if (input.length < HEADER_BYTES) throw new Error('compressed RTF: shorter than its 16-byte header');
  const view = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const compSize = view.readUInt32LE(0);
  const rawSize = view.readUInt32LE(4);
  const compType = view.readUInt32LE(8);
  const crc = view.readUInt32LE(12);
  if (rawSize > maxBytes) throw new Error(`compressed RTF: declared size ${rawSize} is over the ${maxBytes}-byte cap`);
  // COMPSIZE counts the bytes after itself; tolerate writers that leave slack at the end.
  if (compSize < 12 || compSize - 12 > input.length - HEADER_BYTES) {
    throw new Error(`compressed RTF: COMPSIZE ${compSize} does not fit the ${input.length}-byte value`);
  }
  const data = view.subarray(HEADER_BYTES, 4 + compSize);

  if (compType === COMPTYPE_UNCOMPRESSED) {
    return { rtf: Buffer.from(data.subarray(0, Math.min(rawSize, data.length))), crcOk: true };
  }
  if (compType !== COMPTYPE_COMPRESSED) {
    throw new Error(`compressed RTF: unknown COMPTYPE 0x${compType.toString(16)}`);
  }

  const dict = new Uint8Array(DICTIONARY_BYTES);
  for (let i = 0; i < PREBUF.length; i++) dict[i] = PREBUF.charCodeAt(i);
  let writePos = PREBUF.length;
  const out = Buffer.allocUnsafe(rawSize);
  let outLen = 0;
  let pos = 0;

  decode: while (pos < data.length && outLen < rawSize) {
    const control = data[pos++]!;
    for (let bit = 0; bit < 8; bit++) {
      if (pos >= data.length || outLen >= rawSize) break decode;
      if ((control & (1 << bit)) === 0) {
        const b = data[pos++]!;
        out[outLen++] = b;
        dict[writePos] = b;
        writePos = (writePos + 1) % DICTIONARY_BYTES;
        continue;
      }
      if (pos + 1 >= data.length) break decode;
      const ref = (data[pos]! << 8) | data[pos + 1]!;
      pos += 2;
      const offset = ref >>> 4;
      const length = (ref & 0x0f) + 2;
      if (offset === writePos) break decode; // the end marker ([MS-OXRTFCP] 2.2.1.2)
      for (let i = 0; i < length && outLen < rawSize; i++) {
        const b = dict[(offset + i) % DICTIONARY_BYTES]!;
        out[outLen++] = b;
        dict[writePos] = b;
        writePos = (writePos + 1) % DICTIONARY_BYTES;
      }
    }
  }
  return { rtf: out.subarray(0, outLen), crcOk: rtfCrc32(data) === crc };
}
