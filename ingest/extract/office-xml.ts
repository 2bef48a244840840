// Text out of office documents' XML parts (OOXML: Word, Excel, PowerPoint; ODF): one pass of
// regular expressions over each part, which ingest/extract/zip.ts has already inflated within its caps.
import { decodeUtf8OrLatin1 } from './codepage.ts';

const XML_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

function decodeXmlEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]{1,8}|#[0-9]{1,10}|[a-zA-Z]{2,8});/g, (whole, ref: string) => {
    if (ref[0] !== '#') return XML_ENTITIES[ref] ?? whole;
    const code = ref[1] === 'x' || ref[1] === 'X' ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '';
  });
}

export function xmlText(bytes: Buffer): string {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.toString('utf16le', 2);
  return decodeUtf8OrLatin1(bytes);
}

// The XML is untrusted and up to maxUnzippedBytes long, so every pattern here is linear: attribute
// scans use [^<>] (a scan that cannot pass the next tag), and element bodies are found with indexOf
// instead of lazy [\s\S]*? (which rescans to the end of the input for every unclosed tag).

/** Yields the attributes and inner XML of each <tag ...>...</tag> or <tag .../> in order; not for nested same-name tags. */
function* elements(xml: string, tag: string): Generator<{ attrs: string; inner: string }> {
  const open = `<${tag}`;
  const close = `</${tag}>`;
  let i = xml.indexOf(open);
  while (i !== -1) {
    const next = xml[i + open.length];
    if (next !== '>' && next !== '/' && next !== ' ' && next !== '\t' && next !== '\n' && next !== '\r') {
      i = xml.indexOf(open, i + open.length); // a longer name (<rowBreaks>, <cols>)
      continue;
    }
    const gt = xml.indexOf('>', i);
    if (gt === -1) return;
    const attrs = xml.slice(i + open.length, gt);
    if (xml[gt - 1] === '/') {
      yield { attrs, inner: '' };
      i = xml.indexOf(open, gt + 1);
      continue;
    }
    const end = xml.indexOf(close, gt + 1);
    if (end === -1) return; // unclosed: nothing complete follows
    yield { attrs, inner: xml.slice(gt + 1, end) };
    i = xml.indexOf(open, end + close.length);
  }
}

/** WordprocessingML: text runs, tabs and breaks; paragraphs end lines. Deleted text and field codes are left out. */
export function wordXmlToText(xml: string): string {
  const out: string[] = [];
  const re = /<w:t(?:\s[^<>]*)?>([^<]*)<\/w:t>|<w:(?:tab|br|cr)\b[^<>]*>|<\/w:p>/g;
  for (let m = re.exec(xml); m; m = re.exec(xml)) {
    if (m[1] !== undefined) out.push(decodeXmlEntities(m[1]));
    else if (m[0] === '</w:p>') out.push('\n');
    else out.push(m[0].startsWith('<w:tab') ? '\t' : '\n');
  }
  return out.join('');
}

/** DrawingML (PowerPoint slides): a:t runs, paragraphs end lines. */
export function drawingXmlToText(xml: string): string {
  const out: string[] = [];
  const re = /<a:t(?:\s[^<>]*)?>([^<]*)<\/a:t>|<a:br\b[^<>]*>|<\/a:p>/g;
  for (let m = re.exec(xml); m; m = re.exec(xml)) out.push(m[1] !== undefined ? decodeXmlEntities(m[1]) : '\n');
  return out.join('');
}

/** Concatenated <t> runs of a shared or inline string (rich text has several). */
function runsText(xml: string): string {
  let s = '';
  const re = /<t(?:\s[^<>]*)?>([^<]*)<\/t>/g;
  for (let m = re.exec(xml); m; m = re.exec(xml)) s += decodeXmlEntities(m[1]!);
  return s;
}

export function sharedStrings(xml: string): string[] {
  const strings: string[] = [];
  for (const si of elements(xml, 'si')) strings.push(runsText(si.inner));
  return strings;
}

/** SpreadsheetML worksheet: one line a row, cells separated by tabs. */
export function sheetXmlToText(xml: string, strings: string[]): string {
  const lines: string[] = [];
  for (const row of elements(xml, 'row')) {
    const cells: string[] = [];
    for (const c of elements(row.inner, 'c')) {
      const type = /\bt="([^"<>]*)"/.exec(c.attrs)?.[1];
      let value: string;
      if (type === 'inlineStr') value = runsText(c.inner);
      else {
        const v = /<v>([^<]*)<\/v>/.exec(c.inner)?.[1];
        if (v === undefined) continue;
        value = type === 's' ? (strings[Number.parseInt(v, 10)] ?? '') : decodeXmlEntities(v);
      }
      if (value !== '') cells.push(value);
    }
    if (cells.length > 0) lines.push(cells.join('\t'));
  }
  return lines.join('\n');
}

/** OpenDocument content.xml: paragraphs and headings end lines, then every tag goes. */
export function odfXmlToText(xml: string): string {
  return decodeXmlEntities(
    xml
      .replace(/<text:tab\b[^<>]*>/g, '\t')
      .replace(/<text:(?:line-break|soft-page-break)\b[^<>]*>/g, '\n')
      .replace(/<text:s\b[^<>]*>/g, ' ')
      .replace(/<\/text:(?:p|h)>/g, '\n')
      .replace(/<\/table:table-cell>/g, '\t')
      .replace(/<[^<>]*>/g, ''),
  );
}

export function numbered(names: string[], prefix: string): string[] {
  const re = new RegExp(`^${prefix}(\\d+)\\.xml$`);
  return names
    .map((n) => [n, re.exec(n)?.[1]] as const)
    .filter((x): x is readonly [string, string] => x[1] !== undefined)
    .sort((a, b) => Number(a[1]) - Number(b[1]))
    .map(([n]) => n);
}
