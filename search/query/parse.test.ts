// Unit tests of the query parser: every operator and field, precedence, and errors with positions.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isSteleError } from '../../core/errors.ts';
import type { QueryNode } from '../port.ts';
import { parseQuery } from './parse.ts';

const w = (value: string, extra: Partial<{ prefix: boolean; phrase: boolean }> = {}): QueryNode => ({
  kind: 'term', field: 'any', value, ...extra,
});
const and = (...children: QueryNode[]): QueryNode => ({ kind: 'and', children });
const or = (...children: QueryNode[]): QueryNode => ({ kind: 'or', children });
const not = (child: QueryNode): QueryNode => ({ kind: 'not', child });

function assertSyntaxError(text: string, position: number, expectedIncludes?: string): void {
  assert.throws(() => parseQuery(text), (err: unknown) => {
    assert.ok(isSteleError(err, 'bad_request'), `expected bad_request for ${JSON.stringify(text)}, got ${String(err)}`);
    assert.equal(err.details?.position, position, `position for ${JSON.stringify(text)}: ${err.message}`);
    assert.equal(typeof err.details?.expected, 'string');
    if (expectedIncludes) assert.ok(String(err.details?.expected).includes(expectedIncludes), String(err.details?.expected));
    return true;
  });
}

describe('parseQuery: terms and operators', () => {
  it('an empty or blank query matches everything', () => {
    assert.deepEqual(parseQuery(''), { kind: 'all' });
    assert.deepEqual(parseQuery('   \t\n'), { kind: 'all' });
  });

  it('parses free words, phrases and prefixes', () => {
    assert.deepEqual(parseQuery('merger'), w('merger'));
    assert.deepEqual(parseQuery('"merger agreement"'), w('merger agreement', { phrase: true }));
    assert.deepEqual(parseQuery('merg*'), w('merg', { prefix: true }));
    assert.deepEqual(parseQuery('"quarterly rep"*'), w('quarterly rep', { prefix: true, phrase: true }));
    assert.deepEqual(parseQuery('"say \\"hi\\" now"'), w('say "hi" now', { phrase: true }));
  });

  it('keeps punctuation inside words (the index tokenizes them)', () => {
    assert.deepEqual(parseQuery('e-mail'), w('e-mail'));
    assert.deepEqual(parseQuery('john.smith@acme.com'), w('john.smith@acme.com'));
    assert.deepEqual(parseQuery('10:30'), w('10:30'));
    assert.deepEqual(parseQuery('日本語'), w('日本語'));
  });

  it('treats adjacency as AND', () => {
    assert.deepEqual(parseQuery('a b c'), and(w('a'), w('b'), w('c')));
    assert.deepEqual(parseQuery('a AND b'), and(w('a'), w('b')));
  });

  it('parses OR, NOT and -term', () => {
    assert.deepEqual(parseQuery('a OR b'), or(w('a'), w('b')));
    assert.deepEqual(parseQuery('NOT a'), not(w('a')));
    assert.deepEqual(parseQuery('a -b'), and(w('a'), not(w('b'))));
    assert.deepEqual(parseQuery('-"x y"'), not(w('x y', { phrase: true })));
    assert.deepEqual(parseQuery('-(a OR b)'), not(or(w('a'), w('b'))));
    assert.deepEqual(parseQuery('NOT NOT a'), not(not(w('a'))));
  });

  it('treats lower-case and/or/not as words', () => {
    assert.deepEqual(parseQuery('salt and pepper'), and(w('salt'), w('and'), w('pepper')));
    assert.deepEqual(parseQuery('"OR"'), w('OR', { phrase: true }));
  });

  it('binds NOT tighter than AND, and AND tighter than OR', () => {
    assert.deepEqual(parseQuery('a OR b AND c'), or(w('a'), and(w('b'), w('c'))));
    assert.deepEqual(parseQuery('a b OR c'), or(and(w('a'), w('b')), w('c')));
    assert.deepEqual(parseQuery('NOT a b'), and(not(w('a')), w('b')));
    assert.deepEqual(parseQuery('NOT a OR b'), or(not(w('a')), w('b')));
    assert.deepEqual(parseQuery('a OR b c OR d'), or(w('a'), and(w('b'), w('c')), w('d')));
  });

  it('lets parentheses override precedence and flattens equal operators', () => {
    assert.deepEqual(parseQuery('(a OR b) c'), and(or(w('a'), w('b')), w('c')));
    assert.deepEqual(parseQuery('a (b c)'), and(w('a'), w('b'), w('c')));
    assert.deepEqual(parseQuery('((a))'), w('a'));
    assert.deepEqual(parseQuery('(a OR b)(c OR d)'), and(or(w('a'), w('b')), or(w('c'), w('d'))));
    assert.deepEqual(parseQuery('NOT(a)'), not(w('a')));
  });
});

