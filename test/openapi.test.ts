// The OpenAPI description names every route the server registers, with the action it checks,
// so the document cannot fall behind the code.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { listRoutes } from '../server/auth/route-inventory.ts';
import { useTestStele } from './harness.ts';

describe('docs/openapi.yaml', () => {
  const stele = useTestStele();

  it('documents every registered route and its action', async () => {
    const doc = await readFile('docs/openapi.yaml', 'utf8');
    const paths = new Map<string, string>(); // "METHOD /path" -> the text of that operation
    for (const block of doc.split(/\n(?=  \/)/).slice(1)) {
      const path = /^ {2}(\/\S*):/.exec(block)?.[1];
      for (const op of block.split(/\n(?= {4}(?:get|post|put|patch|delete):)/).slice(1)) {
        paths.set(`${op.trim().split(':')[0].toUpperCase()} ${path}`, op);
      }
    }
    const missing: string[] = [];
    for (const r of listRoutes(stele().app)) {
      const key = `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`;
      const op = paths.get(key);
      if (!op) missing.push(key);
      else if (r.action && r.action !== 'self') assert.match(op, new RegExp(`x-stele-action: ${r.action.replace('.', '\\.')}\\b`), key);
    }
    assert.deepEqual(missing, []);
  });
});
