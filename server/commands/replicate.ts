// `stele replicate [--once] [--interval-seconds N] [--rehash] [--rehash-every N] [--dry-run] [--json]`:
// the replication checker as its own process, for when `serve` is stopped (it takes the writer lock,
// so it refuses while `serve` runs; `serve` runs the same checker as a job, see docs/scale.md).
import { parseArgs } from 'node:util';
import { SteleError } from '../../core/errors.ts';
import type { Logger } from '../../core/log.ts';
import {
  checkReplication, liveOnLedger, startReplicationJob, DEFAULT_REHASH_EVERY, DEFAULT_REPLICATION_INTERVAL_MS, VAULT_REPAIRED, type ReplicationReport,
} from '../../vault/replication.ts';
import type { Config } from '../config.ts';
import { openCore } from '../stele.ts';

export async function replicateCommand(args: string[], ctx: { config: Config; log: Logger }): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      once: { type: 'boolean' },
      'interval-seconds': { type: 'string' },
      rehash: { type: 'boolean' },
      'rehash-every': { type: 'string' },
      'dry-run': { type: 'boolean' },
      json: { type: 'boolean' },
    },
  });
  const intervalSeconds = positive(values['interval-seconds'], '--interval-seconds', DEFAULT_REPLICATION_INTERVAL_MS / 1000);
  const rehashEvery = positive(values['rehash-every'], '--rehash-every', DEFAULT_REHASH_EVERY);
  const print = (r: ReplicationReport) => (values.json ? console.log(JSON.stringify(r)) : printReport(r));
  const core = await openCore(ctx.config, ctx.log);
  try {
    if (values.once || values['dry-run']) {
      const report = await checkReplication({
        vault: core.vault, rehash: !!values.rehash, repair: !values['dry-run'], mayCopy: liveOnLedger(core.ledger),
        recordRepair: async (f) => {
          await core.ledger.append({ type: VAULT_REPAIRED, actor: 'system:replicate', subject: f.key, data: { region: f.region, from: f.from, finding: f.kind, detail: f.detail } });
        },
      });
      print(report);
      return report.ok ? 0 : 1;
    }
    const job = startReplicationJob(core, { intervalMs: intervalSeconds * 1000, rehashEvery, onReport: print });
    // The first pass runs at once; then every interval until SIGINT / SIGTERM.
    await job.runOnce({ rehash: !!values.rehash }).catch((err: unknown) => ctx.log.warn('replication pass failed; will retry', { error: String(err) }));
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await job.stop();
    return 0;
  } finally {
    await core.close();
  }
}

function positive(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new SteleError('bad_request', `${flag} must be a whole number >= 1, got ${JSON.stringify(value)}`);
  return n;
}

function printReport(r: ReplicationReport): void {
  for (const f of r.findings) {
    console.log(`${f.repaired ? 'REPAIRED' : f.kind.toUpperCase()}  region ${f.region}  ${f.key}  ${f.detail}${f.from ? ` (from ${f.from})` : ''}`);
  }
  const open = r.findings.filter((f) => !f.repaired && f.kind !== 'unacknowledged').length;
  console.log(`${new Date().toISOString()}  ${r.objects} objects compared${r.rehashed ? ' and re-read' : ''} in ${r.seconds.toFixed(1)} s: ${open === 0 ? 'replication OK' : `${open} copy(ies) left unrepaired`}`);
}
