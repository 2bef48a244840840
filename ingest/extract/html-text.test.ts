// Tests the linear HTML-to-text converter, including inputs built to make tree-building parsers slow.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeHtmlEntities, htmlToText } from './html-text.ts';

describe('htmlToText', () => {
  test('blocks become lines, cells tabs; scripts, styles and comments go', () => {
    const html =
      '<!DOCTYPE html><html><head><title>Status</title><style>td { color: red }</style>' +
      '<script type="text/javascript">if (a < b && c > d) alert("x")</script></head>' +
      '<body><!-- hidden <p>comment</p> --><h1>Weekly   report</h1><p>First&nbsp;para,\n  wrapped</p>' +
      '<table><tr><th>Name</th><th>Total</th></tr><tr><td>Acme</td><td>12</td></tr></table>' +
      '<ul><li>one</li><li>two</li></ul><pre>  keep   this\n  layout</pre>x &lt; y<br>z</body></html>';
    assert.equal(
      htmlToText(html),
      'Status\nWeekly report\nFirst\u00a0para, wrapped\nName\tTotal\nAcme\t12\none\ntwo\nkeep   this\nlayout\nx < y\nz',
    );
  });

  test('quoted ">" inside attributes, a lone "<", upper-case tags', () => {
    assert.equal(htmlToText('<A TITLE="a > b" href=\'x>y\'>link</A> 1 < 2 <SCRIPT>x</SCRIPT>ok'), 'link 1 < 2 ok');
  });

  test('entities: named, numeric, windows-1252 C1 numbers, unknown left alone', () => {
    assert.equal(decodeHtmlEntities('caf&eacute; &euro;5 &#8364; &#x20AC; &#150; &bogus; &#0; &#xD800;'), 'café €5 € € – &bogus; \ufffd \ufffd');
  });

  test('stops at maxChars', () => {
    assert.equal(htmlToText(`<p>${'word '.repeat(1000)}</p>`, 20).length, 20);
  });

  test('hostile input stays linear', () => {
    const mib = 4 * 1024 * 1024;
    const cases: Record<string, string> = {
      'deep nesting': `${'<div>'.repeat(mib / 5)}deep`,
      'empty cells': `<table><tr>${'<td>'.repeat(mib / 4)}</tr></table>end`,
      'unclosed quote': `<a title="${'x'.repeat(mib)}`,
      'unclosed script': `<script>${'<p>'.repeat(mib / 3)}`,
      'lone brackets': '< '.repeat(mib / 2),
      'whitespace run': `<pre>${' '.repeat(mib)}x</pre>`,
      'entity-like': '&aaaaaaaa'.repeat(mib / 9),
    };
    for (const [name, html] of Object.entries(cases)) {
      const started = performance.now();
      htmlToText(html);
      const ms = performance.now() - started;
      assert.ok(ms < 1_500, `${name}: ${ms} ms`);
    }
  });
});
