// The message API: one archived message's details, its original bytes, its attachments, its
// sanitised HTML and its thread. Every disclosure is authorised per action and recorded on the ledger first.
import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { simpleParser, type Attachment, type ParsedMail } from 'mailparser';
import { z } from 'zod';
import { SteleError, isSteleError } from '../../core/errors.ts';
import type { SearchIndex } from '../../search/index.ts';
import type { Ledger, Vault } from '../../vault/index.ts';
import type { Audit, Authorize } from './search-routes.ts';
import { MESSAGE_HTML_VIEWED, sanitiseMessageHtml, sendMessageHtml } from './message-html.ts';

export const MESSAGE_VIEWED = 'message.viewed';
export const MESSAGE_RAW_DOWNLOADED = 'message.raw_downloaded';
export const ATTACHMENT_DOWNLOADED = 'message.attachment_downloaded';
export const THREAD_VIEWED = 'message.thread_viewed';
/** The ledger event of a message's arrival (ingest/pipeline.ts MESSAGE_INGESTED). */
const MESSAGE_INGESTED = 'message.ingested';

export interface MessageRouteDeps {
  index: SearchIndex;
  vault: Vault;
  ledger: Ledger;
  authorize: Authorize;
  audit: Audit;
  /** Vault key of a message by its SHA-256 (ingest's messageKey). */
  messageKey: (sha256: string) => string;
  /**
   * The retention catalog's current category, retain-until and holds (Retention.recordOf): the
   * source of truth, since holds and extensions come after indexing. Null, or absent (the routes
   * tested alone), falls back to the index document.
   */
  retentionOf?: (sha256: string) => { category: string; retainUntil: string; holds: string[] } | null;
}

/** A message id is its SHA-256 in lower-case hex: nothing else reaches the vault (no traversal). */
const idParam = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex characters (a SHA-256)');
const attachmentParam = z.coerce.number().int().min(0).max(10_000);
/** Declared types are echoed only when well-formed; anything else is served as opaque bytes. */
const MIME_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

type Handler = (req: Request, res: Response) => Promise<void>;

function route(handler: Handler): RequestHandler {
  return async (req, res, next: NextFunction) => {
    try {
      await handler(req, res);
    } catch (err) {
      next(err);
    }
  };
}

function param<T>(schema: z.ZodType<T>, value: unknown, field: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new SteleError('bad_request', `invalid ${field}: ${r.error.issues[0]?.message ?? 'malformed'}`, { details: { field } });
  return r.data;
}

const messageId = (req: Request) => param(idParam, req.params.id, 'id');

export function messageRoutes(deps: MessageRouteDeps): Router {
  const router = Router();
  const base = '/api/v1/messages/:id';
  router.get(base, deps.authorize('message.read'), route((req, res) => viewMessage(deps, req, res)));
  router.get(`${base}/raw`, deps.authorize('message.raw'), route((req, res) => sendRaw(deps, req, res)));
  router.get(`${base}/attachments/:n`, deps.authorize('message.attachment'), route((req, res) => sendAttachment(deps, req, res)));
  router.get(`${base}/thread`, deps.authorize('message.read'), route((req, res) => viewThread(deps, req, res)));
  router.get(`${base}/html`, deps.authorize('message.read'), route((req, res) => viewHtml(deps, req, res)));
  return router;
}

const notArchived = (id: string) => new SteleError('not_found', `no archived message ${id}`);

async function viewMessage(deps: MessageRouteDeps, req: Request, res: Response): Promise<void> {
  const id = messageId(req);
  const doc = await deps.index.get(id);
  if (!doc) throw notArchived(id);
  const ingest = deps.ledger.first(MESSAGE_INGESTED, id);
  const retention = deps.retentionOf?.(id) ?? doc;
  const mail = await openOriginal(deps, id);
  const attachments = (mail?.attachments ?? []).map((a, n) => ({
    n, filename: attachmentName(a, n), contentType: a.contentType, size: a.size ?? a.content.length,
    url: `/api/v1/messages/${id}/attachments/${n}`,
  }));
  await deps.audit(req, { type: MESSAGE_VIEWED, subject: id, data: {} });
  res.set('Cache-Control', 'no-store').json({
    id: doc.id, sha256: doc.sha256, messageId: doc.messageId ?? null, inReplyTo: doc.inReplyTo ?? null, references: doc.references ?? [],
    subject: doc.subject, date: doc.date, receivedAt: doc.receivedAt, size: doc.size,
    from: doc.from, to: doc.to, cc: doc.cc, bcc: doc.bcc,
    envelope: { from: doc.envelopeFrom ?? null, to: doc.envelopeTo },
    body: doc.body,
    /** Whether GET .../html has an HTML part to show (sanitised). */
    hasHtml: typeof mail?.html === 'string' && mail.html.length > 0,
    attachments,
    /** What the index read from each attachment (TNEF contents included), for search. */
    indexedAttachments: doc.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, size: a.size, hasText: !!a.text })),
    flags: doc.flags, category: retention.category, retainUntil: retention.retainUntil, holds: retention.holds, custodians: doc.custodians,
    ingest,
  });
}

