// Load files for review platforms: a Concordance DAT and a CSV with the same fields, one row per
// document. Delimiters and encodings are documented in docs/discovery.md.
import type { IndexDocument, Address } from '../search/index.ts';

export const LOAD_FIELDS = [
  'BEGDOC', 'ENDDOC', 'BEGATTACH', 'ENDATTACH', 'CUSTODIAN', 'FROM', 'TO', 'CC', 'BCC', 'SUBJECT',
  'DATESENT', 'DATERECEIVED', 'MESSAGEID', 'SHA256', 'MD5', 'NATIVEPATH', 'TEXTPATH',
] as const;
export type LoadRow = Record<(typeof LOAD_FIELDS)[number], string>;

/** Concordance's defaults, which every review platform reads without a mapping step. */
export const DAT_QUOTE = '\u00fe'; // þ
export const DAT_SEPARATOR = '\u0014';
/** Concordance marks a line break inside a field with ® so that a row stays on one line. */
export const DAT_NEWLINE = '\u00ae';
export const BOM = '\ufeff';
const CRLF = '\r\n';

function datValue(v: string): string {
  // The qualifier and separator cannot be escaped in a DAT; they never occur in mail metadata
  // we write, but a hostile subject could carry them, so they become spaces.
  return v.replace(/\r\n|\r|\n/g, DAT_NEWLINE).replace(/[\u00fe\u0014]/g, ' ');
}

export function datLine(values: readonly string[]): string {
  return values.map((v) => `${DAT_QUOTE}${datValue(v)}${DAT_QUOTE}`).join(DAT_SEPARATOR) + CRLF;
}

/** RFC 4180: every value quoted, quotes doubled, CRLF rows (line breaks inside quotes are legal). */
export function csvLine(values: readonly string[]): string {
  return values.map((v) => `"${v.replace(/"/g, '""')}"`).join(',') + CRLF;
}

export const datHeader = () => BOM + datLine(LOAD_FIELDS);
export const csvHeader = () => BOM + csvLine(LOAD_FIELDS);
export const rowValues = (row: LoadRow) => LOAD_FIELDS.map((f) => row[f]);

const addresses = (list: Address[] | undefined) => (list ?? []).map((a) => (a.name ? `${a.name} <${a.address}>` : a.address)).join('; ');

/**
 * One message is one document: the .eml native carries its attachments, so the family range
 * (BEGATTACH..ENDATTACH) is the document itself.
 */
export function loadRow(input: {
  control: string; doc: IndexDocument | null; sha256: string; md5: string; nativePath: string; textPath: string;
}): LoadRow {
  const d = input.doc;
  return {
    BEGDOC: input.control, ENDDOC: input.control, BEGATTACH: input.control, ENDATTACH: input.control,
    CUSTODIAN: (d?.custodians ?? []).join('; '),
    FROM: addresses(d?.from), TO: addresses(d?.to), CC: addresses(d?.cc), BCC: addresses(d?.bcc),
    SUBJECT: d?.subject ?? '', DATESENT: d?.date ?? '', DATERECEIVED: d?.receivedAt ?? '',
    MESSAGEID: d?.messageId ?? '', SHA256: input.sha256, MD5: input.md5,
    NATIVEPATH: input.nativePath, TEXTPATH: input.textPath,
  };
}

/** The extracted text: the body as indexed, then each attachment's text under its own heading. */
export function extractedText(doc: IndexDocument | null): string {
  if (!doc) return '';
  let out = doc.body;
  for (const a of doc.attachments) if (a.text) out += `\n\n----- attachment: ${a.filename} -----\n${a.text}`;
  return out;
}
