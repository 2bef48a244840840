// Crash consistency: journal over many parallel SMTP connections while the Stele process is
// killed with SIGKILL at random moments and restarted. Every message that got a 250 must be in
// both regions, intact, on the ledger and in the index, and `stele verify` must be clean.
// The client behaves like an MTA: anything not acknowledged is retried until it is.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../core/log.ts';
import { messageKey, MESSAGE_DUPLICATE, MESSAGE_INGESTED } from '../ingest/index.ts';
import { loadConfig } from '../server/config.ts';
import { openCore } from '../server/stele.ts';
import { generateMessage } from '../bench/corpus.ts';
import { removeDir, runCli, TEST_ADMIN_PASSWORD, TEST_TOKEN } from './harness.ts';
import { sendSmtp } from './smtp-client.ts';

const KILLS = Number(process.env.STELE_CRASH_KILLS ?? 20);
const MESSAGES = Number(process.env.STELE_CRASH_MESSAGES ?? 1500);
const CONNECTIONS = 8;

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

describe('crash consistency under SIGKILL', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let child: ChildProcess | null = null;

  const start = async (): Promise<void> => {
    const proc = spawn(process.execPath, ['bin/stele.mjs', 'serve'], { env: { ...process.env, ...env, STELE_LOG_LEVEL: 'error' }, stdio: ['ignore', 'pipe', 'inherit'] });
    child = proc;
    await new Promise<void>((resolve, reject) => {
      let out = '';
      proc.stdout!.on('data', (d) => ((out += d), /Stele is running/.test(out) && resolve()));
      proc.once('exit', (code) => reject(new Error(`stele exited early (${code})`)));
    });
  };
  const kill = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill(signal);
    await exited;
    child = null;
  };

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'stele-crash-'));
    env = {
      STELE_DATA_DIR: dataDir, STELE_HTTP_PORT: String(await freePort()), STELE_SMTP_PORT: String(await freePort()),
      STELE_INGEST_TOKEN: TEST_TOKEN, STELE_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
    };
  });
  after(async () => {
    await kill('SIGKILL');
    await removeDir(dataDir);
  });

  it(`loses no acknowledged message across ${KILLS} kills`, { timeout: 600_000 }, async () => {
    const messages = Array.from({ length: MESSAGES }, (_, i) => generateMessage(i, 42));
    const acked = new Set<string>();
    let attempts = 0;
    let next = 0;
    let kills = 0;
    await start();
    const killer = (async () => {
      while (kills < KILLS && acked.size < messages.length) {
        await new Promise((r) => setTimeout(r, 150 + Math.random() * 450));
        await kill('SIGKILL');
        kills++;
        await start();
      }
    })();
    // Each connection takes the next message and retries it until it is acknowledged.
    await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
      while (next < messages.length) {
        const raw = messages[next++];
        for (;;) {
          attempts++;
          const r = await sendSmtp(Number(env.STELE_SMTP_PORT), raw, { from: 'journal@clinic.example', to: ['archive@stele.example'] });
          if (r.code === 250) {
            // What the MTA knows: the id in the acknowledgement. It must be the hash of what was sent.
            const id = /Archived as ([0-9a-f]{64})/.exec(r.response)?.[1];
            assert.equal(id, createHash('sha256').update(raw).digest('hex'), r.response);
            acked.add(id!);
            break;
          }
          assert.ok(r.code === 0 || r.code === 451 || r.code === 421, `only temporary failures are allowed, got ${r.code} ${r.response}`);
          await new Promise((res) => setTimeout(res, 50));
        }
      }
    }));
    await killer;
    await kill('SIGTERM');
    assert.equal(acked.size, messages.length);
    assert.ok(kills >= KILLS, `killed ${kills} times`);

    // Start once more so the index catches up from the ledger, then inspect with the service stopped.
    await start();
    await kill('SIGTERM');
    const core = await openCore(loadConfig(env), createLogger({ write: () => {} }));
    let duplicates = 0;
    try {
      const lost: string[] = [];
      for (const id of acked) {
        if (!core.ledger.first(MESSAGE_INGESTED, id)) lost.push(`${id}: not on the ledger`);
        for (const region of core.vault.regions) {
          const bytes = await region.get(messageKey(id)).catch(() => null);
          if (!bytes) lost.push(`${id}: missing in region ${region.region}`);
          else if (createHash('sha256').update(core.vault.unseal(messageKey(id), bytes)).digest('hex') !== id) lost.push(`${id}: damaged in ${region.region}`);
        }
        if (!(await core.index.get(id))) lost.push(`${id}: not in the index`);
      }
      duplicates = core.ledger.query({ types: [MESSAGE_DUPLICATE], limit: 100_000 }).length;
      assert.deepEqual(lost, [], `lost ${lost.length}`);
    } finally {
      await core.close();
    }
    const verify = await runCli(['verify', '--json'], env);
    assert.equal(verify.code, 0, verify.stdout.slice(0, 2000));
    console.log(`crash test: ${kills} kills, ${acked.size} acknowledged, 0 lost, ${duplicates} retried copies recorded as duplicates, ${attempts} SMTP attempts`);
  });
});
