// Turns raw RFC 822 bytes into the fields the archive indexes. Never throws for odd mail:
// what cannot be parsed is read leniently and flagged (invariant 2). Journal reports are
// unwrapped here so the original message, with the report's envelope, is what gets indexed.
import { simpleParser, type AddressObject, type Attachment, type ParsedMail } from 'mailparser';
import type { Address, AttachmentDoc } from '../../search/port.ts';
import { decodeTnef, extractText, htmlToText } from '../extract/index.ts';
import { hasEightBitHeaders, readWhatWeCan } from './fallback.ts';
import { parseJournalEnvelope, type JournalEnvelope } from './journal-report.ts';

/** Bodies beyond this are cut for the index (the vault keeps every byte). */
const MAX_BODY_CHARS = 1_000_000;
const MAX_NESTED_DEPTH = 3;

export interface ParsedMessage {
  messageId?: string;
  inReplyTo?: string;
  references: string[];
  subject: string;
  from: Address[];
  to: Address[];
  cc: Address[];
  bcc: Address[];
  /** ISO date from the Date header, when it parsed. */
  date?: string;
  body: string;
  attachments: AttachmentDoc[];
  flags: string[];
  journal?: JournalEnvelope;
}

export async function parseMessage(raw: Buffer): Promise<ParsedMessage> {
  const flags = new Set<string>();
  if (hasEightBitHeaders(raw)) flags.add('8bit-headers');
  let mail: ParsedMail;
  try {
    // html-to-text slows down badly on hostile nesting; ingest/extract has a single-pass converter.
    mail = await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true, skipHtmlToText: true });
  } catch {
    return readWhatWeCan(raw, flags);
  }
  if (mail.headerLines.length === 0) return readWhatWeCan(raw, flags);

  if (mail.headerLines.some((h) => h.key === 'x-ms-journal-report')) {
    const unwrapped = await unwrapJournalReport(mail, flags);
    if (unwrapped) return unwrapped;
  }
  return fromParsed(mail, flags, 0);
}

async function unwrapJournalReport(report: ParsedMail, flags: Set<string>): Promise<ParsedMessage | null> {
  flags.add('journal-report');
  const envelope = parseJournalEnvelope(report.text ?? '');
  const original = report.attachments.find((a) => a.contentType === 'message/rfc822');
  if (!original) {
    flags.add('journal-unwrap-failed');
    return null;
  }
  let inner: ParsedMail;
  try {
    inner = await simpleParser(original.content, { skipImageLinks: true, skipTextToHtml: true, skipHtmlToText: true });
  } catch {
    flags.add('journal-unwrap-failed');
    return null;
  }
  const parsed = await fromParsed(inner, flags, 0);
  parsed.journal = envelope;
  const known = new Set(parsed.bcc.map((a) => a.address));
  for (const a of envelope.bcc) if (!known.has(a)) parsed.bcc.push({ address: a });
  return parsed;
}

async function fromParsed(mail: ParsedMail, flags: Set<string>, depth: number): Promise<ParsedMessage> {
  if (!mail.messageId) flags.add('no-message-id');
  if (!mail.date || Number.isNaN(mail.date.getTime())) flags.add('bad-date');
  let body = mail.text || (typeof mail.html === 'string' ? htmlToText(mail.html, MAX_BODY_CHARS) : '');
  const attachments: AttachmentDoc[] = [];
  for (const att of mail.attachments) {
    const more = await describeAttachment(att, flags, depth);
    attachments.push(...more.docs);
    if (!body && more.body) body = more.body;
  }
  if (body.length > MAX_BODY_CHARS) (body = body.slice(0, MAX_BODY_CHARS)), flags.add('body-truncated');
  return {
    messageId: mail.messageId,
    inReplyTo: mail.inReplyTo,
    references: typeof mail.references === 'string' ? [mail.references] : (mail.references ?? []),
    subject: mail.subject ?? '',
    from: addresses(mail.from),
    to: addresses(mail.to),
    cc: addresses(mail.cc),
    bcc: addresses(mail.bcc),
    date: mail.date && !Number.isNaN(mail.date.getTime()) ? mail.date.toISOString() : undefined,
    body,
    attachments,
    flags: [...flags],
  };
}

/** One attachment as index entries; TNEF (winmail.dat) is opened into the files it carries. */
async function describeAttachment(att: Attachment, flags: Set<string>, depth: number): Promise<{ docs: AttachmentDoc[]; body?: string }> {
  const filename = att.filename ?? (att.contentType === 'message/rfc822' ? 'message.eml' : 'attachment');
  const isTnef = att.contentType === 'application/ms-tnef' || filename.toLowerCase() === 'winmail.dat';
  if (isTnef) {
    try {
      const tnef = decodeTnef(att.content);
      flags.add('tnef');
      const docs: AttachmentDoc[] = [];
      for (const inner of tnef.attachments) {
        const contentType = inner.contentType ?? 'application/octet-stream';
        docs.push({ filename: inner.filename, contentType, size: inner.content.length, text: await textOf({ filename: inner.filename, contentType, content: inner.content }, flags) });
      }
      return { docs, body: tnef.body };
    } catch {
      flags.add('tnef-failed');
    }
  }
  const text = depth < MAX_NESTED_DEPTH ? await textOf({ filename, contentType: att.contentType, content: att.content }, flags) : undefined;
  return { docs: [{ filename, contentType: att.contentType, size: att.size ?? att.content.length, text }] };
}

async function textOf(att: { filename: string; contentType: string; content: Buffer }, flags: Set<string>): Promise<string | undefined> {
  const r = await extractText(att);
  if (r.error) flags.add('extract-failed');
  return r.text;
}

function addresses(obj: AddressObject | AddressObject[] | undefined): Address[] {
  const out: Address[] = [];
  const visit = (list: Array<{ address?: string; name?: string; group?: unknown[] }>) => {
    for (const a of list) {
      if (a.group) visit(a.group as typeof list);
      else if (a.address) out.push({ address: a.address.toLowerCase(), ...(a.name ? { name: a.name } : {}) });
    }
  };
  for (const o of Array.isArray(obj) ? obj : obj ? [obj] : []) visit(o.value);
  return out;
}

/** Reads what it can of a message the parser could not handle, flagged with `reason`. */
export function parseLeniently(raw: Buffer, reason: string): ParsedMessage {
  const flags = new Set<string>([reason]);
  if (hasEightBitHeaders(raw)) flags.add('8bit-headers');
  return readWhatWeCan(raw, flags);
}

