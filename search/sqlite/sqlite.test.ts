// Runs the shared index contract against the SQLite adapter, in memory and on a file.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runIndexContract } from '../contract.ts';
import { createSqliteIndex } from './sqlite-index.ts';

runIndexContract('sqlite (memory)', async () => ({
  index: await createSqliteIndex({ path: ':memory:' }),
  cleanup: async () => {},
}));

runIndexContract('sqlite (file, WAL)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stele-index-'));
  return {
    index: await createSqliteIndex({ path: join(dir, 'nested', 'index.db') }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});
