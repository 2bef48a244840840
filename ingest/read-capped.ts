// Reads a stream into memory up to a byte cap. Past the cap the rest is drained and dropped
// (so the protocol can still answer) and the result says so: size is checked on the bytes
// received, not on what the sender announced.
import type { Readable } from 'node:stream';

export interface CappedRead {
  raw: Buffer;
  tooLarge: boolean;
  bytes: number;
}

export async function readCapped(stream: Readable, maxBytes: number): Promise<CappedRead> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  let tooLarge = false;
  for await (const chunk of stream) {
    const buf = chunk as Buffer;
    bytes += buf.length;
    if (tooLarge) continue;
    if (bytes > maxBytes) {
      tooLarge = true;
      chunks.length = 0;
      continue;
    }
    chunks.push(buf);
  }
  return { raw: tooLarge ? Buffer.alloc(0) : Buffer.concat(chunks, bytes), tooLarge, bytes };
}
