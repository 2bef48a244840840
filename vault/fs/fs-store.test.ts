// Runs the shared vault contract against the fs adapter, with a test clock.
import { mkdtemp, rm } from 'node:fs/promises';
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
