// Extracts searchable text from one attachment: PDF, office documents, HTML, RTF, text, nested mail, TNEF.
//
// Contract: extractText never throws and never hangs. A failing extractor gives { error }; a type we
// do not read gives {} (no text, no error). Time is bounded by timeoutMs (pdftotext is killed, the
// other extractors are one pass over input that is itself capped), memory by the caps below, and
// text by maxChars. Meant to run in a worker thread: the in-process extractors are synchronous.

import { spawn } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { decodeCharset } from './codepage.ts';
import { htmlToText } from './html-text.ts';
import { rtfToText, tidy } from './rtf-text.ts';
import { TNEF_SIGNATURE, decodeTnef } from './tnef.ts';
import { drawingXmlToText, numbered, odfXmlToText, sharedStrings, sheetXmlToText, wordXmlToText, xmlText } from './office-xml.ts';
import { ZipReader, type ZipLimits } from './zip.ts';

export interface ExtractInput {
  filename: string;
  /** The MIME type as sent, parameters allowed ("text/plain; charset=koi8-r"). */
  contentType: string;
  content: Buffer;
}

export interface ExtractOptions {
  /** Wall-clock budget for one attachment. */
  timeoutMs?: number;
  /** Text beyond this many UTF-16 code units is cut off and `truncated` set. */
  maxChars?: number;
  /** Total bytes that unzipping an office document may produce (zip-bomb guard). */
  maxUnzippedBytes?: number;
  /** Central-directory entries an office document may have. */
  maxZipEntries?: number;
  /** Address-space cap for pdftotext, applied with prlimit(1) where it exists. */
  maxPdfMemoryBytes?: number;
  /** The pdftotext binary (Debian: poppler-utils). */
  pdftotextPath?: string;
}

