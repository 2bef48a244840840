// Turns HTML into plain text for the search index in one linear pass.
//
// Why not html-to-text (which mailparser uses): htmlparser2 builds a DOM, and deeply nested unclosed
// tags make that quadratic (200,000 "<div>", 1 MB, took about 6 s here), a cheap way for one hostile
// mail to stall ingest. This scanner never looks back: tags are found with indexOf, script and style
// bodies skipped whole, block elements become line breaks, entities decoded. Layout is not kept.

import { tidy } from './rtf-text.ts';

/** Elements whose content is not text for a reader. */
const SKIPPED: ReadonlySet<string> = new Set(['script', 'style', 'template', 'noscript', 'xml', 'svg', 'math', 'object']);

/** Elements that start or end a line. */
const BLOCKS: ReadonlySet<string> = new Set([
  'address', 'article', 'aside', 'blockquote', 'br', 'center', 'dd', 'div', 'dl', 'dt', 'figcaption', 'figure',
  'footer', 'form', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hr', 'li', 'main', 'nav', 'ol', 'p', 'pre',
  'section', 'table', 'tbody', 'thead', 'tfoot', 'title', 'tr', 'ul',
]);
const CELLS: ReadonlySet<string> = new Set(['td', 'th']);

/** HTML 4 Latin-1 entities, in code point order from U+00A0. */
const LATIN1_NAMES =
  'nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr deg plusmn sup2 sup3 acute ' +
  'micro para middot cedil sup1 ordm raquo frac14 frac12 frac34 iquest Agrave Aacute Acirc Atilde Auml Aring AElig ' +
  'Ccedil Egrave Eacute Ecirc Euml Igrave Iacute Icirc Iuml ETH Ntilde Ograve Oacute Ocirc Otilde Ouml times Oslash ' +
  'Ugrave Uacute Ucirc Uuml Yacute THORN szlig agrave aacute acirc atilde auml aring aelig ccedil egrave eacute ecirc ' +
  'euml igrave iacute icirc iuml eth ntilde ograve oacute ocirc otilde ouml divide oslash ugrave uacute ucirc uuml ' +
  'yacute thorn yuml';

const ENTITIES: ReadonlyMap<string, string> = new Map([
  ...LATIN1_NAMES.split(' ').map((name, i): [string, string] => [name, String.fromCharCode(0xa0 + i)]),
  ...Object.entries({
    amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", OElig: 'Œ', oelig: 'œ', Scaron: 'Š', scaron: 'š', Yuml: 'Ÿ',
    fnof: 'ƒ', circ: 'ˆ', tilde: '˜', ensp: ' ', emsp: ' ', thinsp: ' ', zwnj: '', zwj: '', lrm: '', rlm: '',
    ndash: '–', mdash: '—', lsquo: '‘', rsquo: '’', sbquo: '‚', ldquo: '“', rdquo: '”', bdquo: '„', dagger: '†',
    Dagger: '‡', bull: '•', hellip: '…', permil: '‰', prime: '′', Prime: '″', lsaquo: '‹', rsaquo: '›', euro: '€',
    trade: '™', larr: '←', uarr: '↑', rarr: '→', darr: '↓', harr: '↔', minus: '−', check: '✓',
  }),
]);

/** Numeric references 0x80–0x9F mean windows-1252, as browsers read them (WHATWG HTML 13.2.5.80). */
const CP1252_C1 = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';

export function decodeHtmlEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(?:#[xX]([0-9a-fA-F]{1,6})|#([0-9]{1,7})|([a-zA-Z][a-zA-Z0-9]{1,31}));/g, (whole, hex?: string, dec?: string, name?: string) => {
    if (name !== undefined) return ENTITIES.get(name) ?? whole;
    const code = hex !== undefined ? Number.parseInt(hex, 16) : Number.parseInt(dec!, 10);
    if (code >= 0x80 && code <= 0x9f) return CP1252_C1[code - 0x80]!;
    return code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff) ? String.fromCodePoint(code) : '\ufffd';
  });
}

/** Index just past the '>' closing the tag that starts at `lt`, honouring quoted attribute values; -1 if none. */
function tagEnd(html: string, from: number): number {
  let quote = '';
  for (let i = from; i < html.length; i++) {
    const c = html[i];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '>') return i + 1;
  }
  return -1;
}

const TAG_NAME = /<(\/?)([a-zA-Z][a-zA-Z0-9:-]{0,63})/y;

/** Plain text of an HTML document or fragment; stops once maxChars of text are out. */
export function htmlToText(html: string, maxChars = 1_000_000): string {
  const lower = html.toLowerCase(); // for case-insensitive end-tag search; same length, same offsets
  const out: string[] = [];
  let outLen = 0;
  let pre = 0;
  const text = (raw: string): void => {
    if (!raw) return;
    const decoded = decodeHtmlEntities(pre > 0 ? raw : raw.replace(/\s+/g, ' '));
    out.push(decoded);
    outLen += decoded.length;
  };

  let i = 0;
  const n = html.length;
  while (i < n && outLen < maxChars) {
    const lt = html.indexOf('<', i);
    if (lt === -1) {
      text(html.slice(i));
      break;
    }
    text(html.slice(i, lt));
    if (html.startsWith('<!--', lt)) {
      const end = html.indexOf('-->', lt + 4);
      i = end === -1 ? n : end + 3;
      continue;
    }
    if (html[lt + 1] === '!' || html[lt + 1] === '?') {
      const end = html.indexOf('>', lt);
      i = end === -1 ? n : end + 1; // doctype, processing instruction, CDATA marker
      continue;
    }
    TAG_NAME.lastIndex = lt;
    const m = TAG_NAME.exec(html);
    if (!m) {
      text('<'); // a lone '<' in text
      i = lt + 1;
      continue;
    }
    const closing = m[1] === '/';
    const name = m[2]!.toLowerCase();
    const end = tagEnd(html, lt + m[0].length);
    if (end === -1) break; // a tag that never closes: the rest is inside it
    i = end;
    if (!closing && SKIPPED.has(name) && html[end - 2] !== '/') {
      const close = lower.indexOf(`</${name}`, end);
      const after = close === -1 ? -1 : html.indexOf('>', close);
      i = after === -1 ? n : after + 1;
      continue;
    }
    if (name === 'pre') pre = Math.max(0, pre + (closing ? -1 : 1));
    if (BLOCKS.has(name)) out.push('\n');
    else if (CELLS.has(name) && !closing) out.push('\t');
  }
  return tidy(out.join(''), false).slice(0, maxChars); // a line a block: markup makes blank lines meaningless
}
