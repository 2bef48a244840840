// Sustained load: 16 SMTP connections journal without pause while a legal user searches and an
// export runs, against a real Stele. Every message must be acknowledged 250, searches must keep
// answering (totals only grow and never run ahead of what was acknowledged), the export must
// complete with the right count, and memory must stay bounded. The ingest rate is reported, not
// asserted (figures belong in bench/). About 30 s here; STELE_SOAK=1 runs it for
// STELE_SOAK_SECONDS (default 600) and then also checks that memory does not creep up.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { ExportRecord } from '../discovery/index.ts';
import { generateMessage } from '../bench/corpus.ts';
import { login, removeDir, startTestStele, type SignedInClient, type TestStele } from './harness.ts';

const SOAK = process.env.STELE_SOAK === '1';
const SECONDS = SOAK ? Number(process.env.STELE_SOAK_SECONDS ?? 600) : 30;
const CONNECTIONS = 16;
const EVERYTHING = 'NOT from:nobody@nowhere.example';
/** The search rate limit (server/auth/policy.ts RATE_LIMITS) is 30 a minute per user: stay under it. */
const SEARCH_EVERY_MS = 2_500;
/** A safety cap for the short run: client, server, parser workers and SQLite in one process. */
const RSS_CAP_MB = 1_536;
/** Soak leak check: the second half may not peak more than this far above the first half. */
const LEAK_SLACK = { ratio: 1.2, mb: 64 };

const mb = (n: number) => Math.round(n / 1e6);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Sample {
  at: number;
  total: number;
  ackedBefore: number;
  ackedAfter: number;
}

