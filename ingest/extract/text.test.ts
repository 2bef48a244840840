// Tests attachment text extraction on files built here: PDF, DOCX, XLSX, PPTX, ODT, HTML, RTF, mail, TNEF, zip bombs.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { crc32, createDeflateRaw, deflateRawSync } from 'node:zlib';
import { buildZip } from '../../test/fuzz/zip-bomb.ts';
import { extractText, type ExtractResult } from './text.ts';

const CORPUS = '../shared/corpus/mimekit/tnef';

// ---------------------------------------------------------------- fixtures

interface ZipInput {
  name: string;
  data?: string | Buffer;
  /** Already-deflated bytes, for bombs too big to hold inflated. */
  deflated?: Buffer;
  /** The uncompressed size to declare (a lying archive declares a small one). */
  declaredSize?: number;
}

/** A ZIP archive (deflate, no data descriptors) the way office suites write one. */
function makeZip(entries: ZipInput[]): Buffer {
  return buildZip(entries.map((e) => {
    const raw = e.data === undefined ? undefined : Buffer.from(e.data);
    const deflated = raw ? { data: deflateRawSync(raw), crc: crc32(raw), size: raw.length } : { data: e.deflated!, crc: 0, size: 0 };
    return { name: e.name, deflated, declaredSize: e.declaredSize };
  }));
}

const CONTENT_TYPES = '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>';

function docx(bodyXml: string): Buffer {
  return makeZip([
    { name: '[Content_Types].xml', data: CONTENT_TYPES },
    {
      name: 'word/document.xml',
      data:
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' +
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>' +
        bodyXml +
        '</w:body></w:document>',
    },
  ]);
}

const DOCX_TYPE = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** A one-page PDF with real xref offsets, showing `line` in Helvetica. */
function makePdf(lines: string[]): Buffer {
  const ops = lines.map((l, i) => `BT /F1 18 Tf 72 ${720 - i * 24} Td (${l}) Tj ET`).join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${Buffer.byteLength(ops, 'latin1')} >>\nstream\n${ops}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
  ];
  let pdf = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(pdf, 'latin1'));
    pdf += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(pdf, 'latin1');
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) pdf += `${String(o).padStart(10, '0')} 00000 n \n`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}

/** Deflates `bytes` zeros in 1 MiB writes, so the bomb never exists inflated in this process. */
async function deflatedZeros(bytes: number): Promise<Buffer> {
  const deflate = createDeflateRaw({ level: 9 });
  const out: Buffer[] = [];
  deflate.on('data', (c: Buffer) => out.push(c));
  const done = new Promise((resolve, reject) => deflate.on('end', resolve).on('error', reject));
  const chunk = Buffer.alloc(1024 * 1024);
  for (let left = bytes; left > 0; left -= chunk.length) {
    if (!deflate.write(left >= chunk.length ? chunk : chunk.subarray(0, left))) await new Promise((r) => deflate.once('drain', r));
  }
  deflate.end();
  await done;
  return Buffer.concat(out);
}

function textOf(result: ExtractResult): string {
  assert.equal(result.error, undefined, `unexpected error: ${result.error}`);
  assert.equal(typeof result.text, 'string');
  return result.text!;
}

