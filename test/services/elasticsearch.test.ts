// Smoke test of the Elasticsearch test service itself: it starts, answers on loopback only,
// indexes and searches, and is gone after stop(). The search adapter's suite relies on this.
import { after, before, describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { ES_VERSION, startElasticsearch, type ElasticsearchNode } from './elasticsearch.ts';

const node = await startElasticsearch();

if (!node) {
  test('elasticsearch test service', { skip: 'Elasticsearch could not be started (see the warning above)' }, () => {});
} else {
  describe(`elasticsearch test service (${ES_VERSION})`, () => {
    let es: ElasticsearchNode;
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${es.url}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, product: res.headers.get('x-elastic-product'), json: (await res.json()) as Record<string, any> };
    };

    before(() => {
      es = node;
    });
    after(() => es.stop());

    it('listens on 127.0.0.1 only', () => {
      assert.match(es.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    });

    it('is a single-node Elasticsearch 8 cluster without security', async () => {
      const health = await call('GET', '/_cluster/health');
      assert.equal(health.product, 'Elasticsearch');
      assert.equal(health.json.number_of_nodes, 1);
      const nodes = await call('GET', '/_nodes/_local');
      const info = Object.values(nodes.json.nodes as Record<string, { version: string }>)[0];
      assert.equal(info?.version, ES_VERSION);
    });

    it('indexes and searches a document', async () => {
      const created = await call('PUT', '/smoke', { mappings: { properties: { subject: { type: 'text' }, from: { type: 'keyword' } } } });
      assert.equal(created.status, 200);
      const indexed = await call('PUT', '/smoke/_doc/1?refresh=true', { subject: 'Quarterly results', from: 'cfo@example.com' });
      assert.equal(indexed.status, 201);
      const found = await call('POST', '/smoke/_search', { query: { match: { subject: 'results' } } });
      assert.equal(found.json.hits.total.value, 1);
      await call('DELETE', '/smoke');
    });

    it('stops, and the port no longer answers', async () => {
      await es.stop();
      await assert.rejects(fetch(`${es.url}/_cluster/health`, { signal: AbortSignal.timeout(2_000) }));
    });
  });
}
