// Every real-world odd message in the shared corpus is archived byte-identical and either
// parsed or flagged: never refused, never a crash (invariant 2).
import { beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { CORPUS, corpusMessages } from './corpus-files.ts';
import { messageKey } from '../ingest/index.ts';
import { journalHttp, useTestStele, type TestStele } from './harness.ts';

describe('the shared corpus of odd messages', () => {
  const stele = useTestStele();
  let s: TestStele;
  beforeEach(() => {
    s = stele();
  });

  it('archives every message byte-identical, parsed or flagged', async () => {
    const files = await corpusMessages();
    assert.ok(files.length > 100, `found ${files.length} corpus messages`);
    const counts = { parsed: 0, flagged: 0 };
    const archived = new Map<string, string>();
    for (const file of files) {
      const raw = await readFile(file);
      if (raw.length === 0) continue;
      const res = await journalHttp(s.httpUrl, raw);
      assert.equal(res.status, 201, `${relative(CORPUS, file)}: ${res.status} ${await res.text()}`);
      const id = createHash('sha256').update(raw).digest('hex');
      assert.deepEqual(await s.core.vault.getOpened(messageKey(id)), raw, `${file} byte-identical`);
      archived.set(id, file);
    }
    await s.caughtUp();
    for (const [id, file] of archived) {
      const doc = await s.core.index.get(id);
      assert.ok(doc, `${file} indexed`);
      if (doc.flags.includes('unparsed')) counts.flagged++;
      else counts.parsed++;
    }
    assert.ok(counts.parsed > files.length / 2, `most corpus mail parses (${JSON.stringify(counts)})`);
    // A TNEF-wrapped original (winmail.dat): its files and its body are what gets indexed.
    const tnef = [...archived].find(([, f]) => f.endsWith('tnef/rich-text.eml'))!;
    const doc = await s.core.index.get(tnef[0]);
    assert.ok(doc?.flags.includes('tnef'));
    assert.ok(doc?.attachments.some((a) => a.filename === 'kitten-playing-with-a-christmas-tree.jpg'), JSON.stringify(doc?.attachments.map((a) => a.filename)));
    assert.match(doc!.body, /Christmas to remember/);
  });
});