export interface ExtractResult {
  text?: string;
  error?: string;
  /** Set when text was cut at maxChars (or pdftotext's output at its byte cap). */
  truncated?: boolean;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_CHARS = 1_000_000;
/** 50 MiB: far above the XML of any real document, far below what a worker can hold. */
export const DEFAULT_MAX_UNZIPPED_BYTES = 50 * 1024 * 1024;
export const DEFAULT_MAX_ZIP_ENTRIES = 10_000;
export const DEFAULT_MAX_PDF_MEMORY_BYTES = 1024 * 1024 * 1024;
const TIMEOUT_GRACE_MS = 500;
/** Bytes of pdftotext stderr kept for the error message. */
const MAX_STDERR_BYTES = 2048;

type Kind = 'pdf' | 'office' | 'html' | 'rtf' | 'text' | 'message' | 'tnef';

const TYPE_KINDS: ReadonlyMap<string, Kind> = new Map([
  ['application/pdf', 'pdf'],
  ['application/x-pdf', 'pdf'],
  ['application/vnd.ms-word.document.macroenabled.12', 'office'],
  ['application/vnd.ms-excel.sheet.macroenabled.12', 'office'],
  ['application/vnd.ms-powerpoint.presentation.macroenabled.12', 'office'],
  ['application/vnd.oasis.opendocument.text', 'office'],
  ['application/vnd.oasis.opendocument.spreadsheet', 'office'],
  ['application/vnd.oasis.opendocument.presentation', 'office'],
  ['text/html', 'html'],
  ['application/xhtml+xml', 'html'],
  ['text/rtf', 'rtf'],
  ['application/rtf', 'rtf'],
  ['message/rfc822', 'message'],
  ['message/global', 'message'],
  ['application/ms-tnef', 'tnef'],
  ['application/vnd.ms-tnef', 'tnef'],
  ['application/json', 'text'],
  ['application/xml', 'text'],
]);

const EXTENSION_KINDS: ReadonlyMap<string, Kind> = new Map([
  ['pdf', 'pdf'],
  ...['docx', 'docm', 'dotx', 'xlsx', 'xlsm', 'pptx', 'pptm', 'odt', 'ods', 'odp'].map((e): [string, Kind] => [e, 'office']),
  ['htm', 'html'],
  ['html', 'html'],
  ['xhtml', 'html'],
  ['rtf', 'rtf'],
  ...['txt', 'text', 'csv', 'tsv', 'log', 'md', 'json', 'xml', 'ics', 'vcf'].map((e): [string, Kind] => [e, 'text']),
  ['eml', 'message'],
]);

/** Types that say nothing about the content: fall back to the file name, then to magic bytes. */
const GENERIC_TYPES: ReadonlySet<string> = new Set([
  '',
  'application/octet-stream',
  'binary/octet-stream',
  'application/binary',
  'application/unknown',
  'application/force-download',
  'application/download',
  'application/zip',
  'application/x-zip-compressed',
]);

function parseContentType(contentType: string): { type: string; charset?: string } {
  const [type = '', ...params] = contentType.split(';');
  let charset: string | undefined;
  for (const p of params) {
    const m = /^\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(p);
    if (m) charset = m[1];
  }
  return { type: type.trim().toLowerCase(), charset };
}

function kindFromMagic(content: Buffer): Kind | undefined {
  if (content.length >= 5 && content.toString('latin1', 0, 5) === '%PDF-') return 'pdf';
  if (content.length >= 4 && content.readUInt32LE(0) === TNEF_SIGNATURE) return 'tnef';
  if (content.length >= 4 && content.readUInt32LE(0) === 0x04034b50) return 'office';
  if (content.length >= 5 && content.toString('latin1', 0, 5) === '{\\rtf') return 'rtf';
  return undefined;
}

function detectKind(att: ExtractInput, type: string): Kind | undefined {
  const byType = TYPE_KINDS.get(type);
  if (byType) return byType;
  if (type.startsWith('application/vnd.openxmlformats-officedocument.')) return 'office';
  if (type.startsWith('text/')) return 'text';
  if (!GENERIC_TYPES.has(type)) return undefined;
  const ext = /\.([a-z0-9]{1,8})$/i.exec(att.filename ?? '')?.[1]?.toLowerCase();
  return (ext ? EXTENSION_KINDS.get(ext) : undefined) ?? kindFromMagic(att.content);
}

/** Extracts text from one attachment. Never throws: failures come back as { error }. */
export async function extractText(att: ExtractInput, opts: ExtractOptions = {}): Promise<ExtractResult> {
  const maxChars = opts.maxChars ?? DEFAULT_MAX_CHARS;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let kind: Kind | undefined;
  try {
    if (!att || !Buffer.isBuffer(att.content)) return { error: 'extract: attachment content is not a Buffer' };
    const { type, charset } = parseContentType(String(att.contentType ?? ''));
    kind = detectKind(att, type);
    if (!kind) return {};
    const ctx: Context = { att, charset, maxChars, timeoutMs, deadline: Date.now() + timeoutMs, opts };
    const raw = await withTimeout(EXTRACTORS[kind](ctx), timeoutMs, kind);
    if (raw === undefined) return {};
    return capText(raw.text, maxChars, raw.truncated);
  } catch (err) {
    return { error: `${kind ?? 'extract'}: ${err instanceof Error ? err.message : String(err)}` };
  }
}

interface Context {
  att: ExtractInput;
  charset?: string;
  maxChars: number;
  timeoutMs: number;
  /** Date.now() past which the in-process extractors give up between steps. */
  deadline: number;
  opts: ExtractOptions;
}

interface RawText {
  text: string;
  truncated?: boolean;
}

const EXTRACTORS: Record<Kind, (ctx: Context) => Promise<RawText | undefined>> = {
  pdf: async (ctx) => extractPdf(ctx),
  office: async (ctx) => extractOffice(ctx),
  html: async (ctx) => {
    const html = decodeHtml(ctx.att.content, ctx.charset);
    return { text: htmlText(html, ctx.maxChars), truncated: html.length > maxHtmlInput(ctx.maxChars) };
  },
  rtf: async (ctx) => ({ text: rtfToText(ctx.att.content.toString('latin1'), ctx.maxChars + 1) }),
  text: async (ctx) => ({ text: decodeCharset(ctx.att.content, ctx.charset) }),
  message: async (ctx) => extractMessage(ctx),
  tnef: async (ctx) => extractTnef(ctx),
};

function capText(text: string, maxChars: number, truncated = false): ExtractResult {
  if (text.length <= maxChars) return truncated ? { text, truncated } : { text };
  let end = maxChars;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--; // do not split a surrogate pair
  return { text: text.slice(0, end), truncated: true };
}

/** The safety net over every extractor; the grace lets one with its own deadline (pdftotext) clean up and say why. */
async function withTimeout<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} extraction timed out after ${timeoutMs} ms`)), timeoutMs + TIMEOUT_GRACE_MS);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function checkDeadline(ctx: Context): void {
  if (Date.now() > ctx.deadline) throw new Error(`timed out after ${ctx.timeoutMs} ms`);
}

// ---------------------------------------------------------------- PDF

const executables = new Map<string, string | null>();

/** The absolute path of an executable (searched on PATH when bare), or null; cached per name. */
function findExecutable(name: string): string | null {
  let found = executables.get(name);
  if (found === undefined) {
    found = null;
    const candidates = name.includes('/') ? [name] : (process.env.PATH ?? '/usr/bin:/bin').split(':').filter(Boolean).map((dir) => join(dir, name));
    for (const candidate of candidates) {
      try {
        accessSync(candidate, fsConstants.X_OK);
        found = candidate;
        break;
      } catch {
        // not here: try the next directory
      }
    }
    executables.set(name, found);
  }
  return found;
}

/**
 * True when poppler could not find a single object in the bytes: no `%PDF-` header where it looks
 * (the first 1024 bytes) and no `obj` keyword anywhere. Without a header poppler still rebuilds the
 * cross-reference table by scanning for `N G obj` (so a PDF with a damaged header still gives its
 * text), but with neither there is nothing it can read; spawning it for such bytes (a mislabelled
 * or random attachment) would only cost a fork from a large process.
 */
function cannotBePdf(content: Buffer): boolean {
  return content.subarray(0, 1024).indexOf('%PDF-', 0, 'latin1') < 0 && content.indexOf('obj', 0, 'latin1') < 0;
}

/** Runs pdftotext with the PDF on stdin and text on stdout: no shell, no temp file, killed at the deadline. */
function extractPdf(ctx: Context): Promise<RawText> {
  if (cannotBePdf(ctx.att.content)) return Promise.reject(new Error('not a PDF: no header and no objects'));
  const name = ctx.opts.pdftotextPath ?? 'pdftotext';
  const bin = findExecutable(name);
  if (!bin) return Promise.reject(new Error(`${name} not found (Debian: apt-get install poppler-utils)`));
  const args = ['-enc', 'UTF-8', '-eol', 'unix', '-', '-'];
  // prlimit(1) caps pdftotext's address space, then execs it (same pid, so kill still reaches it).
  const prlimit = findExecutable('prlimit');
  const memory = ctx.opts.maxPdfMemoryBytes ?? DEFAULT_MAX_PDF_MEMORY_BYTES;
  const [cmd, argv] = prlimit ? [prlimit, [`--as=${memory}`, '--', bin, ...args]] : [bin, args];
  // UTF-8 needs at most 4 bytes a UTF-16 code unit; anything past that is cut anyway.
  const maxStdoutBytes = ctx.maxChars * 4 + 4;

  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'pipe'], shell: false, windowsHide: true });
    const chunks: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    let truncated = false;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, ctx.timeoutMs);

    child.stdout.on('data', (chunk: Buffer) => {
      if (truncated) return;
      if (stdoutBytes + chunk.length > maxStdoutBytes) {
        chunks.push(chunk.subarray(0, maxStdoutBytes - stdoutBytes));
        truncated = true;
        child.kill('SIGKILL'); // enough text: stop the work rather than drain it
        return;
      }
      chunks.push(chunk);
      stdoutBytes += chunk.length;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < MAX_STDERR_BYTES) stderr += chunk.toString('utf8', 0, MAX_STDERR_BYTES - stderr.length);
    });
    // pdftotext may exit before reading all of a broken PDF: the EPIPE is expected, the exit code tells.
    child.stdin.on('error', () => undefined);
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) return reject(new Error(`pdftotext timed out after ${ctx.timeoutMs} ms`));
      const text = Buffer.concat(chunks).toString('utf8');
      if (truncated) return resolve({ text, truncated: true });
      if (code !== 0) {
        const why = stderr.trim().split('\n').slice(-3).join('; ') || (signal ? `signal ${signal}` : 'no message');
        return reject(new Error(`pdftotext exited with ${code ?? signal}: ${why}`));
      }
      resolve({ text: text.replace(/\f/g, '\n').trim() });
    });
    child.stdin.end(ctx.att.content);
  });
}

// ---------------------------------------------------------------- office documents (OOXML, ODF)

function extractOffice(ctx: Context): RawText | undefined {
  const limits: ZipLimits = {
    maxTotalBytes: ctx.opts.maxUnzippedBytes ?? DEFAULT_MAX_UNZIPPED_BYTES,
    maxEntries: ctx.opts.maxZipEntries ?? DEFAULT_MAX_ZIP_ENTRIES,
  };
  const zip = ZipReader.open(ctx.att.content, limits);
  const names = zip.entries.map((e) => e.name);
  const read = (name: string): string | undefined => {
    checkDeadline(ctx);
    const entry = zip.get(name);
    return entry ? xmlText(zip.read(entry)) : undefined;
  };
  const parts: string[] = [];
  const add = (s: string | undefined): void => {
    if (s && s.trim()) parts.push(tidy(s));
  };

  if (zip.get('word/document.xml')) {
    for (const name of ['word/document.xml', 'word/footnotes.xml', 'word/endnotes.xml', 'word/comments.xml']) {
      const xml = read(name);
      if (xml !== undefined) add(wordXmlToText(xml));
    }
  } else if (zip.get('xl/workbook.xml')) {
    const strings = sharedStrings(read('xl/sharedStrings.xml') ?? '');
    for (const name of numbered(names, 'xl/worksheets/sheet')) add(sheetXmlToText(read(name)!, strings));
  } else if (zip.get('ppt/presentation.xml')) {
    for (const name of numbered(names, 'ppt/slides/slide')) add(drawingXmlToText(read(name)!));
  } else if (zip.get('content.xml') && (read('mimetype') ?? '').startsWith('application/vnd.oasis.opendocument')) {
    add(odfXmlToText(read('content.xml')!));
  } else {
    return undefined; // a plain archive, not a document we read
  }
  return { text: parts.join('\n\n') };
}

// ---------------------------------------------------------------- HTML, mail, TNEF

/** HTML past this is cut before converting: markup outweighs text, but not by more than this. */
function maxHtmlInput(maxChars: number): number {
  return Math.max(maxChars * 8, 1024 * 1024);
}

function htmlText(html: string, maxChars: number): string {
  const maxInput = maxHtmlInput(maxChars);
  return htmlToText(html.length > maxInput ? html.slice(0, maxInput) : html, maxChars + 1);
}

/** Charset from the Content-Type, else from a <meta> in the first 2 KiB, else UTF-8 or Latin-1. */
function decodeHtml(bytes: Buffer, charset: string | undefined): string {
  if (!charset) {
    const head = bytes.toString('latin1', 0, Math.min(bytes.length, 2048));
    charset = /<meta[^<>]+charset\s*=\s*["']?([\w.:-]+)/i.exec(head)?.[1];
  }
  return decodeCharset(bytes, charset);
}

async function extractMessage(ctx: Context): Promise<RawText> {
  const parsed = await simpleParser(ctx.att.content, {
    skipHtmlToText: true, // its html-to-text is quadratic on deep nesting: we convert below
    skipImageLinks: true,
    skipTextToHtml: true,
    skipTextLinks: true,
    maxHtmlLengthToParse: maxHtmlInput(ctx.maxChars),
  });
  const text = parsed.text?.trim() ? parsed.text : typeof parsed.html === 'string' ? htmlText(parsed.html, ctx.maxChars) : '';
  return { text: joinSubject(parsed.subject, text) };
}

function extractTnef(ctx: Context): RawText {
  const tnef = decodeTnef(ctx.att.content);
  let body = tnef.body ?? '';
  if (!body.trim() && tnef.bodyHtml) body = htmlText(tnef.bodyHtml, ctx.maxChars);
  if (!body.trim() && tnef.bodyRtf) body = rtfToText(tnef.bodyRtf, ctx.maxChars + 1);
  return { text: joinSubject(tnef.subject, body) };
}

function joinSubject(subject: string | undefined, body: string): string {
  const s = subject?.trim();
  return s ? `${s}\n\n${body.trim()}`.trim() : body.trim();
}
