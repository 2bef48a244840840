// Load-file formatting: Concordance DAT delimiters and escaping, and RFC 4180 CSV quoting.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { csvHeader, csvLine, datHeader, datLine, loadRow, LOAD_FIELDS, extractedText } from './load-file.ts';

describe('load files', () => {
  it('writes a DAT row with þ qualifiers, DC4 separators, ® for line breaks and CRLF', () => {
    assert.equal(datLine(['a', 'two\r\nlines', 'x\u00fey\u0014z']), '\u00fea\u00fe\u0014\u00fetwo\u00aelines\u00fe\u0014\u00fex y z\u00fe\r\n');
    assert.ok(datHeader().startsWith('\ufeff\u00feBEGDOC\u00fe\u0014'));
  });

  it('quotes every CSV value and doubles quotes, keeping line breaks inside quotes', () => {
    assert.equal(csvLine(['say "hi"', 'a,b', 'l1\nl2']), '"say ""hi""","a,b","l1\nl2"\r\n');
    assert.equal(csvHeader(), `\ufeff${LOAD_FIELDS.map((f) => `"${f}"`).join(',')}\r\n`);
  });

  it('makes one document per message, its family range itself, with addresses and dates', () => {
    const row = loadRow({
      control: 'ABC0000007', sha256: 'a'.repeat(64), md5: 'b'.repeat(32), nativePath: 'NATIVES/ABC0000007.eml', textPath: 'TEXT/ABC0000007.txt',
      doc: {
        id: 'a'.repeat(64), sha256: 'a'.repeat(64), messageId: 'm1@x.example', subject: 'Hello', from: [{ name: 'Ann', address: 'ann@x.example' }],
        to: [{ address: 'b@y.example' }, { address: 'c@y.example' }], cc: [], bcc: [{ address: 'd@z.example' }], envelopeTo: [],
        date: '2024-01-31T23:30:00.000Z', receivedAt: '2024-02-01T00:00:00.000Z', size: 10, body: 'body', category: 'default',
        retainUntil: '2030-01-01T00:00:00.000Z', custodians: ['ann@x.example'], holds: [], flags: [],
        attachments: [{ filename: 'a.txt', contentType: 'text/plain', size: 3, text: 'att' }],
      },
    });
    assert.equal(row.BEGATTACH, 'ABC0000007');
    assert.equal(row.ENDATTACH, 'ABC0000007');
    assert.equal(row.FROM, 'Ann <ann@x.example>');
    assert.equal(row.TO, 'b@y.example; c@y.example');
    assert.equal(row.BCC, 'd@z.example');
    assert.equal(row.DATESENT, '2024-01-31T23:30:00.000Z');
    assert.equal(extractedText(null), '');
  });
});
