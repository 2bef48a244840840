// One writer per data directory: two processes appending to one ledger would fork its chain.
// The lock is a file holding the owner's pid; a lock left by a dead process is taken over.
import { open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { SteleError } from '../core/errors.ts';

export async function acquireWriterLock(dataDir: string, what: string): Promise<() => Promise<void>> {
  const path = join(dataDir, 'writer.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o600);
      await fh.writeFile(`${process.pid}\n${what}\n`);
      await fh.close();
      return () => unlink(path).catch(() => {});
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const [pid, owner] = (await readFile(path, 'utf8').catch(() => '')).split('\n');
      if (pid && isAlive(Number(pid))) {
        throw new SteleError('conflict', `${owner || 'another stele process'} (pid ${pid}) is writing to ${dataDir}; stop it first`);
      }
      await unlink(path).catch(() => {});
    }
  }
  throw new SteleError('conflict', `cannot take the writer lock ${path}`);
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
