// When a message cannot be parsed, whatever can be read is still made searchable (invariant 2):
// header lines taken leniently from the top, the rest as text with control bytes removed.

const MAX_FALLBACK_TEXT = 200_000;

export interface FallbackFields {
  headers: Map<string, string>;
  body: string;
}

export function readWhatWeCan(raw: Buffer): FallbackFields {
  const text = raw.subarray(0, MAX_FALLBACK_TEXT * 2).toString('latin1');
  const split = /\r?\n\r?\n/.exec(text);
  const headerText = split ? text.slice(0, split.index) : text.slice(0, 8192);
  const headers = new Map<string, string>();
  let last: string | null = null;
  for (const line of headerText.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && last) {
      headers.set(last, `${headers.get(last)} ${line.trim()}`);
      continue;
    }
    const m = /^([!-9;-~]+):\s*(.*)$/.exec(line);
    if (!m) continue;
    last = m[1].toLowerCase();
    if (!headers.has(last)) headers.set(last, m[2]);
  }
  const rest = split ? text.slice(split.index + split[0].length) : '';
  // eslint-disable-next-line no-control-regex
  const body = rest.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]+/g, ' ').slice(0, MAX_FALLBACK_TEXT);
  return { headers, body };
}

/** True when the header section holds raw 8-bit bytes (RFC 5322 headers are 7-bit ASCII). */
export function hasEightBitHeaders(raw: Buffer): boolean {
  const end = raw.indexOf('\r\n\r\n') >= 0 ? raw.indexOf('\r\n\r\n') : raw.indexOf('\n\n');
  const limit = end >= 0 ? end : Math.min(raw.length, 65536);
  for (let i = 0; i < limit; i++) if (raw[i] >= 0x80) return true;
  return false;
}
