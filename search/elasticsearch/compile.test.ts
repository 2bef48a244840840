// Unit tests of the AST -> query DSL compiler: user values only ever travel as leaf values.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseQuery } from '../query/parse.ts';
import { compileFilter, scoringQuery } from './compile.ts';

const HOSTILE = [
  `subject:"x' OR 1=1 --"`,
  `"title:(a OR b) AND *:*"`,
  `from:"a@b.com\\" OR \\"1"`,
  `category:"legal OR *"`,
  `domain:"evil.com OR x"`,
  `"{\\"match_all\\":{}}"`,
];

/** Every object key of a compiled query: the query's shape, which user input must not choose. */
function keys(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) keys(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.add(k);
      keys(v, out);
    }
  }
  return out;
}

describe('compileFilter', () => {
  it('never uses query_string and never lets a value become a key', () => {
    for (const q of HOSTILE) {
      const dsl = compileFilter(parseQuery(q));
      const shape = [...keys(dsl)];
      for (const k of shape) {
        assert.ok(!/query_string|simple_query_string|script/.test(k), `${q} compiled to ${k}`);
        assert.ok(/^[a-z_.]+$/.test(k), `${q} put ${JSON.stringify(k)} into the query shape`);
      }
    }
  });

  it('folds a text value the way documents are folded, and phrases several words', () => {
    assert.deepEqual(compileFilter(parseQuery('subject:RÉSUMÉ')), { match_phrase: { 't.subject': { query: 'resume', boost: 1 } } });
    assert.deepEqual(compileFilter(parseQuery('body:e-mail')), { match_phrase: { 't.body': { query: 'e mail', boost: 1 } } });
    assert.deepEqual(compileFilter(parseQuery('subject:会議')), { match_phrase: { 't.subject': { query: '会 議', boost: 1 } } });
    assert.deepEqual(compileFilter(parseQuery('subject:merg*')), { prefix: { 't.subject': { value: 'merg', boost: 1 } } });
  });

  it('matches addresses exactly, by prefix or by domain suffix', () => {
    assert.deepEqual(compileFilter(parseQuery('from:Alice@Acme.com')), { term: { 'addr.from': 'alice@acme.com' } });
    assert.deepEqual(compileFilter(parseQuery('from:alice@acm*')), { prefix: { 'addr.from': { value: 'alice@acm' } } });
    assert.deepEqual(compileFilter(parseQuery('to:@acme.com')), { term: { 'dom.to': 'acme.com' } });
  });

  it('compiles a term without any letter or digit to match nothing, not everything', () => {
    assert.deepEqual(compileFilter(parseQuery('🎉')), { match_none: {} });
    assert.deepEqual(compileFilter(parseQuery('-🎉')), { bool: { must_not: [{ match_none: {} }] } });
  });
});

describe('scoringQuery', () => {
  it('scores and highlights only the text terms a hit can contain', () => {
    const q = scoringQuery(parseQuery('merger -budget NOT NOT urgent hold:x'));
    assert.deepEqual(q, {
      bool: {
        minimum_should_match: 1,
        should: [compileScored('merger'), compileScored('urgent')],
      },
    });
    assert.equal(scoringQuery(parseQuery('hold:x larger:1M -merger')), null);
  });
});

function compileScored(word: string) {
  return (scoringQuery(parseQuery(word)) as { bool: { should: unknown[] } }).bool.should[0];
}
