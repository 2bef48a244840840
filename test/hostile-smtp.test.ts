// SMTP abuse against the journaling receiver (issue 9 item 4): command floods, pipelining abuse,
// DATA smuggling, over-long command lines, too many connections, and a client that hangs up
// mid-DATA. Each abuse gets its RFC 5321 answer, and a normal client is still served afterwards.
import { beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { messageKey, MESSAGE_INGESTED } from '../ingest/index.ts';
import { MAX_COMMAND_LINE_OCTETS } from '../ingest/smtp/smtp-receiver.ts';
import { buildMail } from './fixtures/mail.ts';
import { journalHttp, useTestStele, type TestStele } from './harness.ts';
import { CLOSED, RawSmtp, sendRaw, type Reply } from './fuzz/raw-smtp.ts';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const MAX_CLIENTS = 5;

async function readN(c: RawSmtp, n: number): Promise<Reply[]> {
  const out: Reply[] = [];
  for (let i = 0; i < n; i++) {
    const r = await c.readReply(20_000);
    out.push(r);
    if (r === CLOSED) break;
  }
  return out;
}

async function greeted(port: number): Promise<RawSmtp> {
  const c = await RawSmtp.connect(port);
  assert.equal((await c.readReply()).code, 220);
  return c;
}

describe('SMTP abuse', () => {
  const stele = useTestStele({ env: { STELE_SMTP_MAX_CLIENTS: String(MAX_CLIENTS) } });
  let s: TestStele;
  beforeEach(async () => {
    s = stele();
  });

  /** A well-behaved journaling server still gets its message archived. */
  async function stillServes(what: string): Promise<void> {
    const raw = buildMail({ subject: `after ${what}` });
    const t = await sendRaw(s.smtpPort, raw, { from: 'mta@clinic.example', to: ['archive@stele.example'] }, 30_000);
    assert.equal(t.final.code, 250, `${what}: ${t.final.text}`);
  }

  it('answers a flood of unknown commands with 500s, then 421 and hangs up', async () => {
    const c = await greeted(s.smtpPort);
    await c.write('XYZZY\r\n'.repeat(5000));
    const replies = await readN(c, 5000);
    const codes = replies.map((r) => r.code);
    assert.deepEqual(codes.slice(0, 9), Array(9).fill(500));
    assert.equal(codes[9], 421, replies[9]?.text);
    assert.equal(codes[10], 0, 'the connection is closed after the 421');
    c.close();
    await stillServes('an unknown-command flood');
  });

  it('answers thousands of pipelined NOOP and RSET, reading them only as fast as the client reads replies', async () => {
    const c = await greeted(s.smtpPort);
    assert.equal((await c.command('EHLO flood.test')).code, 250);
    const n = 5000;
    await c.write('NOOP\r\nRSET\r\n'.repeat(n / 2));
    // Meanwhile another client is served: the flood does not starve the event loop.
    await stillServes('a NOOP flood (concurrently)');
    const replies = await readN(c, n);
    assert.equal(replies.length, n);
    assert.ok(replies.every((r) => r.code === 250), JSON.stringify(replies.find((r) => r.code !== 250)));
    c.close();
  });

  it('keeps the transactions of a client that pipelines everything apart, and data sent before 354 is data', async () => {
    const c = await greeted(s.smtpPort);
    const mails = [0, 1, 2].map((i) => buildMail({ subject: `pipelined ${i}` }));
    // RFC 2920 allows pipelining up to DATA; this client also sends the content before 354.
    const script = mails.map((m) => `MAIL FROM:<p@clinic.example>\r\nRCPT TO:<a${sha(m).slice(0, 6)}@clinic.example>\r\nDATA\r\n${m.toString('latin1')}.\r\n`).join('');
    await c.write(`EHLO pipe.test\r\n${script}QUIT\r\n`);
    const replies = await readN(c, 1 + 4 * mails.length + 1);
    const codes = replies.map((r) => r.code);
    assert.deepEqual(codes, [250, ...mails.flatMap(() => [250, 250, 354, 250]), 221], JSON.stringify(replies));
    for (const m of mails) {
      assert.deepEqual(await s.core.vault.getOpened(messageKey(sha(m))), m, 'each message archived exactly as sent');
      const entry = s.core.ledger.first(MESSAGE_INGESTED, sha(m));
      assert.deepEqual((entry?.data as { envelope: { rcptTo: string[] } }).envelope.rcptTo, [`a${sha(m).slice(0, 6)}@clinic.example`]);
    }
  });

  it('does not end DATA at a bare-LF dot (no SMTP smuggling): the would-be second message stays inside the first', async () => {
    const c = await greeted(s.smtpPort);
    const smuggled = 'MAIL FROM:<evil@x.example>\r\nRCPT TO:<victim@x.example>\r\nDATA\r\nSubject: smuggled\r\n\r\nforged\r\n';
    const raw = Buffer.from(`From: a@clinic.example\r\nSubject: carrier\r\n\r\nhello\n.\n${smuggled}\r.\r\nend\r\n`);
    await c.write(`EHLO smuggle.test\r\nMAIL FROM:<a@clinic.example>\r\nRCPT TO:<b@clinic.example>\r\nDATA\r\n`);
    assert.deepEqual((await readN(c, 4)).map((r) => r.code), [250, 250, 250, 354]);
    await c.write(Buffer.concat([raw, Buffer.from('.\r\n')]));
    const done = await c.readReply();
    assert.equal(done.code, 250, done.text);
    assert.match(done.text, new RegExp(sha(raw)));
    assert.deepEqual(await s.core.vault.getOpened(messageKey(sha(raw))), raw);
    assert.equal((await c.command('NOOP')).code, 250, 'and nothing smuggled is pending');
    c.close();
    assert.equal(s.core.ledger.query({ types: [MESSAGE_INGESTED] }).filter((e) => (e.data as { envelope: { mailFrom?: string } }).envelope.mailFrom === 'evil@x.example').length, 0);
  });

  it('accepts a command line a little over 512 octets, and cuts one past the cap with 421', async () => {
    const c = await greeted(s.smtpPort);
    // RFC 5321 4.5.3.1.4 lets extensions lengthen lines; up to the cap a long line is just a line.
    assert.equal((await c.command(`NOOP ${'x'.repeat(600)}`)).code, 250);
    await c.write(`NOOP ${'x'.repeat(MAX_COMMAND_LINE_OCTETS * 4)}\r\n`);
    const r = await c.readReply();
    assert.equal(r.code, 421, r.text);
    assert.match(r.text, /too long/i);
    assert.equal(await c.readReply(5_000), CLOSED);
    await stillServes('an over-long line');
  });

  it(`answers 421 to connections beyond the limit (${MAX_CLIENTS}), and serves again once they close`, async () => {
    const open: RawSmtp[] = [];
    for (let i = 0; i < MAX_CLIENTS; i++) open.push(await greeted(s.smtpPort));
    const extra = await Promise.all([0, 1, 2].map(() => RawSmtp.connect(s.smtpPort)));
    for (const c of extra) {
      const r = await c.readReply();
      assert.equal(r.code, 421, r.text);
      assert.equal(await c.readReply(5_000), CLOSED);
    }
    for (const c of open) c.close();
    // Poll: the server counts a connection as gone once it saw the close.
    const until = Date.now() + 20_000;
    for (;;) {
      const c = await RawSmtp.connect(s.smtpPort);
      const r = await c.readReply();
      c.close();
      if (r.code === 220) break;
      assert.ok(Date.now() < until, `still refused: ${r.text}`);
    }
    await stillServes('a connection flood');
  });

  it('acknowledges and stores nothing of a message whose client hangs up mid-DATA', async () => {
    const raw = buildMail({ subject: 'cut off', text: 'z'.repeat(200_000) });
    const objectsBefore = await countObjects(s);
    const entriesBefore = s.core.ledger.query({ types: [MESSAGE_INGESTED] }).length;
    const c = await greeted(s.smtpPort);
    await c.write('EHLO drop.test\r\nMAIL FROM:<a@clinic.example>\r\nRCPT TO:<b@clinic.example>\r\nDATA\r\n');
    assert.deepEqual((await readN(c, 4)).map((r) => r.code), [250, 250, 250, 354]);
    await c.write(raw.subarray(0, raw.length / 2));
    c.close();
    // A whole transaction by another client runs after the server saw the hang-up (socket events
    // are handled in order); had the partial message reached the pipeline, it would be in flight
    // or done by then, so wait for the pipeline to be idle and look.
    await stillServes('a dropped DATA');
    const until = Date.now() + 20_000;
    while (s.pipeline.busy) {
      assert.ok(Date.now() < until, 'the pipeline goes idle');
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(s.core.ledger.query({ types: [MESSAGE_INGESTED] }).length, entriesBefore + 1, 'only the other client\'s message on the ledger');
    assert.deepEqual(await countObjects(s), objectsBefore.map((n) => n + 1), 'nothing partial in the vault');
    assert.equal(s.core.ledger.first(MESSAGE_INGESTED, sha(raw)), null);
    assert.equal(s.pipeline.receiveBudget.inUse, 0, 'the receive buffer it held is given back');
  });
});

describe('many big messages at once', () => {
  const MIB = 1024 * 1024;
  const stele = useTestStele({ env: { STELE_MAX_MESSAGE_BYTES: String(MIB), STELE_INGEST_BUFFER_BYTES: String(MIB) } });

  it('defers (451 / 503) what would take the receivers past their shared buffer, and takes it on retry', async () => {
    const s = stele();
    const big = (subject: string) => buildMail({ subject, text: 'q'.repeat(600 * 1024) });
    const slow = big('held open');
    const c = await greeted(s.smtpPort);
    await c.write('EHLO slow.test\r\nMAIL FROM:<a@clinic.example>\r\nRCPT TO:<b@clinic.example>\r\nDATA\r\n');
    assert.deepEqual((await readN(c, 4)).map((r) => r.code), [250, 250, 250, 354]);
    await c.write(slow.subarray(0, 550 * 1024));
    const until = Date.now() + 20_000;
    while (s.pipeline.receiveBudget.inUse < 500 * 1024) {
      assert.ok(Date.now() < until, 'the first message is being received');
      await new Promise((r) => setTimeout(r, 20));
    }
    // The first sender holds half the buffer; a second 600 KiB message does not fit beside it.
    const other = big('deferred');
    const t = await sendRaw(s.smtpPort, other, { from: 'a@clinic.example', to: ['b@clinic.example'] }, 30_000);
    assert.equal(t.final.code, 451, t.final.text);
    const http = await journalHttp(s.httpUrl, other);
    assert.equal(http.status, 503);
    assert.ok(Number(http.headers.get('retry-after')) > 0);
    // The first one completes, the buffer is free again, and the retry is archived.
    await c.write(Buffer.concat([slow.subarray(550 * 1024), Buffer.from('.\r\n')]));
    assert.equal((await c.readReply()).code, 250);
    c.close();
    assert.equal((await sendRaw(s.smtpPort, other, { from: 'a@clinic.example', to: ['b@clinic.example'] }, 30_000)).final.code, 250);
    assert.equal(s.pipeline.receiveBudget.inUse, 0, 'every byte given back');
    assert.deepEqual(await s.core.vault.getOpened(messageKey(sha(other))), other);
  });
});

async function countObjects(s: TestStele): Promise<number[]> {
  const counts: number[] = [];
  for (const r of s.core.vault.regions) {
    let n = 0;
    for await (const _ of r.list('messages/')) n++;
    counts.push(n);
  }
  return counts;
}
