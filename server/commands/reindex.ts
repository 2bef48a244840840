// `stele reindex`: drops the index and rebuilds it from the ledger and the vault alone.
import { openCore, createPipeline } from '../stele.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../../core/log.ts';

export async function reindexCommand(_args: string[], ctx: { config: Config; log: Logger }): Promise<number> {
  const core = await openCore(ctx.config, ctx.log);
  const ingest = createPipeline(core);
  const started = Date.now();
  try {
    await ingest.indexer.caughtUp(); // let the start-up catch-up finish before dropping the index
    const { indexed } = await ingest.indexer.rebuild((seq, head) => {
      if (process.stderr.isTTY) process.stderr.write(`\rreindex: ledger entry ${seq} of ${head}`);
    });
    const seconds = (Date.now() - started) / 1000;
    console.log(`\nreindexed ${indexed} messages in ${seconds.toFixed(1)} s (${(indexed / Math.max(seconds, 0.001)).toFixed(0)} messages/s)`);
    return 0;
  } finally {
    await ingest.close();
    await core.close();
  }
}
