// The mbox splitter on hand-made mailboxes: separators, unescaping, chunk-boundary independence,
// bounded memory for oversize messages and endless lines, and resuming at a recorded offset.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MboxSplitter, looksLikeMbox, readMbox, type MboxMessage } from './mbox-reader.ts';

const MB = 1024 * 1024;

function split(bytes: Buffer, chunkSizes: number[] | number, max = 64 * MB, start = 0): MboxMessage[] {
  const s = new MboxSplitter(max, start);
  const out: MboxMessage[] = [];
  let i = 0;
  let k = 0;
  while (i < bytes.length) {
    const n = typeof chunkSizes === 'number' ? chunkSizes : chunkSizes[k++ % chunkSizes.length]!;
    out.push(...s.push(bytes.subarray(i, i + n)));
    i += n;
  }
  out.push(...s.end());
  return out;
}

const text = (m: MboxMessage) => m.raw?.toString('latin1');

const MBOXRD = [
  'From alice@example.com Mon Jan  1 00:00:00 2024',
  'From: alice@example.com',
  'Subject: one',
  '',
  'Quoted lines:',
  '>From here (escaped once)',
  '>>From there (escaped twice)',
  '> From a reply quote (not an escape)',
  'Fromage is not a separator',
  '',
  'From bob@example.com Tue Jan  2 00:00:00 2024',
  'From: bob@example.com',
  'Subject: two',
  '',
  'last line',
  '',
].join('\n');

describe('MboxSplitter', () => {
  it('splits on "From " lines, drops the separator blank line and unescapes >From', () => {
    const msgs = split(Buffer.from(MBOXRD, 'latin1'), 1 << 20);
    assert.equal(msgs.length, 2);
    assert.equal(
      text(msgs[0]!),
      'From: alice@example.com\nSubject: one\n\nQuoted lines:\nFrom here (escaped once)\n>From there (escaped twice)\n> From a reply quote (not an escape)\nFromage is not a separator\n',
    );
    assert.equal(text(msgs[1]!), 'From: bob@example.com\nSubject: two\n\nlast line\n');
    assert.equal(msgs[0]!.offset, 0);
    assert.equal(msgs[0]!.next, MBOXRD.indexOf('From bob'));
    assert.equal(msgs[1]!.next, MBOXRD.length);
  });

  it('gives the same messages whatever the chunk boundaries', () => {
    const bytes = Buffer.from(MBOXRD, 'latin1');
    const whole = split(bytes, bytes.length).map(text);
    for (const sizes of [1, 2, 3, 5, 7, [1, 13, 2], [64, 1]]) assert.deepEqual(split(bytes, sizes).map(text), whole, `chunks ${sizes}`);
  });

  it('keeps CRLF mail byte-exact and drops only the CRLF blank line before the next separator', () => {
    const bytes = Buffer.from('From a\r\nSubject: x\r\n\r\nbody\r\n\r\nFrom b\r\nSubject: y\r\n\r\nz\r\n');
    const msgs = split(bytes, 4);
    assert.deepEqual(msgs.map(text), ['Subject: x\r\n\r\nbody\r\n', 'Subject: y\r\n\r\nz\r\n']);
  });

  it('skips a byte order mark and keeps non-blank text before the first separator', () => {
    const msgs = split(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('From -\nSubject: a\n\nx\n')]), 2);
    assert.deepEqual(msgs.map(text), ['Subject: a\n\nx\n']);
    assert.equal(msgs[0]!.offset, 3);
    const stray = split(Buffer.from('\n\nSubject: stray\n\nhello\nFrom -\nSubject: b\n\ny\n'), 5);
    assert.deepEqual(stray.map(text), ['Subject: stray\n\nhello\n', 'Subject: b\n\ny\n']);
  });

  it('reports an oversize message without keeping its bytes, and goes on', () => {
    const big = `From a\nSubject: big\n\n${'x'.repeat(5000)}\nFrom b\nSubject: small\n\nok\n`;
    const msgs = split(Buffer.from(big), 100, 1000);
    assert.equal(msgs.length, 2);
    assert.equal(msgs[0]!.raw, null);
    assert.ok(msgs[0]!.size > 5000);
    assert.equal(text(msgs[1]!), 'Subject: small\n\nok\n');
  });

  it('passes on a line longer than the piece size without holding it whole', () => {
    const long = 'y'.repeat(3 * MB);
    const msgs = split(Buffer.from(`From a\nSubject: long\n\n${long}\nFrom b\n\nz\n`), 256 * 1024);
    assert.equal(msgs.length, 2);
    assert.equal(msgs[0]!.raw!.length, 'Subject: long\n\n'.length + long.length + 1);
    const separatorLong = split(Buffer.from(`From ${'q'.repeat(2 * MB)}\nSubject: s\n\nbody\n`), 512 * 1024);
    assert.deepEqual(separatorLong.map(text), ['Subject: s\n\nbody\n']);
  });

  it('resumes at a recorded separator offset with absolute offsets', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stele-mbox-'));
    try {
      const file = join(dir, 'box.mbox');
      await writeFile(file, MBOXRD);
      const all: MboxMessage[] = [];
      for await (const m of readMbox(file, { maxMessageBytes: MB })) all.push(m);
      const rest: MboxMessage[] = [];
      for await (const m of readMbox(file, { maxMessageBytes: MB, start: all[0]!.next })) rest.push(m);
      assert.deepEqual(rest.map((m) => [m.offset, m.next, text(m)]), [[all[1]!.offset, all[1]!.next, text(all[1]!)]]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('recognises an mbox by its first line', () => {
    assert.ok(looksLikeMbox(Buffer.from('From x@y Mon Jan 1\nSubject: a\n')));
    assert.ok(looksLikeMbox(Buffer.from('\ufeffFrom -\n')));
    assert.ok(!looksLikeMbox(Buffer.from('From: x@y\nSubject: a\n')));
    assert.ok(!looksLikeMbox(Buffer.from('Received: from x\n')));
  });
});
