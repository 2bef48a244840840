// Tests RTF-to-text on the constructs Outlook and Word write, and on hostile nesting.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { rtfToText, tidy } from './rtf-text.ts';

describe('rtfToText', () => {
  test('code pages: \\ansicpg for \\\'hh, double-byte pairs, \\uN with its fallback skipped', () => {
    assert.equal(rtfToText("{\\rtf1\\ansi\\ansicpg1251 \\'cf\\'f0\\'e8\\'e2\\'e5\\'f2}"), 'Привет');
    assert.equal(rtfToText("{\\rtf1\\ansi\\ansicpg932 \\'82\\'a0\\'82\\'a2}"), 'あい');
    assert.equal(rtfToText("{\\rtf1\\uc2 \\u26085\\'93\\'fa\\u26412\\'96\\'7b end}"), '日本 end');
  });

  test('encapsulated HTML (\\fromhtml1): tags skipped, \\htmlrtf spans suppressed', () => {
    const rtf =
      '{\\rtf1\\ansi\\fromhtml1 {\\*\\htmltag19 <html>}{\\*\\htmltag50 <body>}\\htmlrtf {\\htmlrtf0 ' +
      '{\\*\\htmltag64 <p>}\\htmlrtf {\\htmlrtf0 Hello from Outlook\\htmlrtf\\par}\\htmlrtf0 {\\*\\htmltag72 </p>}}}';
    assert.equal(rtfToText(rtf), 'Hello from Outlook');
  });

  test('binary data, pictures and field instructions are not text', () => {
    const rtf = '{\\rtf1 A{\\pict\\pngblip 89504e47}B{\\field{\\*\\fldinst HYPERLINK "http://x"}{\\fldrslt C}}\\bin3 \x00\x01\x02D}';
    assert.equal(rtfToText(rtf), 'ABCD');
  });

  test('escapes and symbols', () => {
    assert.equal(rtfToText('{\\rtf1 a\\{b\\}c\\\\d\\~e\\emdash f\\ldblquote g\\rdblquote\\line h\\tab i}'), 'a{b}c\\d\u00a0e\u2014f\u201cg\u201d\nh\ti');
  });

  test('stops at maxChars, survives unbalanced and absurdly deep groups', () => {
    assert.equal(rtfToText(`{\\rtf1 ${'x'.repeat(100)}}`, 10), 'x'.repeat(10));
    assert.equal(rtfToText('}}}{\\rtf1 ok'), 'ok');
    const started = performance.now();
    assert.equal(rtfToText(`{\\rtf1 ${'{\\b '.repeat(300_000)}deep${'}'.repeat(300_000)}}`), 'deep');
    assert.ok(performance.now() - started < 2_000);
  });
});

describe('tidy', () => {
  test('trims lines, keeps one blank line or none, linear on long blank runs', () => {
    assert.equal(tidy('  a \t\n\n\n\n b\n\n'), 'a\n\nb');
    assert.equal(tidy('a\n\n\nb', false), 'a\nb');
    const started = performance.now();
    assert.equal(tidy(`${'\t'.repeat(4_000_000)}x`), 'x');
    assert.ok(performance.now() - started < 1_000);
  });
});
