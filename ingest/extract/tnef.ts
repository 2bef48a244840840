// Decodes TNEF blobs (winmail.dat, application/ms-tnef) into attachments and bodies, per [MS-OXTNEF].
//
// The blob is untrusted: every length is checked against the bytes that are really there, work is
// one pass over the input, and no allocation depends on a size the blob claims (attachment content
// is a view into the input, the RTF body is capped). Damage inside one attribute's MAPI property
// list is contained to that attribute and reported as a warning; damage to the attribute framing
// itself (signature, level, a length past the end, trailing bytes) makes the blob broken, and
// decodeTnef throws a TnefDecodeError that still carries what was decoded before the break.

import { SteleError } from '../../core/errors.ts';
import { decodeCodepage, decodeUtf8OrLatin1 } from './codepage.ts';
import { decompressRtf } from './compressed-rtf.ts';

export const TNEF_SIGNATURE = 0x223e9f78; // [MS-OXTNEF] 2.1.3.1, little-endian on the wire

/** Attribute levels ([MS-OXTNEF] 2.1.3.3). */
const LVL_MESSAGE = 0x01;
const LVL_ATTACHMENT = 0x02;

/** Attribute IDs, low 16 bits of the 32-bit ID; the high 16 bits only name the legacy value type. */
const ATT = {
  subject: 0x8004,
  body: 0x800c,
  attachData: 0x800f,
  attachTitle: 0x8010,
  attachRendData: 0x9002,
  msgProps: 0x9003,
  attachment: 0x9005,
  oemCodepage: 0x9007,
} as const;

/** MAPI property IDs ([MS-OXPROPS]). */
const PR = {
  subject: 0x0037,
  body: 0x1000,
  rtfCompressed: 0x1009,
  bodyHtml: 0x1013,
  displayName: 0x3001,
  attachData: 0x3701, // PR_ATTACH_DATA_BIN (PtypBinary) or PR_ATTACH_DATA_OBJ (PtypObject)
  attachFilename: 0x3704,
  attachMethod: 0x3705,
  attachLongFilename: 0x3707,
  attachMimeTag: 0x370e,
  internetCodepage: 0x3fde,
  messageCodepage: 0x3ffd,
} as const;

/** MAPI property types ([MS-OXCDATA] 2.11.1). */
const PT = {
  string8: 0x001e,
  unicode: 0x001f,
  binary: 0x0102,
  object: 0x000d,
  serverId: 0x00fb,
  multiValued: 0x1000,
} as const;

/** Byte width of fixed-size property types; TNEF pads each value to a multiple of 4 ([MS-OXTNEF] 2.1.3.4). */
const FIXED_WIDTH: ReadonlyMap<number, number> = new Map([
  [0x0002, 2], // PtypInteger16
  [0x0003, 4], // PtypInteger32
  [0x0004, 4], // PtypFloating32
  [0x0005, 8], // PtypFloating64
  [0x0006, 8], // PtypCurrency
  [0x0007, 8], // PtypFloatingTime
  [0x000a, 4], // PtypErrorCode
  [0x000b, 2], // PtypBoolean
  [0x0014, 8], // PtypInteger64
  [0x0040, 8], // PtypTime
  [0x0048, 16], // PtypGuid
]);
const VARIABLE_TYPES: ReadonlySet<number> = new Set([PT.string8, PT.unicode, PT.binary, PT.object, PT.serverId]);

/** PR_ATTACH_METHOD values ([MS-OXCMSG] 2.2.2.9). */
const ATTACH_EMBEDDED_MSG = 5;
/** IID_IMessage: a PtypObject attachment whose data is a whole message, itself TNEF-encoded. */
const IID_IMESSAGE = Buffer.from('0703020000000000c000000000000046', 'hex');
const IID_BYTES = 16;

/** Every attribute costs at least this much: level, ID, length, checksum. */
const ATTRIBUTE_OVERHEAD = 1 + 4 + 4 + 2;

export const TNEF_CONTENT_TYPE = 'application/ms-tnef';

export interface TnefAttachment {
  /** Untrusted text from the sender: never use it as a path. */
  filename: string;
  /** A view into the input buffer (no copy): keeping it keeps the whole blob alive. */
  content: Buffer;
  /** From PR_ATTACH_MIME_TAG, or application/ms-tnef for an embedded message (decode it again). */
  contentType?: string;
}

export interface TnefResult {
  attachments: TnefAttachment[];
  body?: string;
  bodyHtml?: string;
  /** The decompressed PR_RTF_COMPRESSED body, as Latin-1 text (RTF escapes anything wider). */
  bodyRtf?: string;
  subject?: string;
  /** Damage that was contained and skipped: a bad checksum, an unreadable property list, a bad RTF CRC. */
  warnings: string[];
}

