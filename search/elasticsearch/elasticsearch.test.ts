// Runs the shared index contract against a real Elasticsearch 8 node started by the test
// (test/services/elasticsearch.ts); every harness gets its own index, deleted afterwards.
import { after, test } from 'node:test';
import { randomBytes } from 'node:crypto';
import { Client } from '@elastic/elasticsearch';
import { startElasticsearch } from '../../test/services/elasticsearch.ts';
import { runIndexContract } from '../contract.ts';
import { createElasticsearchIndex } from './elasticsearch-index.ts';
import { metaIndexName } from './mappings.ts';

const node = await startElasticsearch();

if (!node) {
  test('index contract: elasticsearch', { skip: 'no Elasticsearch node could be started (see the warning above)' }, () => {});
} else {
  after(() => node.stop());

  /** Removes what one harness created: its index, the meta index and the template. */
  async function drop(index: string): Promise<void> {
    const client = new Client({ node: node!.url });
    try {
      await client.indices.delete({ index: [index, metaIndexName(index)] }, { ignore: [404] });
      await client.indices.deleteIndexTemplate({ name: index }, { ignore: [404] });
    } finally {
      await client.close();
    }
  }

  runIndexContract('elasticsearch', async () => {
    const index = `stele-test-${randomBytes(4).toString('hex')}`;
    return { index: await createElasticsearchIndex({ url: node.url, index }), cleanup: () => drop(index) };
  });
}
