// Streams the messages out of an mbox file (mboxo and mboxrd, RFC 4155) with bounded memory:
// a line splitter over a read stream, so a multi-gigabyte mailbox is never held whole.
import { createReadStream } from 'node:fs';

/** One message of an mbox, located by byte offsets so an import can resume after it. */
export interface MboxMessage {
  /** Offset of the message's "From " separator line (or of its first byte when it has none). */
  offset: number;
  /** Offset just past the message: the next separator line, or the end of the file. */
  next: number;
  /** The message bytes, ">From " unescaped; null when it is over the size cap (not kept). */
  raw: Buffer | null;
  /** Bytes of the message as stored in the mbox (after unescaping), also when over the cap. */
  size: number;
}

/** Longer lines are passed on in pieces, so one line without a newline cannot exhaust memory. */
const MAX_LINE_PIECE = 1024 * 1024;
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const FROM_ = Buffer.from('From ');
const NL = 0x0a;
const GT = 0x3e;

interface Current {
  offset: number;
  parts: Buffer[];
  size: number;
  oversize: boolean;
}

/**
 * Splits an mbox into messages, fed chunk by chunk (synchronous, so a per-line async hop does
 * not dominate a multi-GB import). Rules, as MimeKit and Python's mailbox read them:
 * - a line starting with "From " separates messages (writers escape such lines in bodies);
 * - one '>' is removed from lines matching /^>+From / (mboxrd; for mboxo this undoes ">From ");
 * - the empty line a writer adds before the next separator is not part of the message;
 * - a UTF-8 byte order mark before the first separator is skipped; non-blank text before the
 *   first separator is kept as a message of its own (nothing is lost for being odd).
 */
export class MboxSplitter {
  private pos: number;
  private carry: Buffer | null = null;
  private carryOffset = 0;
  /** What the rest of a line already partly passed on is: separator text is dropped. */
  private longLine: 'none' | 'content' | 'separator' = 'none';
  private cur: Current | null = null;
  private out: MboxMessage[] = [];
  private run: { buf: Buffer; start: number; end: number } | null = null;

  constructor(
    private readonly maxMessageBytes: number,
    startOffset = 0,
  ) {
    this.pos = startOffset;
  }

  /** Feeds the next bytes; returns the messages that are complete. */
  push(chunk: Buffer): MboxMessage[] {
    let buf = chunk;
    let base = this.pos;
    if (this.carry) {
      buf = Buffer.concat([this.carry, chunk]);
      base = this.carryOffset;
      this.carry = null;
    }
    this.pos += chunk.length;
    let i = base === 0 && buf.length >= 3 && buf.subarray(0, 3).equals(UTF8_BOM) ? 3 : 0;
    for (;;) {
      const nl = buf.indexOf(NL, i);
      if (nl === -1) break;
      this.piece(buf, i, nl + 1, base, true);
      i = nl + 1;
    }
    if (buf.length - i > MAX_LINE_PIECE) {
      this.piece(buf, i, buf.length, base, false);
    } else if (i < buf.length) {
      this.carry = Buffer.from(buf.subarray(i)); // a copy, so the chunk itself can be freed
      this.carryOffset = base + i;
    }
    this.flushRun();
    return this.take();
  }

  /** The input ended: returns the last message. */
  end(): MboxMessage[] {
    if (this.carry) {
      const c = this.carry;
      this.carry = null;
      this.piece(c, 0, c.length, this.carryOffset, true);
      this.flushRun();
    }
    this.finish(this.pos);
    return this.take();
  }

  private take(): MboxMessage[] {
    const out = this.out;
    this.out = [];
    return out;
  }