const scratch = mkdtempSync(join(tmpdir(), 'stele-extract-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

// ---------------------------------------------------------------- tests

describe('extractText: office documents', () => {
  test('DOCX: runs, tabs, breaks, entities; no field codes or deleted text', async () => {
    const content = docx(
      '<w:p><w:r><w:t>Quarterly</w:t></w:r><w:r><w:t xml:space="preserve"> report for Smith &amp; Sons</w:t></w:r></w:p>' +
        '<w:p><w:r><w:t>Revenue</w:t><w:tab/><w:t>€1,200</w:t></w:r><w:r><w:br/><w:t>second line</w:t></w:r></w:p>' +
        '<w:p><w:r><w:instrText> HYPERLINK "http://x" </w:instrText></w:r><w:r><w:delText>withdrawn</w:delText></w:r></w:p>' +
        '<w:tbl><w:tr><w:tc><w:p><w:r><w:t>cell &#x41;&#66;</w:t></w:r></w:p></w:tc></w:tr></w:tbl>',
    );
    const text = textOf(await extractText({ filename: 'report.docx', contentType: DOCX_TYPE, content }));
    assert.equal(text, 'Quarterly report for Smith & Sons\nRevenue\t€1,200\nsecond line\n\ncell AB');
  });

  test('XLSX: shared strings, inline strings and numbers, a row a line', async () => {
    const content = makeZip([
      { name: '[Content_Types].xml', data: CONTENT_TYPES },
      { name: 'xl/workbook.xml', data: '<workbook><sheets><sheet name="Q1" sheetId="1"/></sheets></workbook>' },
      {
        name: 'xl/sharedStrings.xml',
        data: '<sst count="3"><si><t>Invoice</t></si><si><r><t>Ac</t></r><r><t>me &lt;GmbH&gt;</t></r></si><si><t>Total</t></si></sst>',
      },
      {
        name: 'xl/worksheets/sheet1.xml',
        data:
          '<worksheet><sheetData>' +
          '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>' +
          '<row r="2"/>' +
          '<row r="3"><c r="A3" t="s"><v>2</v></c><c r="B3"><v>4200.5</v></c><c r="C3" s="1"/><c r="D3" t="inlineStr"><is><t>paid</t></is></c></row>' +
          '</sheetData></worksheet>',
      },
      { name: 'xl/worksheets/sheet2.xml', data: '<worksheet><sheetData><row r="1"><c r="A1" t="str"><f>A1</f><v>second sheet</v></c></row></sheetData></worksheet>' },
    ]);
    const text = textOf(await extractText({ filename: 'q1.xlsx', contentType: XLSX_TYPE, content }));
    assert.equal(text, 'Invoice\tAcme <GmbH>\nTotal\t4200.5\tpaid\n\nsecond sheet');
  });

  test('PPTX and ODT by file name when the type is application/octet-stream', async () => {
    const pptx = makeZip([
      { name: 'ppt/presentation.xml', data: '<p:presentation/>' },
      { name: 'ppt/slides/slide10.xml', data: '<p:sld><a:p><a:r><a:t>Tenth slide</a:t></a:r></a:p></p:sld>' },
      { name: 'ppt/slides/slide2.xml', data: '<p:sld><a:p><a:r><a:t>Second</a:t></a:r><a:br/><a:r><a:t>slide</a:t></a:r></a:p></p:sld>' },
    ]);
    assert.equal(textOf(await extractText({ filename: 'deck.pptx', contentType: 'application/octet-stream', content: pptx })), 'Second\nslide\n\nTenth slide');

    const odt = makeZip([
      { name: 'mimetype', data: 'application/vnd.oasis.opendocument.text' },
      { name: 'content.xml', data: '<office:body><text:h>Minutes</text:h><text:p>Agreed:<text:tab/>budget<text:s/>&amp; plan</text:p></office:body>' },
    ]);
    assert.equal(textOf(await extractText({ filename: 'minutes.odt', contentType: '', content: odt })), 'Minutes\nAgreed:\tbudget & plan');
  });

  test('hostile XML (unclosed tags, endless attributes) stays linear', async () => {
    const junk = (unit: string): string => unit.repeat(Math.ceil((4 * 1024 * 1024) / unit.length));
    const xlsx = makeZip([
      { name: 'xl/workbook.xml', data: '<workbook/>' },
      { name: 'xl/sharedStrings.xml', data: junk('<si><t>x') },
      { name: 'xl/worksheets/sheet1.xml', data: `<row><c t="s"><v>0</v></c></row>${junk('<row><c ')}` },
    ]);
    const word = docx(junk('<w:t a="b" ') + junk('<w:p><w:r><w:t>') + '<w:t>end</w:t>');
    const started = performance.now();
    assert.equal(textOf(await extractText({ filename: 'a.xlsx', contentType: XLSX_TYPE, content: xlsx })), '');
    assert.equal(textOf(await extractText({ filename: 'a.docx', contentType: DOCX_TYPE, content: word })), 'end');
    assert.ok(performance.now() - started < 3_000, `took ${performance.now() - started} ms`);
  });

  test('a plain ZIP archive has no text and no error', async () => {
    const zip = makeZip([{ name: 'notes/readme.bin', data: 'x' }]);
    assert.deepEqual(await extractText({ filename: 'files.zip', contentType: 'application/zip', content: zip }), {});
  });

  test('a damaged DOCX gives an error, not an exception', async () => {
    const content = docx('<w:p><w:r><w:t>lost</w:t></w:r></w:p>');
    const result = await extractText({ filename: 'x.docx', contentType: DOCX_TYPE, content: content.subarray(0, content.length - 30) });
    assert.match(result.error ?? '', /^office: zip: /);
    assert.equal(result.text, undefined);
  });
});

describe('extractText: zip bombs', () => {
  test('an entry declaring more than the cap is refused before inflating', async () => {
    const deflated = await deflatedZeros(256 * 1024 * 1024);
    const content = makeZip([{ name: 'word/document.xml', deflated, declaredSize: 256 * 1024 * 1024 }]);
    const started = performance.now();
    const result = await extractText({ filename: 'bomb.docx', contentType: DOCX_TYPE, content });
    assert.match(result.error ?? '', /would inflate past the 52428800-byte cap/);
    assert.ok(performance.now() - started < 200, 'refusal should not inflate anything');
  });

  test('an entry lying about its size stops inflating at the cap', async () => {
    const bomb = 512 * 1024 * 1024;
    const cap = 8 * 1024 * 1024;
    const deflated = await deflatedZeros(bomb);
    assert.ok(deflated.length < bomb / 500, `the bomb should be highly compressible, got ${deflated.length} bytes`);
    const content = makeZip([{ name: 'word/document.xml', deflated, declaredSize: 1000 }]);
    const rssBeforeKiB = process.resourceUsage().maxRSS;
    const started = performance.now();
    const result = await extractText({ filename: 'bomb.docx', contentType: DOCX_TYPE, content }, { maxUnzippedBytes: cap });
    const elapsedMs = performance.now() - started;
    const peakGrowthMiB = (process.resourceUsage().maxRSS - rssBeforeKiB) / 1024;
    assert.match(result.error ?? '', /would inflate past the 8388608-byte cap/);
    assert.ok(elapsedMs < 2_000, `took ${elapsedMs} ms`);
    // Inflating the whole 512 MiB would push the peak by at least that much.
    assert.ok(peakGrowthMiB < 128, `peak RSS grew by ${peakGrowthMiB} MiB`);
  });

  test('too many entries is refused', async () => {
    const entries = Array.from({ length: 12 }, (_, i) => ({ name: `word/media/${i}.bin`, data: 'x' }));
    const content = makeZip([{ name: 'word/document.xml', data: '<w:p/>' }, ...entries]);
    const result = await extractText({ filename: 'many.docx', contentType: DOCX_TYPE, content }, { maxZipEntries: 10 });
    assert.match(result.error ?? '', /13 entries is over the 10-entry cap/);
  });
});

describe('extractText: PDF through pdftotext', () => {
  test('a hand-written PDF gives its words', async () => {
    const content = makePdf(['Stele archives every message', 'Second line of the memo']);
    const text = textOf(await extractText({ filename: 'memo.pdf', contentType: 'application/pdf', content }));
    assert.equal(text, 'Stele archives every message\nSecond line of the memo');
  });

  test('found by magic bytes when neither type nor name tells', async () => {
    const content = makePdf(['magic works']);
    assert.equal(textOf(await extractText({ filename: 'scan0001', contentType: 'application/octet-stream', content })), 'magic works');
  });

  test('text past maxChars is cut and flagged', async () => {
    const content = makePdf(['abcdefghijklmnopqrstuvwxyz']);
    assert.deepEqual(await extractText({ filename: 'a.pdf', contentType: 'application/pdf', content }, { maxChars: 10 }), {
      text: 'abcdefghij',
      truncated: true,
    });
  });

  test('a broken PDF gives an error', async () => {
    const result = await extractText({ filename: 'bad.pdf', contentType: 'application/pdf', content: Buffer.from('%PDF-1.4\nnot really\n') });
    assert.match(result.error ?? '', /^pdf: pdftotext exited with/);
  });

  test('bytes with neither a PDF header nor any object are refused without running pdftotext', async () => {
    const marker = join(scratch, 'pdftotext-ran');
    const fake = join(scratch, 'recording-pdftotext');
    writeFileSync(fake, `#!/bin/sh\ntouch '${marker}'\nexit 1\n`);
    chmodSync(fake, 0o755);
    const noise = Buffer.alloc(4096, 'x');
    const result = await extractText({ filename: 'scan.pdf', contentType: 'application/pdf', content: noise }, { pdftotextPath: fake });
    assert.equal(result.error, 'pdf: not a PDF: no header and no objects');
    assert.throws(() => readFileSync(marker), /ENOENT/, 'pdftotext was not started');
  });

  test('a PDF whose header is damaged still goes to pdftotext, which rebuilds it from its objects', async () => {
    const pdf = makePdf(['headless but whole']);
    const content = pdf.subarray(pdf.indexOf('1 0 obj'));
    assert.equal(textOf(await extractText({ filename: 'a.pdf', contentType: 'application/pdf', content })), 'headless but whole');
  });

  test('a hanging pdftotext is killed at the timeout', async () => {
    const fake = join(scratch, 'hanging-pdftotext');
    writeFileSync(fake, '#!/bin/sh\nexec sleep 30\n');
    chmodSync(fake, 0o755);
    const started = performance.now();
    const result = await extractText({ filename: 'a.pdf', contentType: 'application/pdf', content: makePdf(['x']) }, { timeoutMs: 300, pdftotextPath: fake });
    assert.match(result.error ?? '', /timed out after 300 ms/);
    assert.ok(performance.now() - started < 2_000);
  });

  test('a missing pdftotext says what to install', async () => {
    const result = await extractText(
      { filename: 'a.pdf', contentType: 'application/pdf', content: makePdf(['x']) },
      { pdftotextPath: join(scratch, 'no-such-binary') },
    );
    assert.match(result.error ?? '', /no-such-binary not found \(Debian: apt-get install poppler-utils\)/);
  });
});

describe('extractText: HTML, text, RTF', () => {
  test('HTML: no scripts, styles or tags; entities decoded; charset from <meta>', async () => {
    const html = Buffer.concat([
      Buffer.from('<html><head><meta charset="windows-1252"><style>p{color:red}</style><script>alert("x")</script></head><body>'),
      Buffer.from('<p>Hello &amp; welcome</p><p>caf\xe9 <a href="http://tracker.example/">link</a><img src="x.png" alt="logo"></p></body></html>', 'latin1'),
    ]);
    const text = textOf(await extractText({ filename: 'page.html', contentType: 'text/html', content: html }));
    assert.equal(text, 'Hello & welcome\ncafé link');
  });

  test('text/*: UTF-8, Latin-1 fallback, declared charset', async () => {
    assert.equal(textOf(await extractText({ filename: 'a.txt', contentType: 'text/plain', content: Buffer.from('Grüße aus Köln') })), 'Grüße aus Köln');
    assert.equal(textOf(await extractText({ filename: 'b.csv', contentType: 'text/csv', content: Buffer.from('Gr\xfc\xdfe', 'latin1') })), 'Grüße');
    const koi8 = Buffer.from([0xde, 0xc1, 0xca]); // "чай" in KOI8-R
    assert.equal(textOf(await extractText({ filename: 'c.txt', contentType: 'text/plain; charset="koi8-r"', content: koi8 })), 'чай');
  });

  test('RTF attachments', async () => {
    const rtf = "{\\rtf1\\ansi\\ansicpg1252{\\fonttbl{\\f0 Arial;}}{\\*\\generator Riched20;}\\f0 Caf\\'e9 \\u8364? 5\\par Next\\tab line}";
    assert.equal(textOf(await extractText({ filename: 'note.rtf', contentType: 'application/rtf', content: Buffer.from(rtf, 'latin1') })), 'Café € 5\nNext\tline');
  });

  test('maxChars caps text without splitting a surrogate pair', async () => {
    const result = await extractText({ filename: 'a.txt', contentType: 'text/plain', content: Buffer.from('ab😀cd') }, { maxChars: 3 });
    assert.deepEqual(result, { text: 'ab', truncated: true });
  });
});

describe('extractText: mail inside mail', () => {
  test('message/rfc822: subject and text', async () => {
    const eml = 'From: a@example.org\r\nSubject: Inner =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe forwarded body.\r\n';
    assert.equal(textOf(await extractText({ filename: 'fwd.eml', contentType: 'message/rfc822', content: Buffer.from(eml) })), 'Inner Grüße\n\nThe forwarded body.');
  });

  test('message/rfc822 with only HTML', async () => {
    const eml = 'Subject: html only\r\nContent-Type: text/html\r\n\r\n<p>Rendered <b>bold</b></p><script>x()</script>\r\n';
    assert.equal(textOf(await extractText({ filename: '', contentType: 'message/rfc822', content: Buffer.from(eml) })), 'html only\n\nRendered bold');
  });

  test('application/ms-tnef: subject and body from the corpus (HTML and RTF bodies)', async () => {
    const billOfRights = textOf(
      await extractText({ filename: 'winmail.dat', contentType: 'application/ms-tnef', content: readFileSync(join(CORPUS, 'body.tnef')) }),
    );
    assert.match(billOfRights, /^Bill of Rights\n\nTHE BILL OF RIGHTS/);
    const christmas = textOf(
      await extractText({ filename: 'winmail.dat', contentType: 'application/octet-stream', content: readFileSync(join(CORPUS, 'christmas.tnef')) }),
    );
    assert.match(christmas, /^You've made this a Christmas to remember$/m);
  });

  test('a broken TNEF gives an error', async () => {
    const result = await extractText({ filename: 'winmail.dat', contentType: 'application/ms-tnef', content: readFileSync(join(CORPUS, 'panic.tnef')) });
    assert.match(result.error ?? '', /^tnef: TNEF: invalid attribute level 75/);
  });
});

describe('extractText: contract', () => {
  test('unknown types give no text and no error', async () => {
    assert.deepEqual(await extractText({ filename: 'photo.png', contentType: 'image/png', content: Buffer.from([0x89, 0x50, 0x4e, 0x47]) }), {});
    assert.deepEqual(await extractText({ filename: 'blob', contentType: 'application/octet-stream', content: Buffer.from('??') }), {});
  });

  test('never throws, even on nonsense input', async () => {
    const bad = { filename: 'x.txt', contentType: 'text/plain', content: 'not a buffer' } as unknown as Parameters<typeof extractText>[0];
    assert.match((await extractText(bad)).error ?? '', /not a Buffer/);
    const random = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256));
    for (const contentType of [DOCX_TYPE, XLSX_TYPE, 'application/pdf', 'text/html', 'application/rtf', 'message/rfc822', 'application/ms-tnef']) {
      const result = await extractText({ filename: 'random', contentType, content: random });
      assert.ok(result.error !== undefined || result.text !== undefined, contentType);
    }
  });

  test('deep nesting neither overflows the stack nor hangs', async () => {
    const started = performance.now();
    const html = await extractText({ filename: 'a.html', contentType: 'text/html', content: Buffer.from(`${'<div>'.repeat(200_000)}deep`) });
    assert.equal(textOf(html), 'deep');
    const rtf = await extractText({ filename: 'a.rtf', contentType: 'text/rtf', content: Buffer.from(`{\\rtf1 ${'{'.repeat(500_000)}deep${'}'.repeat(500_000)}}`) });
    assert.equal(textOf(rtf), 'deep');
    assert.ok(performance.now() - started < 5_000, `took ${performance.now() - started} ms`);
  });
});