export interface TnefOptions {
  /** More attachments than this makes the blob broken. */
  maxAttachments?: number;
  /** Cap on the decompressed RTF body; a larger one is dropped with a warning. */
  maxRtfBytes?: number;
}

const DEFAULT_MAX_ATTACHMENTS = 10_000;
const DEFAULT_MAX_RTF_BYTES = 16 * 1024 * 1024;
/** A blob of a million bad checksums should not give a million strings. */
const MAX_WARNINGS = 100;

/** A blob whose TNEF framing is broken. `partial` holds what was decoded before the break. */
export class TnefDecodeError extends SteleError {
  readonly offset: number;
  readonly partial: TnefResult;

  constructor(message: string, offset: number, partial: TnefResult) {
    super('bad_request', `TNEF: ${message} (at byte ${offset})`, { details: { format: 'tnef', offset } });
    this.name = 'TnefDecodeError';
    this.offset = offset;
    this.partial = partial;
  }
}

/** Thrown inside a MAPI property list; caught per attribute and turned into a warning. */
class PropertyListError extends Error {}

interface MapiProperty {
  id: number;
  type: number; // without the multi-valued flag
  values: Buffer[];
}

interface AttachmentDraft {
  title?: string;
  longFilename?: string;
  filename?: string;
  displayName?: string;
  mimeTag?: string;
  method?: number;
  attData?: Buffer;
  mapiData?: { type: number; value: Buffer };
}