describe(`sustained load: ${CONNECTIONS} SMTP connections for ${SECONDS} s with search and export`, { timeout: (SECONDS + 240) * 1000 }, () => {
  let s: TestStele;
  let legal: SignedInClient;
  let matterId: string;
  let acked = 0;
  let ackedBytes = 0;
  const refused: string[] = [];
  const rss: number[] = [];
  const searches: Sample[] = [];
  let rateLimited = 0;
  let midExport: { record: ExportRecord; hitsWhenSaved: number; ackedAfter: number } | undefined;
  let runSeconds = 0;

  before(async () => {
    s = await startTestStele();
    await s.createUser('lena', ['legal'], 'granite orchard lantern 5521');
    legal = await login(s, 'lena', 'granite orchard lantern 5521');
    const matter = await legal.fetch('/api/v1/matters', { json: { name: 'Load', description: 'load test', custodians: [] } });
    assert.equal(matter.status, 201, await matter.clone().text());
    matterId = ((await matter.json()) as { id: string }).id;
  });

  after(async () => {
    await s?.stop();
    if (s) await removeDir(s.dataDir);
  });

  async function search(q: string): Promise<number | null> {
    const res = await legal.fetch(`/api/v1/search?q=${encodeURIComponent(q)}&limit=10&facets=false`);
    if (res.status === 429) return (rateLimited++, null); // the documented limit; back off, not an error
    assert.equal(res.status, 200, await res.clone().text());
    return ((await res.json()) as { total: number }).total;
  }

  /** Saves a search of everything and exports it; resolves with the finished export. */
  async function exportEverything(name: string): Promise<{ record: ExportRecord; hitsWhenSaved: number }> {
    const saved = await legal.fetch(`/api/v1/matters/${matterId}/searches`, { json: { name, query: EVERYTHING } });
    assert.equal(saved.status, 201, await saved.clone().text());
    const search = (await saved.json()) as { id: string; hits: number };
    const started = await legal.fetch(`/api/v1/matters/${matterId}/exports`, { json: { searchId: search.id, prefix: name.toUpperCase().slice(0, 6) } });
    assert.equal(started.status, 202, await started.clone().text());
    const { id } = (await started.json()) as { id: string };
    for (;;) {
      const r = await legal.fetch(`/api/v1/matters/${matterId}/exports/${id}`);
      assert.equal(r.status, 200);
      const record = (await r.json()) as ExportRecord;
      if (record.status === 'complete' || record.status === 'failed') return { record, hitsWhenSaved: search.hits };
      await sleep(100); // polling the job API, as a client would
    }
  }

  async function journal(deadline: number): Promise<void> {
    const options: SMTPTransport.Options & { pool: true; maxConnections: number; maxMessages: number } = {
      pool: true, maxConnections: CONNECTIONS, maxMessages: Infinity, host: '127.0.0.1', port: s.smtpPort, ignoreTLS: true,
    };
    const transport = nodemailer.createTransport(options);
    let next = 0;
    try {
      await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
        while (Date.now() < deadline) {
          const raw = generateMessage(next++, 31);
          try {
            const info = await transport.sendMail({ envelope: { from: 'journal@clinic.example', to: ['archive@stele.example'] }, raw });
            if (/^250\b/.test(info.response)) (acked++, (ackedBytes += raw.length));
            else refused.push(info.response);
          } catch (err) {
            const e = err as { responseCode?: number; response?: string; message: string };
            refused.push(`${e.responseCode ?? '-'} ${e.response ?? e.message}`);
          }
        }
      }));
    } finally {
      transport.close();
    }
  }

  it('journals without a single refusal while searches and an export run', async () => {
    const started = Date.now();
    const deadline = started + SECONDS * 1000;
    const sampler = setInterval(() => rss.push(process.memoryUsage().rss), 1000);
    const searcher = (async () => {
      while (Date.now() < deadline) {
        const ackedBefore = acked;
        const total = await search(EVERYTHING);
        if (total !== null) searches.push({ at: Date.now() - started, total, ackedBefore, ackedAfter: acked });
        await sleep(SEARCH_EVERY_MS);
      }
    })();
    const exporter = (async () => {
      await sleep((SECONDS * 1000) / 3);
      const { record, hitsWhenSaved } = await exportEverything('during');
      midExport = { record, hitsWhenSaved, ackedAfter: acked };
    })();
    try {
      await journal(deadline);
      runSeconds = (Date.now() - started) / 1000;
      await Promise.all([searcher, exporter]);
    } finally {
      clearInterval(sampler);
    }
    console.log(`load: ${acked} messages (${mb(ackedBytes)} MB) acknowledged in ${runSeconds.toFixed(1)} s over ${CONNECTIONS} connections: ` +
      `${(acked / runSeconds).toFixed(0)} msg/s, ${(ackedBytes / 1e6 / runSeconds).toFixed(1)} MB/s; ${searches.length} searches (${rateLimited} rate-limited), totals ${searches[0]?.total}..${searches.at(-1)?.total}; ` +
      `RSS ${mb(Math.min(...rss))}..${mb(Math.max(...rss))} MB`);
    assert.deepEqual(refused.slice(0, 5), [], `${refused.length} messages not acknowledged`);
    assert.ok(acked > CONNECTIONS, `only ${acked} messages acknowledged`);
  });

  it('kept answering searches whose totals grew and never ran ahead of the acknowledgements', () => {
    assert.ok(searches.length >= 3, `only ${searches.length} searches answered`);
    for (let i = 1; i < searches.length; i++) {
      assert.ok(searches[i]!.total >= searches[i - 1]!.total, `total fell from ${searches[i - 1]!.total} to ${searches[i]!.total}`);
    }
    // A message is indexed only after it is committed, and at most one per connection is in flight.
    for (const x of searches) assert.ok(x.total <= x.ackedAfter + CONNECTIONS, `${x.total} hits with only ${x.ackedAfter} acknowledged`);
    assert.ok(searches.at(-1)!.total > searches[0]!.total, `totals did not grow during the run: ${searches.map((x) => x.total).join(',')}`);
  });

  it('completed the export started during the load with every message selected then', () => {
    assert.ok(midExport, 'the export did not run');
    const { record, hitsWhenSaved, ackedAfter } = midExport;
    assert.equal(record.status, 'complete', record.error ?? '');
    assert.equal(record.done, record.total);
    assert.ok(record.total >= hitsWhenSaved && record.total <= ackedAfter + CONNECTIONS, `exported ${record.total}, saved search had ${hitsWhenSaved}, acked ${ackedAfter}`);
    assert.ok(record.parts.length >= 1 && record.bytes > 0);
  });

  it('ends with search and a new export counting exactly what was acknowledged', async () => {
    await s.caughtUp();
    let total = await search(EVERYTHING);
    while (total === null) {
      await sleep(2000); // rate-limited: the bucket refills one search every 2 s
      total = await search(EVERYTHING);
    }
    assert.equal(total, acked);
    const { record } = await exportEverything('after');
    assert.equal(record.status, 'complete', record.error ?? '');
    assert.equal(record.total, acked);
    assert.equal(record.done, acked);
  });

  it(SOAK ? 'kept memory flat: the second half peaks no higher than the first' : `stayed under ${RSS_CAP_MB} MB of RSS`, () => {
    assert.ok(rss.length >= SECONDS / 2, `only ${rss.length} RSS samples`);
    const peak = Math.max(...rss);
    assert.ok(peak < RSS_CAP_MB * 1e6 || SOAK, `RSS peaked at ${mb(peak)} MB`);
    if (!SOAK) return;
    const half = Math.floor(rss.length / 2);
    const first = Math.max(...rss.slice(0, half));
    const second = Math.max(...rss.slice(half));
    console.log(`soak RSS peaks: first half ${mb(first)} MB, second half ${mb(second)} MB`);
    assert.ok(second <= first * LEAK_SLACK.ratio + LEAK_SLACK.mb * 1e6, `RSS grew from ${mb(first)} MB to ${mb(second)} MB`);
  });
});
