// The optional .mbox of a production: every native in control-number order, mboxrd-quoted
// (RFC 4155 plus the mboxrd rule), so a mail client or importer can open the whole set at once.
// The messages keep their bytes and line endings; only the quoting '>' and separators are added.
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';

const FROM_ = Buffer.from('From ');
const GT = 0x3e;
const NL = 0x0a;
const QUOTE = Buffer.from('>');
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** asctime(3) in UTC, the date form of a From_ line: "Thu Jan  1 00:00:00 2020". */
export function asctime(d: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} `
    + `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

/** "From <sender> <date>\n"; a sender that is missing or not one token becomes MAILER-DAEMON. */
export function fromLine(sender: string | undefined, date: Date): string {
  const who = sender && /^[^\s\x00-\x1f\x7f]{1,320}$/.test(sender) ? sender : 'MAILER-DAEMON';
  return `From ${who} ${asctime(Number.isNaN(date.getTime()) ? new Date(0) : date)}\n`;
}

/**
 * mboxrd: every line matching /^>*From / gets one more '>', which a reader removes again, so the
 * message comes back byte for byte. Answers the pieces to write (no copy of the message).
 */
export function mboxrdQuote(raw: Buffer): Buffer[] {
  const pieces: Buffer[] = [];
  let last = 0;
  for (let at = raw.indexOf(FROM_); at !== -1; at = raw.indexOf(FROM_, at + 1)) {
    let start = at;
    while (start > 0 && raw[start - 1] === GT) start--;
    if (start !== 0 && raw[start - 1] !== NL) continue; // "From " inside a line
    pieces.push(raw.subarray(last, start), QUOTE);
    last = start;
  }
  pieces.push(raw.subarray(last));
  return pieces;
}

/** Appends messages to an mbox file, waiting on the stream when its buffer is full. */
export class MboxWriter {
  private readonly s: WriteStream;
  private failure: unknown = null;
  constructor(readonly path: string) {
    this.s = createWriteStream(path, { flags: 'wx' });
    this.s.on('error', (e) => (this.failure ??= e));
  }

  async add(raw: Buffer, sender: string | undefined, date: Date): Promise<void> {
    // A message that does not end its last line gets a newline, so the separator's blank line
    // (which readers drop) stays a line of its own.
    const end = raw.length && raw[raw.length - 1] === NL ? '\n' : '\n\n';
    for (const piece of [Buffer.from(fromLine(sender, date)), ...mboxrdQuote(raw), Buffer.from(end)]) {
      if (this.failure) throw this.failure;
      if (piece.length && !this.s.write(piece)) await once(this.s, 'drain');
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve, reject) => this.s.end((err?: Error | null) => (err ? reject(err) : resolve())));
    if (this.failure) throw this.failure;
  }
}
