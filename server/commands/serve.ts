// `stele serve`: starts the archive and shows first-run secrets once, on the console.
import { startStele } from '../stele.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../../core/log.ts';

export async function serveCommand(_args: string[], ctx: { config: Config; log: Logger }): Promise<number> {
  const stele = await startStele(ctx.config, ctx.log);
  announceFirstRun(stele.core.firstRun, stele.core.keysCreated, ctx.config.keyDir);
  console.log(`Stele is running: HTTP http${ctx.config.tls ? 's' : ''}://${ctx.config.bind}:${stele.httpPort}  SMTP ${ctx.config.bind}:${stele.smtpPort}`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  ctx.log.info('shutting down');
  await stele.close();
  return 0;
}

/** Printed to the console once, never logged: these are the only copies of the secrets. */
function announceFirstRun(secrets: { adminPassword?: string; ingestToken?: string }, keysCreated: boolean, keyDir: string): void {
  const lines: string[] = [];
  if (keysCreated) lines.push(`New archive keys were generated in ${keyDir} (back this folder up apart from the data).`);
  if (secrets.adminPassword) {
    lines.push(`Admin user: admin   password: ${secrets.adminPassword}`);
    lines.push('Sign in with POST /api/v1/auth/login, then enrol TOTP (POST /api/v1/auth/totp/enroll): until then the session can do nothing else.');
  }
  if (secrets.ingestToken) lines.push(`Ingest token (Authorization: Bearer ...): ${secrets.ingestToken}`);
  if (lines.length === 0) return;
  console.log(['', '=== Stele first run: shown once, store these now ===', ...lines, '====================================================', ''].join('\n'));
}