  /** Handles bytes [s, e) of buf; `lineEnds` says whether they end the line they are part of. */
  private piece(buf: Buffer, s: number, e: number, base: number, lineEnds: boolean): void {
    const continuing = this.longLine;
    this.longLine = 'none';
    if (continuing === 'separator') {
      if (!lineEnds) this.longLine = 'separator';
      return;
    }
    if (continuing === 'content') {
      this.append(buf, s, e, base);
      if (!lineEnds) this.longLine = 'content';
      return;
    }
    if (startsWith(buf, s, e, FROM_)) {
      this.flushRun();
      this.finish(base + s);
      this.cur = { offset: base + s, parts: [], size: 0, oversize: false };
      if (!lineEnds) this.longLine = 'separator';
      return;
    }
    if (!this.cur && lineEnds && isBlank(buf.subarray(s, e))) return; // blank lines before the first separator
    if (buf[s] === GT && isEscapedFrom(buf, s, e)) this.append(buf, s + 1, e, base);
    else this.append(buf, s, e, base);
    if (!lineEnds) this.longLine = 'content';
  }

  /** Adds bytes to the current message, merging adjacent ranges of one buffer into one part. */
  private append(buf: Buffer, s: number, e: number, base: number): void {
    if (!this.cur) this.cur = { offset: base + s, parts: [], size: 0, oversize: false }; // text before any separator
    const cur = this.cur;
    cur.size += e - s;
    if (cur.oversize) return;
    if (cur.size > this.maxMessageBytes) {
      cur.oversize = true;
      cur.parts = [];
      this.run = null;
      return;
    }
    if (this.run && this.run.buf === buf && this.run.end === s) {
      this.run.end = e;
      return;
    }
    this.flushRun();
    this.run = { buf, start: s, end: e };
  }

  private flushRun(): void {
    if (this.run && this.cur && !this.cur.oversize) this.cur.parts.push(this.run.buf.subarray(this.run.start, this.run.end));
    this.run = null;
  }

  private finish(next: number): void {
    const cur = this.cur;
    this.cur = null;
    if (!cur) return;
    if (cur.oversize) {
      this.out.push({ offset: cur.offset, next, raw: null, size: cur.size });
      return;
    }
    let raw = Buffer.concat(cur.parts, cur.size);
    raw = raw.subarray(0, raw.length - separatorBlankLine(raw));
    if (isBlank(raw)) return; // blank lines before the first separator, or an empty entry: nothing to keep
    this.out.push({ offset: cur.offset, next, raw, size: raw.length });
  }
}

function startsWith(buf: Buffer, s: number, e: number, prefix: Buffer): boolean {
  if (e - s < prefix.length) return false;
  for (let k = 0; k < prefix.length; k++) if (buf[s + k] !== prefix[k]) return false;
  return true;
}

/** /^>+From / */
function isEscapedFrom(buf: Buffer, s: number, e: number): boolean {
  let k = s;
  while (k < e && buf[k] === GT) k++;
  return k > s && startsWith(buf, k, e, FROM_);
}

/** Length of the empty line an mbox writer put after the message ("\n" or "\r\n"), else 0. */
function separatorBlankLine(raw: Buffer): number {
  const n = raw.length;
  if (n >= 2 && raw[n - 1] === NL && raw[n - 2] === NL) return 1;
  if (n >= 3 && raw[n - 1] === NL && raw[n - 2] === 0x0d && raw[n - 3] === NL) return 2;
  return 0;
}

function isBlank(raw: Buffer): boolean {
  for (const b of raw) if (b !== NL && b !== 0x0d && b !== 0x20 && b !== 0x09) return false;
  return true;
}

/** Reads an mbox from `start` (a separator offset from an earlier run) and yields its messages. */
export async function* readMbox(path: string, opts: { maxMessageBytes: number; start?: number }): AsyncGenerator<MboxMessage> {
  const start = opts.start ?? 0;
  const splitter = new MboxSplitter(opts.maxMessageBytes, start);
  const stream = createReadStream(path, { start, highWaterMark: MAX_LINE_PIECE });
  try {
    for await (const chunk of stream) yield* splitter.push(chunk as Buffer);
    yield* splitter.end();
  } finally {
    stream.destroy();
  }
}

/** True when the bytes look like an mbox: optional BOM and blank lines, then "From ". */
export function looksLikeMbox(head: Buffer): boolean {
  let i = head.subarray(0, 3).equals(UTF8_BOM) ? 3 : 0;
  while (i < head.length && (head[i] === NL || head[i] === 0x0d)) i++;
  return startsWith(head, i, head.length, FROM_);
}
