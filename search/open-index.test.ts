// Tests the index URL registry: sqlite URLs open an index, http(s) URLs reach Elasticsearch, anything
// else is a clear bad_request. (The Elasticsearch adapter itself is tested in search/elasticsearch.)
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSteleError } from '../core/errors.ts';
import { freePort } from '../test/services/process.ts';
import { openIndex } from './index.ts';

describe('openIndex', () => {
  it('opens sqlite: in memory and on a file path', async () => {
    const mem = await openIndex('sqlite::memory:');
    assert.equal(mem.backend, 'sqlite');
    await mem.close();
    const dir = await mkdtemp(join(tmpdir(), 'stele-open-'));
    try {
      const file = join(dir, 'data', 'index.db');
      const idx = await openIndex(`sqlite:${file}`);
      await idx.setWatermark(7);
      await idx.close();
      assert.ok((await stat(file)).isFile());
      const again = await openIndex(`sqlite://${file}`);
      assert.equal(await again.getWatermark(), 7);
      await again.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses unknown schemes and an empty path, without echoing a password', async () => {
    for (const url of ['mysql://u:hunter2@db/x', './data/index.db', '', 'sqlite:']) {
      await assert.rejects(openIndex(url), (err: unknown) => {
        assert.ok(isSteleError(err, 'bad_request'), String(err));
        assert.ok(!err.message.includes('hunter2'));
        return true;
      });
    }
  });

  it('sends http(s) URLs to Elasticsearch, refusing bad index names and hiding the password', async () => {
    const port = await freePort();
    await assert.rejects(openIndex(`http://elastic:hunter2@127.0.0.1:${port}/Not An Index`), (err: unknown) => {
      assert.ok(isSteleError(err, 'bad_request'), String(err));
      assert.ok(!err.message.includes('hunter2'));
      return true;
    });
    // Nothing listens there: a retryable storage error, and the password still never shows.
    await assert.rejects(openIndex(`http://elastic:hunter2@127.0.0.1:${port}`), (err: unknown) => {
      assert.ok(isSteleError(err, 'storage_unavailable'), String(err));
      assert.equal(err.retryable, true);
      assert.ok(!err.message.includes('hunter2'), err.message);
      return true;
    });
  });
});