describe('parseQuery: fields', () => {
  it('parses the address and text fields, quoted and prefixed', () => {
    for (const f of ['from', 'to', 'cc', 'bcc', 'participant', 'subject', 'body', 'attachment', 'filename'] as const) {
      assert.deepEqual(parseQuery(`${f}:x`), { kind: 'term', field: f, value: 'x' });
    }
    assert.deepEqual(parseQuery('subject:"quarterly report"'), {
      kind: 'term', field: 'subject', value: 'quarterly report', phrase: true,
    });
    assert.deepEqual(parseQuery('from:ali*'), { kind: 'term', field: 'from', value: 'ali', prefix: true });
    assert.deepEqual(parseQuery('From:Alice@Acme.com'), { kind: 'term', field: 'from', value: 'Alice@Acme.com' });
    assert.deepEqual(parseQuery('-from:bob'), not({ kind: 'term', field: 'from', value: 'bob' }));
  });

  it('parses has:, flag: and keyword fields, normalising case, <> and @', () => {
    assert.deepEqual(parseQuery('has:attachment'), { kind: 'has', what: 'attachment' });
    assert.deepEqual(parseQuery('has:Attachment'), { kind: 'has', what: 'attachment' });
    assert.deepEqual(parseQuery('flag:Unparsed'), { kind: 'flag', value: 'unparsed' });
    assert.deepEqual(parseQuery('category:Finance-7y'), { kind: 'keyword', field: 'category', value: 'finance-7y' });
    assert.deepEqual(parseQuery('custodian:alice@acme.com'), { kind: 'keyword', field: 'custodian', value: 'alice@acme.com' });
    assert.deepEqual(parseQuery('hold:"Acme v Globex"'), { kind: 'keyword', field: 'hold', value: 'acme v globex' });
    assert.deepEqual(parseQuery('message-id:<Q1@acme.com>'), { kind: 'keyword', field: 'message-id', value: 'q1@acme.com' });
    assert.deepEqual(parseQuery('domain:@Acme.com'), { kind: 'keyword', field: 'domain', value: 'acme.com' });
  });

  it('turns dates into inclusive UTC bounds', () => {
    const d = (q: string) => parseQuery(q) as { op: string; value: string };
    assert.deepEqual(parseQuery('after:2024-01-01'), {
      kind: 'date', field: 'date', op: 'after', value: '2024-01-01T00:00:00.000Z',
    });
    assert.equal(d('before:2024-01-31').value, '2024-02-01T00:00:00.000Z');
    assert.equal(d('before:2024-12-31').value, '2025-01-01T00:00:00.000Z');
    assert.equal(d('before:2024-02-29').value, '2024-03-01T00:00:00.000Z');
    assert.equal(d('before:2024-01').value, '2024-02-01T00:00:00.000Z');
    assert.equal(d('after:2024-01').value, '2024-01-01T00:00:00.000Z');
    assert.equal(d('before:2024').value, '2025-01-01T00:00:00.000Z');
    assert.equal(d('before:2024-01-31T12:30').value, '2024-01-31T12:30:00.000Z');
    assert.equal(d('after:2024-01-31T12:30:15.250Z').value, '2024-01-31T12:30:15.250Z');
    assert.equal(d('after:2024-01-01T02:00:00+02:00').value, '2024-01-01T00:00:00.000Z');
    assert.equal(d('before:2024-01-01T00:00-0500').value, '2024-01-01T05:00:00.000Z');
  });

  it('turns sizes into bytes with 1024-based suffixes; larger/smaller keep their op', () => {
    const bytes = (q: string) => (parseQuery(q) as { bytes: number }).bytes;
    assert.deepEqual(parseQuery('larger:10k'), { kind: 'size', op: 'larger', bytes: 10_240 });
    assert.deepEqual(parseQuery('smaller:500'), { kind: 'size', op: 'smaller', bytes: 500 });
    assert.equal(bytes('larger:1M'), 1_048_576);
    assert.equal(bytes('larger:1mb'), 1_048_576);
    assert.equal(bytes('larger:2G'), 2 * 1024 ** 3);
    assert.equal(bytes('larger:1.5K'), 1536);
    assert.equal(bytes('larger:300B'), 300);
  });

  it('combines fields with operators', () => {
    assert.deepEqual(parseQuery('from:alice (merger OR acquisition) -has:attachment after:2022'), and(
      { kind: 'term', field: 'from', value: 'alice' },
      or(w('merger'), w('acquisition')),
      not({ kind: 'has', what: 'attachment' }),
      { kind: 'date', field: 'date', op: 'after', value: '2022-01-01T00:00:00.000Z' },
    ));
  });
});

