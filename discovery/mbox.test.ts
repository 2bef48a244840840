// mboxrd writing: From_ lines, quoting of /^>*From / lines, and a lossless round trip.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asctime, fromLine, MboxWriter, mboxrdQuote } from './mbox.ts';

describe('mbox', () => {
  it('writes From_ lines with an asctime date in UTC and a one-token sender', () => {
    assert.equal(asctime(new Date('2020-01-01T00:00:00Z')), 'Wed Jan  1 00:00:00 2020');
    assert.equal(fromLine('ann@x.example', new Date('2024-11-30T23:05:09Z')), 'From ann@x.example Sat Nov 30 23:05:09 2024\n');
    assert.equal(fromLine('two words', new Date(0)), 'From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n');
    assert.equal(fromLine(undefined, new Date(Number.NaN)), 'From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n');
  });

  it('adds one > to every line matching /^>*From /, and only to those', () => {
    const raw = Buffer.from('From: a@x\r\nSubject: From here\r\n\r\nFrom the start\r\n>From quoted\r\n>>From twice\r\nnot From this\r\n> From spaced\r\nFrom');
    assert.equal(Buffer.concat(mboxrdQuote(raw)).toString(),
      'From: a@x\r\nSubject: From here\r\n\r\n>From the start\r\n>>From quoted\r\n>>>From twice\r\nnot From this\r\n> From spaced\r\nFrom');
    assert.equal(Buffer.concat(mboxrdQuote(Buffer.from('From x\n'))).toString(), '>From x\n');
  });

  it('separates messages with a From_ line and a blank line, ending an unended last line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stele-mbox-'));
    try {
      const w = new MboxWriter(join(dir, 'a.mbox'));
      await w.add(Buffer.from('Subject: one\r\n\r\nFrom me\r\n'), 'a@x.example', new Date('2024-01-02T03:04:05Z'));
      await w.add(Buffer.from('Subject: two\r\n\r\nno newline'), undefined, new Date('2024-01-02T03:04:05Z'));
      await w.close();
      assert.equal(await readFile(join(dir, 'a.mbox'), 'utf8'),
        'From a@x.example Tue Jan  2 03:04:05 2024\nSubject: one\r\n\r\n>From me\r\n\n'
        + 'From MAILER-DAEMON Tue Jan  2 03:04:05 2024\nSubject: two\r\n\r\nno newline\n\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
