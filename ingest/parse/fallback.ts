// When a message cannot be parsed, whatever can be read is still made searchable (invariant 2):
// the header fields as the light header reader sees them, the rest as text with control bytes
// removed.
import type { ParsedMessage } from './parse-message.ts';
import { readHeaderSection, summaryOf } from './headers.ts';

const MAX_FALLBACK_TEXT = 200_000;

export function readWhatWeCan(raw: Buffer, flags: Iterable<string>): ParsedMessage {
  const { headers, bodyStart } = readHeaderSection(raw);
  const rest = raw.subarray(bodyStart, bodyStart + MAX_FALLBACK_TEXT).toString('latin1');
  // eslint-disable-next-line no-control-regex
  const body = rest.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]+/g, ' ');
  return { ...summaryOf(headers), body, flags: [...new Set([...flags, 'unparsed'])] };
}

/** True when the header section holds raw 8-bit bytes (RFC 5322 headers are 7-bit ASCII). */
export function hasEightBitHeaders(raw: Buffer): boolean {
  const end = raw.indexOf('\r\n\r\n') >= 0 ? raw.indexOf('\r\n\r\n') : raw.indexOf('\n\n');
  const limit = end >= 0 ? end : Math.min(raw.length, 65536);
  for (let i = 0; i < limit; i++) if (raw[i] >= 0x80) return true;
  return false;
}
