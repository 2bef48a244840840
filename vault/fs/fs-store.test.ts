// Runs the shared vault contract against the fs adapter, with a test clock, plus what only
// the fs adapter's files can show.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { isSteleError } from '../../core/errors.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../core/clock.ts';
import { runVaultContract } from '../contract.ts';
import { createFsStore } from './fs-store.ts';

runVaultContract('fs', async () => {
  const root = await mkdtemp(join(tmpdir(), 'stele-fs-'));
  const clock = new ManualClock(new Date());
  const store = await createFsStore({ region: 'a', root, clock });
  return {
    store,
    now: () => clock.now(),
    passTime: async (at) => clock.set(new Date(at.getTime() + 1)),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});

describe('fs adapter on disk', () => {
  it('restores an object whose own header was damaged, keeping it aside', async () => {
    const root = await mkdtemp(join(tmpdir(), 'stele-fs-'));
    const store = await createFsStore({ region: 'a', root });
    const until = new Date(Date.now() + 86_400_000);
    await store.put('messages/x', Buffer.from('original'), { retainUntil: until, legalHold: true });
    const file = join(root, 'objects', 'messages', 'x');
    const bytes = await readFile(file);
    bytes[0] ^= 0xff; // the magic number
    await chmod(file, 0o644);
    await writeFile(file, bytes);
    await assert.rejects(store.head('messages/x'), (e) => isSteleError(e, 'integrity'));
    await store.restore('messages/x', Buffer.from('original'), { retainUntil: until, legalHold: true });
    assert.equal((await store.get('messages/x')).toString(), 'original');
    assert.equal((await readdir(join(root, 'quarantine', 'messages'))).length, 1, 'the damaged copy is kept');
    await rm(root, { recursive: true, force: true });
  });
});
