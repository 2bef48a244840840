// Every real-world odd message in the shared corpus is archived byte-identical and either
// parsed or flagged: never refused, never a crash (invariant 2).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { messageKey } from '../ingest/index.ts';
import { journalHttp, removeDir, startTestStele, type TestStele } from './harness.ts';

export const CORPUS = '../shared/corpus';
/** Expected-output files, licences and raw TNEF blobs sit beside the messages; they are not mail. */
const NOT_MAIL = /(\.(xml|out|json|list|tnef|md)$)|(_decoded[^/]*$)|LICENSE|README|\.unix-offsets/;

/** Every single-message file of the corpus (mbox files go through the mbox importer). */
export async function corpusMessages(dir = CORPUS): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const path = join(dir, name);
    if ((await stat(path)).isDirectory()) {
      if (name !== 'mbox') out.push(...(await corpusMessages(path)));
    } else if (!NOT_MAIL.test(path)) {
      out.push(path);
    }
  }
  return out;
}

describe('the shared corpus of odd messages', () => {
  let s: TestStele;
  before(async () => {
    s = await startTestStele();
  });
  after(async () => {
    await s.stop();
    await removeDir(s.dataDir);
  });

  it('archives every message byte-identical, parsed or flagged', async () => {
    const files = await corpusMessages();
    assert.ok(files.length > 100, `found ${files.length} corpus messages`);
    const counts = { parsed: 0, flagged: 0 };
    for (const file of files) {
      const raw = await readFile(file);
      if (raw.length === 0) continue;
      const res = await journalHttp(s.httpUrl, raw);
      assert.equal(res.status, 201, `${relative(CORPUS, file)}: ${res.status} ${await res.text()}`);
      const id = createHash('sha256').update(raw).digest('hex');
      assert.deepEqual(await s.core.vault.getOpened(messageKey(id)), raw, `${file} byte-identical`);
      const doc = await s.core.index.get(id);
      assert.ok(doc, `${file} indexed`);
      if (doc.flags.includes('unparsed')) counts.flagged++;
      else counts.parsed++;
    }
    assert.ok(counts.parsed > files.length / 2, `most corpus mail parses (${JSON.stringify(counts)})`);
  });
});