async function readRaw(deps: MessageRouteDeps, id: string): Promise<Buffer> {
  if (!deps.ledger.first(MESSAGE_INGESTED, id)) throw notArchived(id);
  try {
    return await deps.vault.getOpened(deps.messageKey(id));
  } catch (err) {
    // Archived, then destroyed under its retention schedule: gone from every region.
    if (isSteleError(err, 'not_found')) throw new SteleError('not_found', `message ${id} is no longer in the vault`);
    throw err;
  }
}

async function sendRaw(deps: MessageRouteDeps, req: Request, res: Response): Promise<void> {
  const id = messageId(req);
  const raw = await readRaw(deps, id);
  await deps.audit(req, { type: MESSAGE_RAW_DOWNLOADED, subject: id, data: { bytes: raw.length } });
  res.set({
    'Content-Type': 'message/rfc822',
    'Content-Disposition': `attachment; filename="${id}.eml"`,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
  });
  res.end(raw);
}

const PARSE_OPTIONS = { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true } as const;

/**
 * The message as a reader sees it: a journal report is opened to the original message it
 * carries, as the index does, so attachment numbers and the HTML match what was sent.
 * Null for unparseable mail (archived raw; /raw still serves it).
 */
async function openOriginal(deps: MessageRouteDeps, id: string): Promise<ParsedMail | null> {
  const mail = await simpleParser(await readRaw(deps, id), PARSE_OPTIONS).catch(() => null);
  if (!mail) return null;
  const original = mail.headerLines.some((h) => h.key === 'x-ms-journal-report')
    ? mail.attachments.find((a) => a.contentType === 'message/rfc822')
    : undefined;
  if (original) {
    const inner = await simpleParser(original.content, PARSE_OPTIONS).catch(() => null);
    if (inner) return inner;
  }
  return mail;
}

/** The downloadable attachments, numbered from 0 in MIME order. */
async function openAttachments(deps: MessageRouteDeps, id: string): Promise<Attachment[]> {
  return (await openOriginal(deps, id))?.attachments ?? [];
}

function attachmentName(a: Attachment, n: number): string {
  return a.filename ?? (a.contentType === 'message/rfc822' ? `message-${n}.eml` : `attachment-${n}`);
}

async function sendAttachment(deps: MessageRouteDeps, req: Request, res: Response): Promise<void> {
  const id = messageId(req);
  const n = param(attachmentParam, req.params.n, 'n');
  const attachments = await openAttachments(deps, id);
  const att = attachments[n];
  if (!att) throw new SteleError('not_found', `message ${id} has ${attachments.length} attachment(s); there is no number ${n}`);
  const filename = attachmentName(att, n);
  await deps.audit(req, { type: ATTACHMENT_DOWNLOADED, subject: id, data: { n, filename, bytes: att.content.length } });
  res.attachment(filename); // RFC 6266 Content-Disposition with an ASCII fallback and filename*
  const type = att.contentType.toLowerCase();
  res.set({
    'Content-Type': MIME_TYPE.test(type) ? type : 'application/octet-stream',
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
    // An attachment is evidence to download, never a page to run in the archive's origin.
    'Content-Security-Policy': "default-src 'none'; sandbox",
  });
  res.end(att.content);
}

async function viewThread(deps: MessageRouteDeps, req: Request, res: Response): Promise<void> {
  const id = messageId(req);
  const messages = await deps.index.thread(id);
  if (messages.length === 0) throw notArchived(id);
  await deps.audit(req, { type: THREAD_VIEWED, subject: id, data: { messages: messages.length } });
  res.set('Cache-Control', 'no-store').json({ id, messages });
}

async function viewHtml(deps: MessageRouteDeps, req: Request, res: Response): Promise<void> {
  const id = messageId(req);
  const mail = await openOriginal(deps, id);
  if (!mail || typeof mail.html !== 'string' || !mail.html) throw new SteleError('not_found', `message ${id} has no HTML part`);
  const clean = sanitiseMessageHtml(mail.html, mail.attachments);
  await deps.audit(req, { type: MESSAGE_HTML_VIEWED, subject: id, data: { remoteBlocked: clean.remoteBlocked } });
  sendMessageHtml(res, clean);
}
