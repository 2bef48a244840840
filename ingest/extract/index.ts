// Attachment extraction for the ingest pipeline: TNEF unpacking and text for the search index.
export { decodeTnef, TnefDecodeError, TNEF_CONTENT_TYPE, type TnefAttachment, type TnefOptions, type TnefResult } from './tnef.ts';
export { extractText, type ExtractInput, type ExtractOptions, type ExtractResult } from './text.ts';
export { htmlToText } from './html-text.ts';
export { rtfToText } from './rtf-text.ts';
