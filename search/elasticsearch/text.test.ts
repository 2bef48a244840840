// Unit tests of the JS folding that stands in for analysis-common, and of snippet mapping.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildSnippet, foldText, originalRanges, prepareText, queryTokens } from './text.ts';

describe('foldText', () => {
  it('folds case and diacritics, splits on anything but letters and digits', () => {
    assert.deepEqual(queryTokens('RÉSUMÉ-Zoë.pdf'), ['resume', 'zoe', 'pdf']);
    assert.deepEqual(queryTokens('Re\u0301union'), ['reunion']); // decomposed input folds the same
    assert.deepEqual(queryTokens('ΣΟΦΟΣ'), ['σοφοσ']); // per code point: no final-sigma surprise
    assert.deepEqual(queryTokens('🎉 -- !'), []);
  });

  it('makes every CJK character a token, Hangul included', () => {
    assert.deepEqual(queryTokens('日本語の会議'), ['日', '本', '語', 'の', '会', '議']);
    assert.deepEqual(queryTokens('회의가'), ['회', '의', '가']);
    assert.equal(foldText('a会b').trim().split(/ +/).length, 3);
  });
});

describe('snippets', () => {
  it('maps marks in the folded text back to the original spelling', () => {
    const original = 'Réunion à Zürich';
    const prep = prepareText(original);
    const marked = prep.text.replace('zurich', '\u0002zurich\u0003');
    assert.equal(buildSnippet(original, originalRanges(prep, marked)), 'Réunion à \u0002Zürich\u0003');
  });

  it('joins CJK characters marked one by one, and cuts long text with an ellipsis', () => {
    const original = '東京で会議を行います';
    const prep = prepareText(original);
    const marked = prep.text.replace('会', '\u0002会\u0003').replace('議', '\u0002議\u0003');
    assert.equal(buildSnippet(original, originalRanges(prep, marked)), '東京で\u0002会議\u0003を行います');
    const long = `${'word '.repeat(100)}needle ${'tail '.repeat(100)}`;
    const p2 = prepareText(long);
    const snippet = buildSnippet(long, originalRanges(p2, p2.text.replace('needle', '\u0002needle\u0003')))!;
    assert.ok(snippet.startsWith('…') && snippet.endsWith('…') && snippet.includes('\u0002needle\u0003'), snippet);
    assert.ok(snippet.length < 240, snippet);
  });

  it('never lets marker characters in a message fake a highlight', () => {
    const original = 'a \u0002fake\u0003 b real';
    const prep = prepareText(original);
    const s = buildSnippet(original, originalRanges(prep, prep.text.replace('real', '\u0002real\u0003')))!;
    assert.equal(s, 'a fake b \u0002real\u0003');
  });
});
