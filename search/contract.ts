// The one contract suite every SearchIndex adapter runs (see search/port.ts). An adapter's test
// only supplies makeIndex; the answers live here and in contract-cases.ts, so sqlite and
// elasticsearch cannot drift apart. Assertions are about which messages come back.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isSteleError, type ErrorCode } from '../core/errors.ts';
import { CASES } from './contract-cases.ts';
import { extraDoc, FIXTURES, fixtureDocs } from './fixtures.ts';
import type { SearchHit, SearchIndex, SearchOptions, SearchResult, SortOrder } from './port.ts';
import { parseQuery } from './query/parse.ts';

/** The suite closes `index` itself; cleanup then removes whatever the harness created (files, ES indices). */
export interface IndexHarness {
  index: SearchIndex;
  cleanup(): Promise<void>;
}

const ALL_IDS = FIXTURES.map((d) => d.id);
const sorted = (ids: readonly string[]) => [...ids].sort();

async function assertRefused(p: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isSteleError(err, code), `expected ${code}, got ${String(err)}`);
    return true;
  });
}

/** Follows nextCursor to the end, failing if the walk does not terminate. */
async function walk(index: SearchIndex, query: string, opts: SearchOptions): Promise<{ hits: SearchHit[]; pages: SearchResult[] }> {
  const hits: SearchHit[] = [];
  const pages: SearchResult[] = [];
  let cursor: string | undefined;
  for (let guard = 0; guard < 1000; guard++) {
    const page = await index.search(parseQuery(query), { ...opts, ...(cursor ? { cursor } : {}) });
    pages.push(page);
    hits.push(...page.hits);
    if (page.nextCursor === null) return { hits, pages };
    cursor = page.nextCursor;
  }
  throw new Error(`paging ${query} did not end`);
}

/** The visible text inside \u0002...\u0003 markers, folded the way the index folds. */
function marked(snippet: string | undefined): string[] {
  return [...(snippet ?? '').matchAll(/\u0002([\s\S]*?)\u0003/g)].map((m) => m[1]!);
}
const fold = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

