// The `stele` CLI: serve (what `npm start` runs), verify, and the commands later capabilities add.
import { parseArgs } from 'node:util';
import { createLogger } from '../core/log.ts';
import { isSteleError } from '../core/errors.ts';
import { loadConfig } from './config.ts';
import { serveCommand } from './commands/serve.ts';
import { verifyCommand } from './commands/verify.ts';
import { reindexCommand } from './commands/reindex.ts';
import { importCommand } from './commands/import.ts';
import { certificateCommand } from './commands/certificate.ts';
import { replicateCommand } from './commands/replicate.ts';
import { exportCommand } from './commands/export.ts';
import { keysCommand } from './commands/keys.ts';

const USAGE = `usage: stele <command> [options]

commands:
  serve                 run the archive (HTTP API and SMTP journaling)
  verify [--json] [--repair]
                        prove the ledger, its checkpoints and every object in every region
  reindex               rebuild the search index from the vault alone
  import <path>         import history: an mbox file, a directory of .eml files, or a Maildir
  replicate [--once] [--interval-seconds N] [--rehash] [--dry-run] [--json]
                        compare the regions and copy back missing or damaged copies (service stopped;
                        while it runs, serve does this every 15 minutes)
  export verify <zip...> [--public-key <base64|file>] [--json]
                        check an export's signature and every file hash offline
  keys rotate           add a master key for new objects (service stopped; old keys stay)
  certificate verify <file> [--public-key <base64|file>]
                        check a destruction certificate offline

Configuration comes from STELE_* environment variables (see README).`;

type Command = (args: string[], ctx: { config: ReturnType<typeof loadConfig>; log: ReturnType<typeof createLogger> }) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  serve: serveCommand,
  verify: verifyCommand,
  reindex: reindexCommand,
  import: importCommand,
  certificate: certificateCommand,
  replicate: replicateCommand,
  export: exportCommand,
  keys: keysCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const { values } = parseArgs({ args: name ? [] : argv, options: { help: { type: 'boolean', short: 'h' } }, strict: false });
  if (!name || values.help || name === 'help') {
    console.log(USAGE);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`stele: unknown command ${JSON.stringify(name)}\n\n${USAGE}`);
    return 2;
  }
  try {
    return await command(rest, { config: loadConfig(), log: createLogger() });
  } catch (err) {
    console.error(`stele ${name}: ${isSteleError(err) ? err.message : (err as Error).stack}`);
    return 1;
  }
}
