// Unit tests of the AST -> SQL compiler: user values only ever travel as bound parameters.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseQuery } from '../query/parse.ts';
import { compileWhere, highlightExpression } from './compile.ts';

const HOSTILE = [
  `subject:"x' OR 1=1 --"`,
  `"'); DROP TABLE docs; --"`,
  `from:"a@b.com' OR '1'='1"`,
  `category:"legal' OR 1=1 --"`,
  `domain:"evil.com'--"`,
  `hold:"x\\" OR \\"1"`,
  `"NEAR(a b) OR {subject}:c"`,
];

describe('compileWhere', () => {
  it('never puts a user value into the SQL text', () => {
    for (const q of HOSTILE) {
      const { where, params } = compileWhere(parseQuery(q));
      for (const needle of ["'", '--', 'DROP', '1=1', 'NEAR', 'evil']) {
        assert.ok(!where.includes(needle), `${q} leaked ${needle} into ${where}`);
      }
      assert.equal((where.match(/\?/g) ?? []).length, params.length, q);
    }
  });

  it('quotes every FTS value so FTS operators in it are plain text', () => {
    const { params } = compileWhere(parseQuery('"NEAR(a b) OR c"*'));
    assert.deepEqual(params, ['"NEAR(a b) OR c"*']);
    assert.deepEqual(compileWhere(parseQuery('subject:"say \\"hi\\""')).params, ['{subject} : "say ""hi"""']);
  });

  it('leaves negated terms out of the highlight expression', () => {
    assert.equal(highlightExpression(parseQuery('merger -budget NOT NOT urgent')), '("merger") OR ("urgent")');
    assert.equal(highlightExpression(parseQuery('hold:x larger:1M')), null);
  });

  it('compiles a term without any letter or digit to match nothing, not everything', () => {
    assert.deepEqual(compileWhere(parseQuery('🎉')), { where: '0', params: [] });
    assert.deepEqual(compileWhere(parseQuery('-🎉')), { where: '(NOT 0)', params: [] });
  });
});