function byDate(direction: 1 | -1): string[] {
  return [...FIXTURES]
    .sort((a, b) => direction * (Date.parse(a.date) - Date.parse(b.date)) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((d) => d.id);
}

export function runIndexContract(name: string, makeIndex: () => Promise<IndexHarness>): void {
  describe(`index contract: ${name}`, () => {
    let h: IndexHarness;
    const run = (q: string, opts: SearchOptions = {}) => h.index.search(parseQuery(q), { limit: 1000, ...opts });
    const ids = async (q: string) => sorted((await run(q)).hits.map((x) => x.id));

    before(async () => {
      h = await makeIndex();
      await h.index.add(fixtureDocs());
    });
    after(async () => {
      await h?.index.close();
      await h?.cleanup();
    });

    for (const [group, cases] of Object.entries(CASES)) {
      it(`finds exactly the right messages: ${group}`, async () => {
        for (const [q, expected] of cases) {
          const result = await run(q);
          assert.deepEqual(sorted(result.hits.map((x) => x.id)), sorted(expected), `query ${q}`);
          assert.equal(result.total, expected.length, `total for ${q}`);
        }
      });
    }

    it('matches everything for an empty query, and the complement for NOT', async () => {
      assert.deepEqual(await ids(''), sorted(ALL_IDS));
      const notMerger = await ids('NOT merger');
      assert.deepEqual(notMerger, sorted(ALL_IDS.filter((id) => !['q1-02', 'mg-01', 'mg-02', 'mg-03'].includes(id))));
      assert.equal((await run('smaller:1M')).total, ALL_IDS.length - 3);
    });

    it('treats hostile query text as plain text', async () => {
      for (const q of [`"'); DROP TABLE docs; --"`, `subject:"x' OR 1=1 --"`, '"NEAR(merger agreement)"', '🎉']) {
        assert.deepEqual(await ids(q), [], q);
      }
      assert.deepEqual(await ids('-🎉'), sorted(ALL_IDS));
      assert.equal((await run('')).total, ALL_IDS.length);
    });

    it('returns hits carrying the stored fields', async () => {
      const [hit] = (await run('message-id:q1@acme.com')).hits;
      const doc = FIXTURES.find((d) => d.id === 'q1-01')!;
      assert.deepEqual({ ...hit, snippet: undefined, score: undefined }, {
        id: 'q1-01', date: doc.date, subject: doc.subject, from: doc.from, size: doc.size, flags: doc.flags,
        snippet: undefined, score: undefined,
      });
      const [party] = (await run('cake')).hits;
      assert.equal(party?.subject, 'Party time 🎉🎉');
      const [edge] = (await run('message-id:ed-05@acme.com')).hits;
      assert.equal(edge?.date, '2024-01-15T12:00:00+00:00');
    });

    it('counts the exact total independent of the page size', async () => {
      const page = await run('has:attachment', { limit: 2 });
      assert.equal(page.total, 7);
      assert.equal(page.hits.length, 2);
      assert.notEqual(page.nextCursor, null);
      const countOnly = await run('has:attachment', { limit: 0 });
      assert.deepEqual([countOnly.total, countOnly.hits.length, countOnly.nextCursor], [7, 0, null]);
    });

    for (const sort of ['date_desc', 'date_asc'] as SortOrder[]) {
      it(`pages every hit exactly once, in stable ${sort} order with ties by id`, async () => {
        const { hits, pages } = await walk(h.index, '', { sort, limit: 3 });
        assert.deepEqual(hits.map((x) => x.id), byDate(sort === 'date_desc' ? -1 : 1));
        assert.ok(pages.every((p) => p.total === ALL_IDS.length && p.hits.length <= 3));
        assert.equal(pages.length, Math.ceil(ALL_IDS.length / 3));
      });
    }

    it('pages relevance order exactly once, best first, ties by id', async () => {
      const q = 'report OR merger OR budget OR urgent';
      const expected = ['q1-01', 'q1-02', 'q1-03', 'q1-04', 'mg-01', 'mg-02', 'mg-03', 'bd-01', 'bd-02', 'cs-01', 'cs-02', 'cs-03'];
      const whole = await run(q, { sort: 'relevance' });
      const { hits } = await walk(h.index, q, { sort: 'relevance', limit: 3 });
      assert.deepEqual(hits.map((x) => x.id), whole.hits.map((x) => x.id));
      assert.deepEqual(sorted(hits.map((x) => x.id)), sorted(expected));
      const scores = hits.map((x) => x.score ?? Number.NaN);
      assert.ok(scores.every((s, i) => Number.isFinite(s) && (i === 0 || s <= scores[i - 1]!)), `scores ${scores}`);
      const structural = await walk(h.index, 'hold:acme-v-globex', { sort: 'relevance', limit: 4 });
      assert.deepEqual(structural.hits.map((x) => x.id), ['jr-01', 'mg-01', 'q1-01', 'q1-02', 'q1-03', 'q1-04']);
    });

    it('ranks a message about the term above one that mentions it in passing', async () => {
      const { hits } = await run('budget', { sort: 'relevance' });
      assert.deepEqual(hits.map((x) => x.id), ['bd-01', 'bd-02']);
    });

    it('refuses cursors it did not issue for this query and sort, and oversized pages', async () => {
      const first = await run('merger', { limit: 1 });
      const cursor = first.nextCursor!;
      await assertRefused(run('merger', { limit: 1, cursor: 'not-a-cursor' }), 'bad_request');
      await assertRefused(run('budget', { limit: 1, cursor }), 'bad_request');
      await assertRefused(run('merger', { limit: 1, cursor, sort: 'date_asc' }), 'bad_request');
      await assertRefused(run('merger', { limit: 100_000 }), 'bad_request');
    });

    it('highlights matches in snippets, in the original spelling', async () => {
      const snippet = async (q: string, id: string) => (await run(q)).hits.find((x) => x.id === id)?.snippet;
      const phrase = marked(await snippet('"merger agreement"', 'mg-01')).map(fold).join(' ');
      assert.ok(phrase.includes('merger') && phrase.includes('agreement'), phrase);
      assert.ok(marked(await snippet('reunion', 'ac-01')).includes('Réunion'));
      const cjk = await snippet('会議', 'cj-01');
      assert.ok(marked(cjk).join('').includes('会') && cjk!.replace(/[\u0002\u0003]/g, '').includes('会議'), cjk);
      assert.ok(marked(await snippet('price', 'mg-03')).map(fold).includes('price'));
      assert.equal(await snippet('hold:sec-inquiry', 'mg-01'), undefined);
    });

    it('computes facets over the whole result set, not the page', async () => {
      const r = await run('hold:acme-v-globex', { facets: true, limit: 1 });
      assert.deepEqual(r.facets, {
        domain: [{ value: 'acme.com', count: 4 }, { value: 'globex.com', count: 1 }, { value: 'initech.com', count: 1 }],
        year: [{ value: '2022', count: 5 }, { value: '2023', count: 1 }],
        category: [{ value: 'finance-7y', count: 4 }, { value: 'legal-10y', count: 2 }],
      });
      const all = await run('', { facets: true, limit: 0 });
      assert.deepEqual(all.facets?.year, [
        { value: '2021', count: 4 }, { value: '2022', count: 8 }, { value: '2023', count: 23 }, { value: '2024', count: 6 },
      ]);
      assert.deepEqual(all.facets?.domain.find((d) => d.value === 'globex.com'), { value: 'globex.com', count: 3 });
      assert.equal(all.facets?.category.reduce((n, c) => n + c.count, 0), ALL_IDS.length);
      assert.equal((await run('merger')).facets, undefined);
    });

    it('groups a thread through Message-ID, In-Reply-To and References, oldest first', async () => {
      const thread = async (id: string) => (await h.index.thread(id)).map((x) => x.id);
      assert.deepEqual(await thread('q1-03'), ['q1-01', 'q1-02', 'q1-03', 'q1-04']);
      assert.deepEqual(await thread('q1-04'), ['q1-01', 'q1-02', 'q1-03', 'q1-04']);
      assert.deepEqual(await thread('cs-01'), ['cs-01']);
      assert.deepEqual(await thread('up-01'), ['up-01']);
      assert.deepEqual(await thread('no-such-message'), []);
    });

    it('returns the stored document by id', async () => {
      assert.deepEqual(await h.index.get('ac-02'), FIXTURES.find((d) => d.id === 'ac-02'));
      assert.equal(await h.index.get('no-such-message'), null);
    });

    it('deletes documents, ignoring unknown ids', async () => {
      await h.index.add([extraDoc('tmp-del', { body: 'zebracorn sighting', holds: ['tmp-hold'] })]);
      assert.deepEqual(await ids('zebracorn'), ['tmp-del']);
      await h.index.delete(['tmp-del', 'never-existed']);
      assert.deepEqual(await ids('zebracorn'), []);
      assert.deepEqual(await ids('hold:tmp-hold'), []);
      assert.equal(await h.index.get('tmp-del'), null);
      assert.equal((await run('')).total, ALL_IDS.length);
    });

    it('treats add as an idempotent upsert', async () => {
      await h.index.add(fixtureDocs());
      assert.equal((await run('')).total, ALL_IDS.length);
      assert.deepEqual(await ids('merger'), ['mg-01', 'mg-02', 'mg-03', 'q1-02']);
      const v1 = extraDoc('tmp-up', { subject: 'alpha draft', from: [{ address: 'x@old-firm.com' }], category: 'standard' });
      const v2 = extraDoc('tmp-up', { subject: 'beta final', from: [{ address: 'x@new-firm.com' }], category: 'legal-10y' });
      await h.index.add([v1, v1]);
      await h.index.add([v2]);
      assert.deepEqual(await ids('alpha'), []);
      assert.deepEqual(await ids('beta'), ['tmp-up']);
      assert.deepEqual(await ids('from:x@old-firm.com OR domain:old-firm.com'), []);
      assert.deepEqual(await ids('domain:new-firm.com category:legal-10y'), ['tmp-up']);
      assert.deepEqual(await h.index.get('tmp-up'), v2);
      await h.index.delete(['tmp-up']);
      assert.equal((await run('')).total, ALL_IDS.length);
    });

    it('rewrites retention fields in place, ignoring unknown ids, idempotently', async () => {
      const held = extraDoc('tmp-ret-1', { body: 'wombat ledger', holds: ['old-hold'], category: 'standard' });
      const other = extraDoc('tmp-ret-2', { body: 'wombat minutes', holds: ['old-hold'], category: 'standard' });
      await h.index.add([held, other]);
      const placed = { id: 'tmp-ret-1', holds: ['old-hold', 'New-Hold'], category: 'legal-10y', retainUntil: '2040-06-30T00:00:00.000Z' };
      await h.index.setRetention([placed, { id: 'never-indexed', holds: ['new-hold'] }]);
      assert.deepEqual(await ids('hold:new-hold'), ['tmp-ret-1'], 'a hold placed after indexing is searchable');
      assert.deepEqual(await ids('hold:old-hold'), ['tmp-ret-1', 'tmp-ret-2']);
      assert.deepEqual(await ids('wombat category:legal-10y'), ['tmp-ret-1']);
      assert.deepEqual(await ids('wombat category:standard'), ['tmp-ret-2']);
      const expected = { ...held, holds: placed.holds, category: placed.category, retainUntil: placed.retainUntil };
      assert.deepEqual(await h.index.get('tmp-ret-1'), expected, 'every other field is kept');
      assert.equal(await h.index.get('never-indexed'), null, 'an unknown id is not created');
      assert.deepEqual((await run('wombat', { facets: true })).facets?.category, [{ value: 'legal-10y', count: 1 }, { value: 'standard', count: 1 }]);
      await h.index.setRetention([placed]);
      assert.deepEqual(await h.index.get('tmp-ret-1'), expected, 'applying the same change again changes nothing');
      // Released: holds only, so category and retain-until stay; the last change for an id wins.
      await h.index.setRetention([{ id: 'tmp-ret-1', holds: ['x'] }, { id: 'tmp-ret-1', holds: [] }, { id: 'tmp-ret-2', holds: [] }]);
      assert.deepEqual(await ids('hold:new-hold OR hold:old-hold OR hold:x'), []);
      assert.deepEqual(await h.index.get('tmp-ret-1'), { ...expected, holds: [] });
      assert.deepEqual(await ids('wombat ledger'), ['tmp-ret-1'], 'text is still searchable');
      await assertRefused(h.index.setRetention([{ id: 'tmp-ret-2', holds: ['z'] }, { id: 'tmp-ret-1', holds: [], retainUntil: 'someday' }]), 'bad_request');
      await assertRefused(h.index.setRetention([{ id: 'tmp-ret-2', holds: [], category: '' }]), 'bad_request');
      assert.deepEqual(await ids('hold:z'), [], 'an invalid batch writes none of it');
      await h.index.delete(['tmp-ret-1', 'tmp-ret-2']);
      assert.equal((await run('')).total, ALL_IDS.length);
    });

    it('refuses a batch holding an invalid document, writing none of it', async () => {
      const good = extraDoc('tmp-good', { body: 'quokka' });
      await assertRefused(h.index.add([good, extraDoc('tmp-bad', { date: 'last Tuesday' })]), 'bad_request');
      assert.deepEqual(await ids('quokka'), []);
    });
  });

  describe(`index contract: ${name} (watermark and clear)`, () => {
    let h: IndexHarness;
    before(async () => {
      h = await makeIndex();
    });
    after(async () => {
      await h?.index.close();
      await h?.cleanup();
    });

    it('keeps a watermark, refuses a negative one, and clear() empties the index', async () => {
      assert.equal(await h.index.getWatermark(), 0);
      await h.index.setWatermark(42);
      assert.equal(await h.index.getWatermark(), 42);
      await assertRefused(h.index.setWatermark(-1), 'bad_request');
      await h.index.add(fixtureDocs().slice(0, 5));
      assert.equal((await h.index.search({ kind: 'all' })).total, 5);
      await h.index.clear();
      assert.equal((await h.index.search({ kind: 'all' })).total, 0);
      assert.equal(await h.index.getWatermark(), 0);
      assert.deepEqual(await h.index.thread('q1-01'), []);
      await h.index.add(fixtureDocs().slice(0, 1));
      assert.equal((await h.index.search(parseQuery('report'))).total, 1);
    });
  });
}
