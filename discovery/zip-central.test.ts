// The backpressured central directory writes exactly the bytes archiver's own would, ZIP64 too.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { ZipArchive } from 'archiver';
import { streamCentralDirectory } from './zip-central.ts';
import { readZipDirectory } from './zip-read.ts';

const run = promisify(execFile);
const DATE = new Date('2024-03-01T12:00:00Z');

/** Writes the same entries with archiver as shipped, or with the streamed central directory. */
async function write(path: string, count: number, opts: { streamed: boolean; forceZip64?: boolean }): Promise<void> {
  const archive = new ZipArchive({ zlib: { level: 1 }, forceZip64: opts.forceZip64 ?? false });
  if (opts.streamed) streamCentralDirectory(archive);
  const out = createWriteStream(path);
  const closed = new Promise<void>((resolve, reject) => out.on('close', () => resolve()).on('error', reject));
  archive.pipe(out);
  for (let i = 0; i < count; i++) {
    // ASCII names reach the engine as strings, others as UTF-8 buffers: both paths are covered.
    const name = i % 3 === 0 ? `TEXT/Prüfung-${i}.txt` : `NATIVES/DOC${String(i).padStart(7, '0')}.eml`;
    archive.append(Readable.from([Buffer.from(`message ${i}\r\n`.repeat(1 + (i % 5)))]), { name, date: DATE, store: i % 2 === 0 });
  }
  await archive.finalize();
  await closed;
}

describe('zip central directory with backpressure', () => {
  for (const forceZip64 of [false, true]) {
    it(`writes the same bytes as archiver's own finish${forceZip64 ? ' (ZIP64)' : ''}, which unzip and our reader accept`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'stele-zip-central-'));
      try {
        const count = 1200; // about 85 KB of central directory: more than one 64 KiB batch
        await write(join(dir, 'stock.zip'), count, { streamed: false, forceZip64 });
        await write(join(dir, 'streamed.zip'), count, { streamed: true, forceZip64 });
        const [stock, streamed] = await Promise.all([readFile(join(dir, 'stock.zip')), readFile(join(dir, 'streamed.zip'))]);
        assert.ok(stock.equals(streamed), 'the streamed central directory differs from archiver\'s');
        await run('unzip', ['-tq', join(dir, 'streamed.zip')]);
        const entries = await readZipDirectory(join(dir, 'streamed.zip'));
        assert.equal(entries.length, count);
        assert.equal(entries[3].name, 'TEXT/Prüfung-3.txt');
        if (forceZip64) assert.ok(streamed.includes(Buffer.from([0x50, 0x4b, 0x06, 0x06])), 'a ZIP64 end record');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});
