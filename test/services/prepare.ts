// Builds and fetches every test service into the Stele cache ahead of the tests, printing how
// long each took, so CI keeps build time apart from test time:
//   node --import tsx test/services/prepare.ts
import { ES_VERSION, installElasticsearch } from './elasticsearch.ts';
import { buildS3Server } from './s3.ts';

const steps: [string, () => Promise<string>][] = [
  ['S3 server (versitygw)', buildS3Server],
  [`Elasticsearch ${ES_VERSION}`, installElasticsearch],
];
for (const [name, run] of steps) {
  const t0 = Date.now();
  const path = await run();
  console.log(`${name}: ${path} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}
