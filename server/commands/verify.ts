// `stele verify [--json] [--repair]`: exits 0 only when every check passes.
import { parseArgs } from 'node:util';
import { MESSAGE_EVENTS, verifyArchive, type VerifyReport } from '../../vault/index.ts';
import { openCore } from '../stele.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../../core/log.ts';
import { VAULT_REPAIRED } from '../../vault/replication.ts';

export async function verifyCommand(args: string[], ctx: { config: Config; log: Logger }): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' }, repair: { type: 'boolean' } } });
  const core = await openCore(ctx.config, ctx.log);
  try {
    // What opening the ledger copied back is reported by the first pass (and is on the ledger).
    const run = (repair: boolean, recovered = core.ledger.recovered) =>
      verifyArchive({
        vault: core.vault, sodium: core.sodium, messages: MESSAGE_EVENTS, repair, recovered,
        recordRepair: async (f, from) => {
          await core.ledger.append({ type: VAULT_REPAIRED, actor: 'system:verify', subject: f.key, data: { region: f.region, from, finding: f.kind, seq: f.seq, detail: f.detail } });
        },
        onProgress: values.json ? undefined : progress,
      });
    const first = await run(!!values.repair);
    // A second pass, without repair, proves the repairs held.
    const repairedNow = first.findings.filter((f) => f.repaired).length - core.ledger.recovered.length;
    const final = values.repair && repairedNow > 0 ? await run(false, []) : first;
    if (values.json) console.log(JSON.stringify({ ...final, repaired: values.repair ? first.findings.filter((f) => f.repaired) : undefined }, null, 2));
    else printReport(first, final, !!values.repair);
    return final.ok ? 0 : 1;
  } finally {
    await core.close();
  }
}

function progress(done: number, total: number): void {
  if (process.stderr.isTTY && (done % 200 === 0 || done === total)) process.stderr.write(`\rchecking messages ${done}/${total}`);
  if (process.stderr.isTTY && done === total) process.stderr.write('\n');
}

function printReport(first: VerifyReport, final: VerifyReport, repair: boolean): void {
  for (const f of first.findings) {
    const where = f.key ?? (f.seq !== undefined ? `seq ${f.seq}` : '');
    console.log(`${f.repaired ? 'REPAIRED' : f.kind.toUpperCase()}  region ${f.region}  ${where}  ${f.detail}`);
  }
  console.log(`${final.entries} ledger entries, ${final.objects} object copies (${(final.bytes / 1e6).toFixed(1)} MB) in ${final.seconds.toFixed(1)} s`);
  console.log(final.ok ? 'verify: OK' : `verify: ${final.findings.filter((f) => !f.repaired).length} finding(s)${repair ? ' remain after repair' : ''}`);
}
