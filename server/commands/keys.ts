// `stele keys rotate`: adds a master key and makes it the one new objects are sealed with.
// Old keys stay in the keyring, so everything sealed before still opens. Run it with the
// service stopped (it takes the writer lock) and restart to use the new key.
import { rotateMasterKey } from '../../vault/index.ts';
import { acquireWriterLock } from '../process-lock.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../../core/log.ts';

export async function keysCommand(args: string[], ctx: { config: Config; log: Logger }): Promise<number> {
  if (args[0] !== 'rotate' || args.length !== 1) {
    console.error('usage: stele keys rotate');
    return 2;
  }
  const unlock = await acquireWriterLock(ctx.config.dataDir, 'keys rotate');
  try {
    const id = await rotateMasterKey(ctx.config.keyDir);
    console.log(`new master key ${id} is current; older keys remain for what they sealed. Back up ${ctx.config.keyDir} now.`);
    return 0;
  } finally {
    await unlock();
  }
}
