// A raw-socket SMTP client for hostile tests: it sends exactly the bytes given (dot-stuffed only),
// can pipeline, flood and hang up mid-DATA, and reads replies without a protocol library's help.
import { connect, type Socket } from 'node:net';

export interface Reply {
  code: number;
  text: string;
}

/** What readReply() answers when the server hung up (or the deadline passed) before a reply. */
export const CLOSED: Reply = { code: 0, text: 'connection closed' };

export class RawSmtp {
  private buf = '';
  private readonly replies: Reply[] = [];
  private readonly pending: string[] = [];
  private waiter: (() => void) | null = null;
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.buf += d;
      this.parse();
    });
    const end = () => {
      this.closed = true;
      this.waiter?.();
    };
    socket.on('close', end);
    socket.on('error', end);
  }

  static connect(port: number): Promise<RawSmtp> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new RawSmtp(socket)));
      socket.once('error', reject);
    });
  }

  private parse(): void {
    let i: number;
    while ((i = this.buf.indexOf('\r\n')) >= 0) {
      const line = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 2);
      // RFC 5321 4.2.1: "ddd-" continues a reply, "ddd " (or a bare "ddd") ends it.
      if (/^\d{3}-/.test(line)) {
        this.pending.push(line);
        continue;
      }
      const text = [...this.pending.splice(0), line].join('\n');
      this.replies.push({ code: /^\d{3}/.test(line) ? Number(line.slice(0, 3)) : -1, text });
    }
    this.waiter?.();
  }

  /** The next reply, or CLOSED if the server hung up or nothing came within `timeoutMs`. */
  async readReply(timeoutMs = 30_000): Promise<Reply> {
    const deadline = Date.now() + timeoutMs;
    while (this.replies.length === 0) {
      if (this.closed || Date.now() >= deadline) return CLOSED;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiter = () => (clearTimeout(t), resolve());
      });
      this.waiter = null;
    }
    return this.replies.shift()!;
  }

  /** Writes without waiting for a reply; resolves once the socket took the bytes (or closed). */
  write(data: string | Buffer): Promise<void> {
    if (this.closed || this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.write(data, () => resolve());
    });
  }

  async command(line: string, timeoutMs?: number): Promise<Reply> {
    await this.write(`${line}\r\n`);
    return this.readReply(timeoutMs);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** RFC 5321 4.5.2: a line starting with "." gets one more; smtp-server strips it after any LF. */
export function dotStuff(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  let from = 0;
  if (raw[0] === 0x2e) parts.push(Buffer.from('.'));
  for (let i = raw.indexOf('\n.'); i >= 0; i = raw.indexOf('\n.', i + 1)) {
    parts.push(raw.subarray(from, i + 1), Buffer.from('.'));
    from = i + 1;
  }
  parts.push(raw.subarray(from));
  return Buffer.concat(parts);
}

/** The bytes an SMTP server stores for `raw`: the line before the final dot always ends in CRLF. */
export function asReceivedOverSmtp(raw: Buffer): Buffer {
  return raw.subarray(raw.length - 2).toString('latin1') === '\r\n' ? raw : Buffer.concat([raw, Buffer.from('\r\n')]);
}

export interface Transaction {
  /** Reply to DATA's end (or to the first command that failed). */
  final: Reply;
  accepted: number;
  /** RCPT replies other than 250, by code. */
  refused: Map<number, number>;
}

/**
 * One mail transaction. Recipients are pipelined (RFC 2920) in batches so 100k of them take
 * seconds, not 100k round trips. Every read has `timeoutMs`: a hang shows up as CLOSED.
 */
export async function sendRaw(port: number, raw: Buffer, envelope: { from: string; to: string[] }, timeoutMs = 60_000): Promise<Transaction> {
  const c = await RawSmtp.connect(port);
  const refused = new Map<number, number>();
  let accepted = 0;
  try {
    const fail = (final: Reply): Transaction => ({ final, accepted, refused });
    let r = await c.readReply(timeoutMs);
    if (r.code !== 220) return fail(r);
    if ((r = await c.command('EHLO fuzz.test', timeoutMs)).code !== 250) return fail(r);
    if ((r = await c.command(`MAIL FROM:<${envelope.from}>`, timeoutMs)).code !== 250) return fail(r);
    for (let i = 0; i < envelope.to.length; i += 1000) {
      const batch = envelope.to.slice(i, i + 1000);
      await c.write(batch.map((a) => `RCPT TO:<${a}>\r\n`).join(''));
      for (let j = 0; j < batch.length; j++) {
        r = await c.readReply(timeoutMs);
        if (r.code === 250) accepted++;
        else if (r.code === 0) return fail(r);
        else refused.set(r.code, (refused.get(r.code) ?? 0) + 1);
      }
    }
    if ((r = await c.command('DATA', timeoutMs)).code !== 354) return fail(r);
    const body = dotStuff(raw);
    await c.write(body);
    await c.write(asReceivedOverSmtp(raw) === raw ? '.\r\n' : '\r\n.\r\n');
    const final = await c.readReply(timeoutMs);
    if (final.code !== 0) await c.command('QUIT', 5_000);
    return { final, accepted, refused };
  } finally {
    c.close();
  }
}
