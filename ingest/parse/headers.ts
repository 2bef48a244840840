// A light read of what classification needs (addresses, subject, date, ids) from the header
// section alone, so the acknowledgement path never waits on a full MIME parse. Exchange
// journal reports are opened just far enough to read their envelope and the original's headers.
import addressparser from 'nodemailer/lib/addressparser/index.js';
import libmime from 'libmime';
import type { Address } from '../../search/port.ts';
import { hasEightBitHeaders } from './fallback.ts';
import { parseJournalEnvelope } from './journal-report.ts';
import type { ParsedMessage } from './parse-message.ts';

/** Header sections past this are not headers but a broken message; the full parse handles it. */
const MAX_HEADER_BYTES = 256 * 1024;

export function readHeaderSection(raw: Buffer): { headers: Map<string, string>; bodyStart: number } {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  const [end, sep] = crlf >= 0 && (lf < 0 || crlf < lf) ? [crlf, 4] : lf >= 0 ? [lf, 2] : [Math.min(raw.length, MAX_HEADER_BYTES), 0];
  const text = raw.subarray(0, Math.min(end, MAX_HEADER_BYTES)).toString('latin1');
  const headers = new Map<string, string>();
  let last: string | null = null;
  for (const line of text.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && last) {
      headers.set(last, `${headers.get(last)} ${line.trim()}`);
    } else {
      const m = /^([!-9;-~]+):[ \t]*(.*)$/.exec(line);
      last = m ? m[1].toLowerCase() : null;
      if (m && !headers.has(last!)) headers.set(last!, m[2]);
    }
  }
  return { headers, bodyStart: end + sep };
}

function decode(value: string | undefined): string {
  if (!value) return '';
  try {
    // Raw 8-bit header bytes are most often UTF-8 (RFC 6532); read them so, then decode words.
    return libmime.decodeWords(Buffer.from(value, 'latin1').toString('utf8'));
  } catch {
    return value;
  }
}

function addresses(value: string | undefined): Address[] {
  if (!value) return [];
  const out: Address[] = [];
  const visit = (list: ReturnType<typeof addressparser>) => {
    for (const a of list) {
      if ('group' in a && a.group) visit(a.group);
      else if ('address' in a && a.address?.includes('@')) out.push({ address: a.address.toLowerCase(), ...(a.name ? { name: decode(a.name) } : {}) });
    }
  };
  visit(addressparser(decode(value)));
  return out;
}

/** The header-level view of a message: enough to classify it and to hold it. */
export function readSummary(raw: Buffer): ParsedMessage {
  const { headers, bodyStart } = readHeaderSection(raw);
  const flags: string[] = [];
  if (hasEightBitHeaders(raw)) flags.push('8bit-headers');
  if (headers.has('x-ms-journal-report')) {
    const unwrapped = readJournalSummary(raw, headers, bodyStart);
    if (unwrapped) return { ...unwrapped, flags: [...new Set([...flags, 'journal-report', ...unwrapped.flags])] };
    flags.push('journal-report');
  }
  return { ...summaryOf(headers), flags: [...flags, ...(headers.has('message-id') ? [] : ['no-message-id'])] };
}

/** The fields of a header section, decoded; body, attachments and flags left empty. */
export function summaryOf(headers: Map<string, string>): ParsedMessage {
  const date = headers.get('date') ? new Date(decode(headers.get('date'))) : undefined;
  return {
    messageId: headers.get('message-id')?.trim(),
    inReplyTo: headers.get('in-reply-to')?.trim(),
    references: (headers.get('references') ?? '').split(/\s+/).filter(Boolean),
    subject: decode(headers.get('subject')),
    from: addresses(headers.get('from')),
    to: addresses(headers.get('to')),
    cc: addresses(headers.get('cc')),
    bcc: addresses(headers.get('bcc')),
    date: date && !Number.isNaN(date.getTime()) ? date.toISOString() : undefined,
    body: '',
    attachments: [],
    flags: [],
  };
}

/** The report's first part is the envelope; the message/rfc822 part starts with the original's headers. */
function readJournalSummary(raw: Buffer, headers: Map<string, string>, bodyStart: number): ParsedMessage | null {
  const boundary = /boundary="?([^";]+)"?/i.exec(headers.get('content-type') ?? '')?.[1];
  if (!boundary) return null;
  const parts = raw.subarray(bodyStart).toString('latin1').split(new RegExp(`\\r?\\n?--${escapeRegExp(boundary)}(?:--)?[ \\t]*\\r?\\n`));
  let envelopeText: string | null = null;
  let original: ParsedMessage | null = null;
  for (const part of parts) {
    const p = readHeaderSection(Buffer.from(part, 'latin1'));
    const type = (p.headers.get('content-type') ?? 'text/plain').toLowerCase();
    const body = part.slice(p.bodyStart);
    if (envelopeText === null && type.startsWith('text/plain')) envelopeText = decodeBody(body, p.headers.get('content-transfer-encoding'));
    else if (!original && type.startsWith('message/rfc822')) original = summaryOf(readHeaderSection(Buffer.from(body, 'latin1')).headers);
  }
  if (!original || envelopeText === null) return null;
  const journal = parseJournalEnvelope(envelopeText);
  const known = new Set(original.bcc.map((a) => a.address));
  const bcc = [...original.bcc, ...journal.bcc.filter((a) => !known.has(a)).map((address) => ({ address }))];
  return { ...original, bcc, journal, flags: original.messageId ? [] : ['no-message-id'] };
}

function decodeBody(body: string, encoding: string | undefined): string {
  const enc = (encoding ?? '').trim().toLowerCase();
  if (enc === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (enc === 'quoted-printable') {
    const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return body;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
