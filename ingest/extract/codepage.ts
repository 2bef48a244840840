// Decodes bytes in a Windows code page (as TNEF and RTF name them) with the WHATWG decoders Node ships.

import { TextDecoder } from 'node:util';

/** Windows code page numbers to WHATWG encoding labels; pages Node cannot decode fall back to windows-1252. */
const LABELS: ReadonlyMap<number, string> = new Map([
  [65001, 'utf-8'],
  [1200, 'utf-16le'],
  [1201, 'utf-16be'],
  [874, 'windows-874'],
  [866, 'ibm866'],
  [932, 'shift_jis'],
  [936, 'gbk'],
  [54936, 'gb18030'],
  [949, 'euc-kr'],
  [950, 'big5'],
  [20866, 'koi8-r'],
  [21866, 'koi8-u'],
  [20932, 'euc-jp'],
  [51932, 'euc-jp'],
  [50220, 'iso-2022-jp'],
  [50221, 'iso-2022-jp'],
  [50222, 'iso-2022-jp'],
  [51949, 'euc-kr'],
  [10000, 'macintosh'],
  [10007, 'x-mac-cyrillic'],
]);

const decoders = new Map<string, TextDecoder>();

export function codepageLabel(codepage: number | undefined): string {
  if (codepage === undefined) return 'windows-1252';
  if (codepage >= 1250 && codepage <= 1258) return `windows-${codepage}`;
  if (codepage >= 28591 && codepage <= 28606) return `iso-8859-${codepage - 28590}`;
  return LABELS.get(codepage) ?? 'windows-1252';
}

function decoderFor(label: string): TextDecoder {
  let decoder = decoders.get(label);
  if (!decoder) {
    try {
      decoder = new TextDecoder(label);
    } catch {
      decoder = new TextDecoder('windows-1252');
    }
    decoders.set(label, decoder);
  }
  return decoder;
}

/** Decodes with a code page number; never throws (invalid sequences become U+FFFD). */
export function decodeCodepage(bytes: Uint8Array, codepage: number | undefined): string {
  return decoderFor(codepageLabel(codepage)).decode(bytes);
}

/** Decodes with a MIME charset label; unknown labels fall back to UTF-8-or-latin1. */
export function decodeCharset(bytes: Uint8Array, charset: string | undefined): string {
  if (charset) {
    try {
      return new TextDecoder(charset.trim().toLowerCase()).decode(bytes);
    } catch {
      // an unknown or unsupported label: fall through to the guess below
    }
  }
  return decodeUtf8OrLatin1(bytes);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 when the bytes are valid UTF-8 (a BOM is dropped), else ISO-8859-1, which maps every byte. */
export function decodeUtf8OrLatin1(bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  }
}