/** Reads little-endian fields off a buffer, refusing to step past its end. */
class Cursor {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  take(n: number, what: string): Buffer {
    if (n > this.remaining) throw new PropertyListError(`${what} needs ${n} bytes, ${this.remaining} left`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  u16(what: string): number {
    return this.take(2, what).readUInt16LE(0);
  }

  u32(what: string): number {
    return this.take(4, what).readUInt32LE(0);
  }

  /** Skips padding to a 4-byte boundary; a list that ends without its last padding is tolerated. */
  pad(len: number): void {
    this.pos += Math.min((4 - (len % 4)) % 4, this.remaining);
  }
}

/** Parses a MAPI property list; properties read before an error are kept in `into`. */
function readPropertyList(data: Buffer, into: MapiProperty[]): void {
  const cur = new Cursor(data);
  const count = cur.u32('property count');
  // The smallest property (tag plus a 4-byte value) takes 8 bytes: a larger count is a lie.
  if (count > cur.remaining / 8) throw new PropertyListError(`property count ${count} cannot fit in ${data.length} bytes`);
  for (let i = 0; i < count; i++) {
    const rawType = cur.u16('property type');
    const id = cur.u16('property id');
    if (id >= 0x8000) {
      // A named property: GUID, then a numeric ID or a UTF-16 name ([MS-OXTNEF] 2.1.3.5).
      cur.take(16, 'named property GUID');
      const kind = cur.u32('named property kind');
      if (kind === 0) cur.take(4, 'named property ID');
      else if (kind === 1) {
        const nameLen = cur.u32('named property name length');
        cur.take(nameLen, 'named property name');
        cur.pad(nameLen);
      } else throw new PropertyListError(`named property kind ${kind} is neither ID nor name`);
    }
    const multi = (rawType & PT.multiValued) !== 0;
    const type = rawType & ~PT.multiValued;
    const values: Buffer[] = [];
    const width = FIXED_WIDTH.get(type);
    if (width !== undefined) {
      const padded = Math.ceil(width / 4) * 4;
      const n = multi ? cur.u32('value count') : 1;
      if (n > cur.remaining / padded) throw new PropertyListError(`value count ${n} cannot fit`);
      for (let v = 0; v < n; v++) values.push(cur.take(padded, 'fixed value').subarray(0, width));
    } else if (VARIABLE_TYPES.has(type)) {
      // Variable-size values carry a count even when single-valued.
      const n = cur.u32('value count');
      if (n > cur.remaining / 4) throw new PropertyListError(`value count ${n} cannot fit`);
      for (let v = 0; v < n; v++) {
        const len = cur.u32('value length');
        values.push(cur.take(len, `value of property 0x${id.toString(16)}`));
        cur.pad(len);
      }
    } else {
      throw new PropertyListError(`property 0x${id.toString(16)} has unsupported type 0x${rawType.toString(16)}`);
    }
    into.push({ id, type, values });
  }
}

/** Strings end at their first NUL (the terminator; what follows is padding or junk). */
function cutAtNul(s: string): string {
  const end = s.indexOf('\0');
  return end === -1 ? s : s.slice(0, end);
}

/** Text of a string-ish property: PtypString is UTF-16LE, PtypString8 and PtypBinary use the code page. */
function propText(p: MapiProperty, codepage: number | undefined): string | undefined {
  const v = p.values[0];
  if (!v) return undefined;
  if (p.type === PT.unicode) return cutAtNul(v.toString('utf16le'));
  if (p.type === PT.string8 || p.type === PT.binary) return cutAtNul(decodeCodepage(v, codepage));
  return undefined;
}

function propInt(p: MapiProperty): number | undefined {
  const v = p.values[0];
  return v && v.length >= 2 ? (v.length >= 4 ? v.readInt32LE(0) : v.readInt16LE(0)) : undefined;
}

/**
 * Decodes a TNEF blob. Throws TnefDecodeError (code bad_request) when the blob is not TNEF or its
 * framing is broken; returns warnings for damage that could be skipped.
 */
export function decodeTnef(buf: Buffer, opts: TnefOptions = {}): TnefResult {
  const maxAttachments = opts.maxAttachments ?? DEFAULT_MAX_ATTACHMENTS;
  const maxRtfBytes = opts.maxRtfBytes ?? DEFAULT_MAX_RTF_BYTES;
  const warnings: string[] = [];
  const warn = (w: string): void => {
    if (warnings.length < MAX_WARNINGS) warnings.push(w);
    else if (warnings.length === MAX_WARNINGS) warnings.push('more warnings left out');
  };
  const drafts: AttachmentDraft[] = [];
  const messageProps: MapiProperty[] = [];
  let oemCodepage: number | undefined;
  let attSubject: Buffer | undefined;
  let attBody: Buffer | undefined;

  const finish = (): TnefResult => buildResult(drafts, messageProps, { oemCodepage, attSubject, attBody, maxRtfBytes, warnings });
  const fail = (message: string, offset: number): never => {
    throw new TnefDecodeError(message, offset, finish());
  };

  if (!Buffer.isBuffer(buf)) throw new TypeError('decodeTnef: expected a Buffer');
  if (buf.length < 6) fail(`${buf.length} bytes is too short for a TNEF header`, 0);
  const signature = buf.readUInt32LE(0);
  if (signature !== TNEF_SIGNATURE) fail(`bad signature 0x${signature.toString(16).padStart(8, '0')}`, 0);

  let off = 6; // signature and the 2-byte legacy key
  while (off < buf.length) {
    if (buf.length - off < ATTRIBUTE_OVERHEAD) fail(`${buf.length - off} trailing bytes are too few for an attribute`, off);
    const level = buf[off]!;
    const id = buf.readUInt32LE(off + 1) & 0xffff;
    const size = buf.readUInt32LE(off + 5);
    if (level !== LVL_MESSAGE && level !== LVL_ATTACHMENT) fail(`invalid attribute level ${level}`, off);
    const start = off + 9;
    if (size > buf.length - start - 2) fail(`attribute 0x${id.toString(16)} claims ${size} bytes, ${buf.length - start - 2} left`, off);
    const data = buf.subarray(start, start + size);
    let sum = 0;
    for (let i = 0; i < data.length; i++) sum += data[i]!;
    if ((sum & 0xffff) !== buf.readUInt16LE(start + size)) warn(`attribute 0x${id.toString(16)} at byte ${off}: bad checksum`);

    const propsInto = (into: MapiProperty[]): void => {
      try {
        readPropertyList(data, into);
      } catch (err) {
        if (!(err instanceof PropertyListError)) throw err;
        warn(`attribute 0x${id.toString(16)} at byte ${off}: ${err.message}; rest of its properties skipped`);
      }
    };

    if (level === LVL_MESSAGE) {
      if (id === ATT.subject) attSubject = data;
      else if (id === ATT.body) attBody = data;
      else if (id === ATT.oemCodepage && size >= 4) oemCodepage = data.readUInt32LE(0);
      else if (id === ATT.msgProps) propsInto(messageProps);
    } else {
      if (id === ATT.attachRendData || drafts.length === 0) {
        if (drafts.length >= maxAttachments) fail(`more than ${maxAttachments} attachments`, off);
        drafts.push({});
      }
      const draft = drafts[drafts.length - 1]!;
      if (id === ATT.attachTitle) draft.title = cutAtNul(decodeCodepage(data, oemCodepage)).trim();
      else if (id === ATT.attachData) draft.attData = data;
      else if (id === ATT.attachment) {
        const props: MapiProperty[] = [];
        propsInto(props);
        applyAttachmentProps(draft, props, oemCodepage);
      }
    }
    off = start + size + 2;
  }
  return finish();
}

function applyAttachmentProps(draft: AttachmentDraft, props: MapiProperty[], codepage: number | undefined): void {
  for (const p of props) {
    switch (p.id) {
      case PR.attachLongFilename:
        draft.longFilename = propText(p, codepage)?.trim() || draft.longFilename;
        break;
      case PR.attachFilename:
        draft.filename = propText(p, codepage)?.trim() || draft.filename;
        break;
      case PR.displayName:
        draft.displayName = propText(p, codepage)?.trim() || draft.displayName;
        break;
      case PR.attachMimeTag:
        draft.mimeTag = propText(p, codepage)?.trim() || draft.mimeTag;
        break;
      case PR.attachMethod:
        draft.method = propInt(p);
        break;
      case PR.attachData:
        if ((p.type === PT.binary || p.type === PT.object) && p.values[0]) draft.mapiData = { type: p.type, value: p.values[0] };
        break;
    }
  }
}

interface MessageContext {
  oemCodepage: number | undefined;
  attSubject: Buffer | undefined;
  attBody: Buffer | undefined;
  maxRtfBytes: number;
  warnings: string[];
}

function buildResult(drafts: AttachmentDraft[], props: MapiProperty[], ctx: MessageContext): TnefResult {
  const byId = new Map<number, MapiProperty>();
  for (const p of props) byId.set(p.id, p);
  const cpOf = (id: number): number | undefined => {
    const p = byId.get(id);
    return p ? propInt(p) : undefined;
  };
  const messageCodepage = cpOf(PR.messageCodepage) ?? ctx.oemCodepage;
  const result: TnefResult = { attachments: [], warnings: ctx.warnings };

  const subject = byId.get(PR.subject);
  result.subject = subject ? propText(subject, messageCodepage) : undefined;
  if (result.subject === undefined && ctx.attSubject) result.subject = cutAtNul(decodeCodepage(ctx.attSubject, ctx.oemCodepage));

  const body = byId.get(PR.body);
  result.body = body ? propText(body, messageCodepage) : undefined;
  if (result.body === undefined && ctx.attBody) result.body = cutAtNul(decodeCodepage(ctx.attBody, ctx.oemCodepage));

  const html = byId.get(PR.bodyHtml);
  if (html?.values[0]) {
    // PR_BODY_HTML is usually PtypBinary in the Internet code page, which names the HTML's charset.
    const cpid = cpOf(PR.internetCodepage);
    result.bodyHtml =
      html.type === PT.unicode
        ? cutAtNul(html.values[0].toString('utf16le'))
        : cutAtNul(cpid !== undefined ? decodeCodepage(html.values[0], cpid) : decodeUtf8OrLatin1(html.values[0]));
  }

  const rtf = byId.get(PR.rtfCompressed);
  if (rtf?.values[0]) {
    try {
      const { rtf: bytes, crcOk } = decompressRtf(rtf.values[0], ctx.maxRtfBytes);
      if (!crcOk) ctx.warnings.push('PR_RTF_COMPRESSED: CRC mismatch, the RTF body may be damaged');
      result.bodyRtf = bytes.toString('latin1');
    } catch (err) {
      ctx.warnings.push(`PR_RTF_COMPRESSED: ${(err as Error).message}; RTF body dropped`);
    }
  }

  drafts.forEach((d, i) => {
    const attachment = finishAttachment(d, i);
    if (attachment) result.attachments.push(attachment);
  });
  for (const key of ['subject', 'body', 'bodyHtml', 'bodyRtf'] as const) if (result[key] === undefined) delete result[key];
  return result;
}

function finishAttachment(d: AttachmentDraft, index: number): TnefAttachment | undefined {
  const filename = d.longFilename || d.filename || d.title || d.displayName || `attachment-${index + 1}`;
  let content = d.attData;
  let contentType = d.mimeTag;
  if (d.mapiData?.type === PT.binary) content = d.mapiData.value;
  else if (d.mapiData?.type === PT.object && d.mapiData.value.length >= IID_BYTES) {
    // PtypObject values start with the interface ID; what follows is the object's storage.
    const iid = d.mapiData.value.subarray(0, IID_BYTES);
    content = d.mapiData.value.subarray(IID_BYTES);
    if (d.method === ATTACH_EMBEDDED_MSG || iid.equals(IID_IMESSAGE)) contentType = TNEF_CONTENT_TYPE;
  }
  if (!content) return undefined; // by reference, or damaged before any data: nothing to keep
  return contentType ? { filename, content, contentType } : { filename, content };
}
