// `stele import <path>`: archives existing mail (an mbox, a directory of .eml files, a Maildir)
// through the same pipeline as journaled mail; resumable, with progress on a terminal.
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SteleError } from '../../core/errors.ts';
import type { Logger } from '../../core/log.ts';
import { importPath, DEFAULT_IMPORT_CONCURRENCY, type ImportProgress, type ImportSummary } from '../../ingest/importers/index.ts';
import { createPipeline, openCore, type Ingest } from '../stele.ts';
import type { Config } from '../config.ts';

/** On the ledger once per run: which source was imported, by whom, with what result. */
export const IMPORT_COMPLETED = 'import.completed';

const USAGE = 'usage: stele import <mbox file | .eml file | directory | Maildir> [--format mbox|eml] [--from-start] [--concurrency N] [--as NAME]';

export async function importCommand(args: string[], ctx: { config: Config; log: Logger }): Promise<number> {
  const opts = parseImportArgs(args);
  const core = await openCore(ctx.config, ctx.log);
  const ingest = createPipeline(core);
  const stop = new AbortController();
  const interrupt = () => {
    if (process.stderr.isTTY) process.stderr.write('\nstopping: finishing the messages in flight and saving progress (run again to continue)\n');
    stop.abort();
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  const bar = process.stderr.isTTY ? progressBar() : undefined;
  try {
    const summary = await importPath({
      path: opts.path,
      ingest: (req) => ingest.pipeline.ingest(req),
      actor: opts.actor,
      maxMessageBytes: ctx.config.maxMessageBytes,
      progressDir: join(ctx.config.dataDir, 'imports'),
      resume: !opts.fromStart,
      concurrency: opts.concurrency,
      format: opts.format,
      signal: stop.signal,
      onProgress: bar,
      log: ctx.log,
    });
    if (bar) process.stderr.write('\n');
    await waitForIndex(ingest.indexer, ctx.log);
    const recorded = await core.ledger
      .append({
        type: IMPORT_COMPLETED,
        actor: opts.actor,
        subject: summary.path,
        data: {
          path: summary.path, format: summary.format, imported: summary.imported, duplicates: summary.duplicates,
          failed: summary.failed, skipped: summary.skipped, bytes: summary.bytes, ...(summary.stoppedBy ? { stoppedBy: summary.stoppedBy } : {}),
        },
      })
      .then(() => true, (err) => (ctx.log.error('import: the run could not be recorded on the ledger', { err }), false));
    report(summary);
    return summary.failed > 0 || summary.stoppedBy || !recorded ? 1 : 0;
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
    await ingest.close();
    await core.close();
  }
}

interface ImportArgs {
  path: string;
  format?: 'mbox' | 'eml';
  fromStart: boolean;
  concurrency: number;
  actor: string;
}

function parseImportArgs(args: string[]): ImportArgs {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      format: { type: 'string' },
      'from-start': { type: 'boolean' },
      concurrency: { type: 'string' },
      as: { type: 'string' },
    },
  });
  if (positionals.length !== 1) throw new SteleError('bad_request', USAGE);
  const format = values.format;
  if (format !== undefined && format !== 'mbox' && format !== 'eml') throw new SteleError('bad_request', `--format must be mbox or eml\n${USAGE}`);
  const concurrency = values.concurrency === undefined ? DEFAULT_IMPORT_CONCURRENCY : Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new SteleError('bad_request', `--concurrency must be an integer from 1 to 64\n${USAGE}`);
  return { path: positionals[0]!, format, fromStart: !!values['from-start'], concurrency, actor: `import:${values.as ?? osUser()}` };
}

/** Without progress for this long, indexing is left to the next start (the index is a projection). */
const INDEX_STALL_MS = 60_000;

/** Waits until what was imported is searchable, unless the indexer has stopped making progress. */
async function waitForIndex(indexer: Ingest['indexer'], log: Logger): Promise<void> {
  let lag = await indexer.lag();
  let lastChange = Date.now();
  let done = false;
  const caughtUp = indexer.caughtUp().then(() => void (done = true));
  while (!done) {
    if (process.stderr.isTTY) process.stderr.write(`\rindexing: ${lag} ledger entries to go\u001b[K`);
    await Promise.race([caughtUp, new Promise((r) => setTimeout(r, 1_000))]);
    const now = await indexer.lag();
    if (now !== lag) (lag = now), (lastChange = Date.now());
    if (!done && Date.now() - lastChange > INDEX_STALL_MS) {
      log.warn('import: indexing is not progressing; the index catches up from the ledger at the next start', { lag });
      break;
    }
  }
  if (process.stderr.isTTY) process.stderr.write('\r\u001b[K');
}

function osUser(): string {
  try {
    return userInfo().username || 'cli';
  } catch {
    return 'cli'; // no passwd entry (containers)
  }
}

/** One self-overwriting line on stderr: messages, MB, rate, and how far into the mbox. */
function progressBar(): (p: ImportProgress) => void {
  return (p) => {
    const rate = p.seconds > 0 ? p.messages / p.seconds : 0;
    const mbRate = p.seconds > 0 ? p.bytes / 1e6 / p.seconds : 0;
    const pct = p.file && p.file.total > 0 ? `  ${((100 * p.file.done) / p.file.total).toFixed(1)}% of ${(p.file.total / 1e6).toFixed(0)} MB` : '';
    const skipped = p.skipped ? `  ${p.skipped} skipped (done before)` : '';
    process.stderr.write(
      `\rimport: ${p.messages} messages  ${(p.bytes / 1e6).toFixed(1)} MB  ${rate.toFixed(0)} msg/s  ${mbRate.toFixed(1)} MB/s  ` +
        `new ${p.imported}  dup ${p.duplicates}  failed ${p.failed}${skipped}${pct}\u001b[K`,
    );
  };
}

function report(s: ImportSummary): void {
  for (const f of s.failures) console.error(`failed: ${f.where}: ${f.code}: ${f.error}`);
  if (s.failed > s.failures.length) console.error(`... and ${s.failed - s.failures.length} more failures (see the log)`);
  if (s.stoppedBy) console.error(`stopped early (${s.stoppedBy}); run the same command again to continue`);
  const extra = [
    s.skipped ? `skipped ${s.skipped} (done by an earlier run)` : '',
    s.ignoredFiles ? `ignored ${s.ignoredFiles} files that are not mail` : '',
  ].filter(Boolean);
  console.log(`imported ${s.imported}, duplicates ${s.duplicates}, failed ${s.failed}${extra.length ? `, ${extra.join(', ')}` : ''} ` +
    `(${s.format}, ${(s.bytes / 1e6).toFixed(1)} MB in ${s.seconds.toFixed(1)} s)`);
}
