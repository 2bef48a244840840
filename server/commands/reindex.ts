// `stele reindex`: drops the index and rebuilds it from the ledger and the vault alone.
import { reindexFromLedger, ParsePool } from '../../ingest/index.ts';
import { openCore, MESSAGE_EVENTS } from '../stele.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../../core/log.ts';

export async function reindexCommand(_args: string[], ctx: { config: Config; log: Logger }): Promise<number> {
  const core = await openCore(ctx.config, ctx.log);
  const pool = new ParsePool(ctx.config.parseWorkers, core.vault.keyring);
  const started = Date.now();
  try {
    await core.index.clear();
    const counts = await reindexFromLedger({
      ledger: core.ledger, vault: core.vault, index: core.index, pool, afterSeq: 0, removedBy: MESSAGE_EVENTS.destroyed,
      onProgress: (seq, head) => process.stderr.write(`\rreindex: ledger ${seq}/${head}`),
    });
    const seconds = (Date.now() - started) / 1000;
    console.log(`\nreindexed ${counts.indexed} messages (${counts.merged} extra envelopes) in ${seconds.toFixed(1)} s`);
    return 0;
  } finally {
    await pool.close();
    await core.close();
  }
}
