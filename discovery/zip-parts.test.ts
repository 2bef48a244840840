// ZipParts starts a new volume at the entry cap, keeps a keepVolume entry beside the one before,
// and records each volume's size and SHA-256 as written.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { hashFile, ZipParts } from './zip-parts.ts';
import { openEntry, readZipDirectory } from './zip-read.ts';

const run = promisify(execFile);

describe('zip parts', () => {
  it('splits volumes at the entry cap and keeps the signature with the last volume', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stele-zip-parts-'));
    try {
      const zip = new ZipParts(dir, 'exp', 1024 ** 3, new Date('2024-03-01T12:00:00Z'), 10);
      const where: string[] = [];
      for (let i = 0; i < 27; i++) {
        const body = Buffer.from(`entry ${i}\r\n`.repeat(20));
        where.push(await zip.add(`NATIVES/D${i}.eml`, body, body.length, { store: i % 2 === 0 }));
      }
      const sig = Buffer.from('signature');
      const sigPart = await zip.add('manifest.sig', sig, sig.length, { keepVolume: true });
      const parts = await zip.finish();
      // Nine entries a volume: one slot of the ten stays free for a keepVolume entry.
      assert.deepEqual(parts.map((p) => p.name), ['exp-001.zip', 'exp-002.zip', 'exp-003.zip']);
      assert.equal(where[8], 'exp-001.zip');
      assert.equal(where[9], 'exp-002.zip');
      assert.equal(sigPart, 'exp-003.zip');
      const counts = [];
      for (const p of parts) {
        await run('unzip', ['-tq', join(dir, p.name)]);
        // Hashed as written: the recorded SHA-256 and size are the file's.
        assert.equal(p.sha256, await hashFile(join(dir, p.name)));
        assert.equal(p.bytes, (await stat(join(dir, p.name))).size);
        counts.push((await readZipDirectory(join(dir, p.name))).length);
      }
      assert.deepEqual(counts, [9, 9, 10]);
      const last = await readZipDirectory(join(dir, 'exp-003.zip'));
      const chunks: Buffer[] = [];
      for await (const c of await openEntry(join(dir, 'exp-003.zip'), last.find((e) => e.name === 'NATIVES/D26.eml')!)) chunks.push(c as Buffer);
      assert.equal(Buffer.concat(chunks).toString(), 'entry 26\r\n'.repeat(20));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
