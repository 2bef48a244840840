// Hostile MIME through SMTP and HTTP (issue 9 item 4): mutated corpus and generated mail plus deep
// nesting, header floods, huge lines, zip bombs and 100k recipients. The server must answer every
// send in time, keep memory bounded, archive each message byte-identical (flagged if unparsed) or
// refuse it as oversize, and end with a clean `stele verify` and an index that caught up.
// STELE_FUZZ_SEED=<n> replays a run; STELE_FUZZ_LONG=1 runs many more mutations and bigger bombs.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { messageKey, MESSAGE_INGESTED } from '../../ingest/index.ts';
import { corpusMessages } from '../corpus-files.ts';
import { buildMail } from '../fixtures/mail.ts';
import { journalHttp, removeDir, runCli, startTestStele, TEST_ADMIN_PASSWORD, TEST_TOKEN, type TestStele } from '../harness.ts';
import { hostileCases, mutate, prng, type FuzzCase } from './mime-mutator.ts';
import { asReceivedOverSmtp, sendRaw } from './raw-smtp.ts';

const LONG = process.env.STELE_FUZZ_LONG === '1';
const SEED = Number(process.env.STELE_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 32));
const MUTANTS = LONG ? 2000 : 40;
const MAX_BYTES = 16 * 1024 * 1024;
/** Every send must be answered within this, or the server hung. */
const ANSWER_DEADLINE_MS = 60_000;
/** A safety bound on the server's growth (it runs in this process), not a performance figure. */
const RSS_GROWTH_CAP_BYTES = 400 * 1024 * 1024;
/** Envelope recipients one transaction may name (ingest/smtp MAX_RECIPIENTS). */
const RCPT_LIMIT = 1000;

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function deadline<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ANSWER_DEADLINE_MS} ms: ${what}`)), ANSWER_DEADLINE_MS)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

describe(`MIME fuzzing through SMTP and HTTP (seed ${SEED})`, { timeout: LONG ? 3 * 3600_000 : 10 * 60_000 }, () => {
  let s: TestStele;
  const archived = new Map<string, string>(); // sha -> case name
  const log = { cases: 0, archived: 0, oversize: 0 };

  before(async () => {
    // Printed so that any failure can be replayed exactly.
    console.log(`mime fuzz seed ${SEED} (replay: STELE_FUZZ_SEED=${SEED}${LONG ? ' STELE_FUZZ_LONG=1' : ''})`);
    s = await startTestStele({ env: { STELE_MAX_MESSAGE_BYTES: String(MAX_BYTES) } });
  });
  after(async () => {
    await s.stop().catch(() => {});
    await removeDir(s.dataDir);
  });

  async function viaSmtp(c: FuzzCase, what: string): Promise<void> {
    const to = c.envelopeTo ?? ['archive@stele.example'];
    const t = await deadline(sendRaw(s.smtpPort, c.raw, { from: 'mta@fuzz.example', to }, ANSWER_DEADLINE_MS), what);
    if (c.oversize) return assert.equal(t.final.code, 552, `${what}: ${t.final.text}`);
    assert.equal(t.final.code, 250, `${what}: ${t.final.text}`);
    const stored = asReceivedOverSmtp(c.raw);
    assert.match(t.final.text, new RegExp(sha(stored)), what);
    await assertArchived(stored, what);
    if (to.length > RCPT_LIMIT) {
      // RFC 5321 4.5.3.1.10: the excess recipients get 452; the journal records the accepted ones.
      assert.equal(t.accepted, RCPT_LIMIT, what);
      assert.deepEqual([...t.refused], [[452, to.length - RCPT_LIMIT]], what);
      const entries = s.core.ledger.query({ subject: sha(stored) });
      const last = entries[entries.length - 1].data as { envelope: { rcptTo: string[] } };
      assert.equal(last.envelope.rcptTo.length, RCPT_LIMIT, `${what}: envelope on the ledger`);
    }
  }

  async function viaHttp(c: FuzzCase, what: string): Promise<void> {
    const res = await deadline(journalHttp(s.httpUrl, c.raw), what);
    const body = await res.text();
    if (c.oversize) return assert.equal(res.status, 413, `${what}: ${body}`);
    assert.equal(res.status, 201, `${what}: ${body}`);
    assert.equal((JSON.parse(body) as { id: string }).id, sha(c.raw), what);
    await assertArchived(c.raw, what);
  }

  async function assertArchived(raw: Buffer, what: string): Promise<void> {
    const id = sha(raw);
    assert.ok(s.core.ledger.first(MESSAGE_INGESTED, id), `${what}: on the ledger`);
    const back = await s.core.vault.getOpened(messageKey(id));
    assert.equal(sha(back), id, `${what}: archived byte-identical`);
    archived.set(id, what);
    log.archived++;
  }

  async function run(c: FuzzCase, i: number, smtpFirst: boolean): Promise<void> {
    const what = `case ${i} "${c.name}" (${c.raw.length} bytes, seed ${SEED})`;
    log.cases++;
    if (c.oversize) log.oversize++;
    for (const smtp of smtpFirst ? [true, false] : [false, true]) await (smtp ? viaSmtp(c, `${what} via SMTP`) : viaHttp(c, `${what} via HTTP`));
  }

  it('archives or rightly refuses every hostile and mutated message, within memory and time bounds', async () => {
    const rng = prng(SEED);
    // Warm up first (workers started, code loaded), so the baseline is the server at work.
    await run({ name: 'warm-up', raw: buildMail({ subject: 'warm-up' }) }, -1, true);
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sample = () => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss));

    const hostile = hostileCases({ scale: LONG ? 4 : 1, maxBytes: MAX_BYTES });
    for (const [i, make] of hostile.entries()) {
      const c = make();
      await run(c, i, rng.next() < 0.5);
      sample();
    }
    const corpus = await corpusMessages();
    for (let i = 0; i < MUTANTS; i++) {
      const seedMsg = rng.next() < 0.7 ? await readFile(rng.pick(corpus)) : buildMail({ subject: `fuzz ${i}`, attachments: [{ filename: 'a.txt', contentType: 'text/plain', content: Buffer.from('attached') }] });
      if (seedMsg.length === 0) continue;
      const m = mutate(seedMsg, rng);
      await run({ name: m.name, raw: m.raw }, hostile.length + i, rng.next() < 0.5);
      sample();
    }
    const growth = rssPeak - rssBefore;
    console.log(`mime fuzz: ${log.cases} cases, ${log.archived} archivals, ${log.oversize} oversize refused, rss growth ${(growth / 1048576).toFixed(0)} MiB`);
    assert.ok(growth < RSS_GROWTH_CAP_BYTES, `rss grew by ${growth} bytes (seed ${SEED})`);
  });

  it('indexes every archived message (flagged when it did not parse)', async () => {
    await deadline(s.caughtUp(), 'the indexer catching up');
    for (const [id, what] of archived) {
      const doc = await s.core.index.get(id);
      assert.ok(doc, `${what}: indexed`);
    }
    // Damage that leaves no readable MIME must be flagged, never dropped: at least some are.
    const docs = await Promise.all([...archived.keys()].map((id) => s.core.index.get(id)));
    assert.ok(docs.some((d) => d!.flags.length > 0), 'some fuzzed mail is flagged');
  });

  it('leaves an archive that `stele verify` finds clean', async () => {
    await s.stop();
    const r = await runCli(['verify', '--json'], { STELE_DATA_DIR: s.dataDir, STELE_INGEST_TOKEN: TEST_TOKEN, STELE_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.equal((JSON.parse(r.stdout) as { ok: boolean }).ok, true);
  });
});