describe('parseQuery: errors carry the position and what was expected', () => {
  it('rejects unknown fields rather than searching them as text', () => {
    assertSyntaxError('merger sender:bob', 7, 'from:');
    assertSyntaxError('re:meeting', 0);
    assertSyntaxError('http://x', 0);
  });

  it('rejects missing and malformed field values', () => {
    assertSyntaxError('from: alice', 5, 'value');
    assertSyntaxError('from:', 5);
    assertSyntaxError('subject:""', 8);
    assertSyntaxError('has:pictures', 4, 'attachment');
    assertSyntaxError('before:2024-02-30', 7, 'date');
    assertSyntaxError('after:yesterday', 6, 'date');
    assertSyntaxError('after:2024-01-01T25:00', 6);
    assertSyntaxError('larger:big', 7, 'size');
    assertSyntaxError('smaller:10T', 8);
    assertSyntaxError('category:fin*', 9, "'*'");
  });

  it('rejects dangling and misplaced operators', () => {
    assertSyntaxError('a OR', 4, 'term');
    assertSyntaxError('OR a', 0);
    assertSyntaxError('a AND AND b', 6);
    assertSyntaxError('a NOT', 5);
    assertSyntaxError('a - b', 2, "'-'");
    assertSyntaxError('a -', 2);
  });

  it('rejects unbalanced parentheses and empty groups', () => {
    assertSyntaxError('(a OR b', 7, "')'");
    assertSyntaxError('a OR b)', 6, 'end of the query');
    assertSyntaxError('()', 1);
    assertSyntaxError(')', 0);
  });

  it('rejects unterminated quotes at the opening quote', () => {
    assertSyntaxError('a "merger agreement', 2, '"');
    assertSyntaxError('subject:"open', 8);
    assertSyntaxError('"a"b', 3);
  });

  it('rejects stray wildcards', () => {
    assertSyntaxError('*', 0);
    assertSyntaxError('a fo*o', 4, "'*'");
  });

  it('rejects absurd nesting and length instead of overflowing', () => {
    assertSyntaxError('('.repeat(100) + 'a' + ')'.repeat(100), 64);
    assert.throws(() => parseQuery('a '.repeat(6000)), (e: unknown) => isSteleError(e, 'bad_request'));
  });
});
