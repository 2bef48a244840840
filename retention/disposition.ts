// Disposition: propose what is past retain-until and held by nothing, one batch per category;
// a records manager reviews and approves (or rejects) it; only an approved batch is destroyed,
// in every region and the index, with a message.destroyed event each and a signed certificate.
import { createHash } from 'node:crypto';
import { SteleError, isSteleError } from '../core/errors.ts';
import { PERMANENT } from '../vault/port.ts';
import { parseQuery } from '../search/query/parse.ts';
import { certificateKey, signCertificate, CERTIFICATE_FORMAT, type CertificateBody } from './certificate.ts';
import { newId, type RetentionContext } from './context.ts';
import { searchAll, sweepHolds } from './holds.ts';
import { EVENTS, type Batch, type MessageRow } from './model.ts';
import { sweepContentRules } from './policy.ts';
import { syncIndex } from './index-sync.ts';
import { syncFromLedger } from './projection.ts';

/** Catalog and holds brought up to date with the ledger and the index (and the index with them): run before deciding anything. */
export async function refresh(ctx: RetentionContext): Promise<void> {
  await syncFromLedger(ctx);
  await sweepHolds(ctx);
  await sweepContentRules(ctx);
  await syncFromLedger(ctx);
  await syncIndex(ctx); // what the sweeps changed, and anything an earlier send left queued
}

export async function proposeBatches(ctx: RetentionContext, actor = 'system:disposition'): Promise<Batch[]> {
  await refresh(ctx);
  const now = ctx.clock.now();
  const byCategory = new Map<string, MessageRow[]>();
  for (const m of ctx.store.dueMessages(now.toISOString())) {
    byCategory.set(m.category, [...(byCategory.get(m.category) ?? []), m]);
  }
  const out: Batch[] = [];
  for (const [category, items] of byCategory) {
    const id = newId('batch', now);
    ctx.store.createBatch({ id, category, createdAt: now.toISOString(), approvalsRequired: ctx.options.fourEyes ? 2 : 1 }, items);
    await ctx.ledger.append({ type: EVENTS.batchProposed, actor, subject: id, data: { batchId: id, category, count: items.length, ids: items.map((m) => m.sha256) } });
    out.push(ctx.store.batch(id)!);
  }
  return out;
}

export interface BatchReview {
  batch: Batch;
  byRule: Array<{ rule: string; count: number }>;
  oldestRetainUntil?: string;
  sample: Array<{ sha256: string; subject?: string; from?: string; date?: string; retainUntil: string; rule: string; state: string; held: boolean }>;
  /** When a query was given: how many of the batch it matches. */
  matches?: number;
}

/** Counts, a sample with what the index shows, and (optionally) a search inside the batch. */
export async function reviewBatch(ctx: RetentionContext, id: string, opts: { query?: string; sample?: number } = {}): Promise<BatchReview> {
  const batch = mustBatch(ctx, id);
  let items = ctx.store.batchItems(id);
  const byRule = new Map<string, number>();
  for (const i of items) byRule.set(i.rule, (byRule.get(i.rule) ?? 0) + 1);
  let matches: number | undefined;
  if (opts.query) {
    const hits = new Set(await searchAll(ctx.index, parseQuery(opts.query)));
    items = items.filter((i) => hits.has(i.sha256));
    matches = items.length;
  }
  const sample = await Promise.all(items.slice(0, opts.sample ?? ctx.options.sampleSize).map(async (i) => {
    const doc = await ctx.index.get(i.sha256);
    return {
      sha256: i.sha256, subject: doc?.subject, from: doc?.from[0]?.address, date: doc?.date,
      retainUntil: i.retainUntil, rule: i.rule, state: i.state, held: ctx.store.holdCount(i.sha256) > 0,
    };
  }));
  const oldest = items.map((i) => i.retainUntil).sort()[0];
  return { batch, byRule: [...byRule].map(([rule, count]) => ({ rule, count })), oldestRetainUntil: oldest, sample, matches };
}

/** Records one approval; when enough distinct people approved, the batch is destroyed. */
export async function approveBatch(ctx: RetentionContext, id: string, actor: string, reason: string): Promise<Batch> {
  const batch = mustBatch(ctx, id);
  if (batch.status !== 'proposed') throw new SteleError('conflict', `batch ${id} is ${batch.status}, not awaiting approval`);
  const at = ctx.clock.now().toISOString();
  if (!ctx.store.addApproval(id, actor, at, reason)) throw new SteleError('conflict', `${actor} has already approved batch ${id}; a second approver must be someone else`);
  const approvals = batch.approvals.length + 1;
  await ctx.ledger.append({ type: EVENTS.batchApproved, actor, subject: id, data: { batchId: id, reason, approvals, required: batch.approvalsRequired } });
  if (approvals < batch.approvalsRequired) return ctx.store.batch(id)!;
  ctx.store.setBatchStatus(id, 'approved', { decidedAt: at });
  return destroyBatch(ctx, id);
}

export async function rejectBatch(ctx: RetentionContext, id: string, actor: string, reason: string): Promise<Batch> {
  const batch = mustBatch(ctx, id);
  if (batch.status !== 'proposed') throw new SteleError('conflict', `batch ${id} is ${batch.status}, not awaiting a decision`);
  const now = ctx.clock.now();
  ctx.store.setBatchStatus(id, 'rejected', { decidedAt: now.toISOString(), rejectedBy: actor, reason });
  // A rejection is a decision to keep, for now: the same messages are not proposed again at once.
  const until = new Date(now.getTime() + ctx.options.rejectDeferDays * 86_400_000).toISOString();
  ctx.store.deferMessages(ctx.store.batchItems(id).map((i) => i.sha256), until);
  await ctx.ledger.append({ type: EVENTS.batchRejected, actor, subject: id, data: { batchId: id, reason, deferredUntil: until } });
  return ctx.store.batch(id)!;
}

/**
 * Destroys an approved batch. Each message is checked again (a hold placed since the proposal
 * wins), then deleted in every region (the adapters refuse on their own if a hold or retention
 * applies), removed from the index and recorded. Resumable: a crash mid-way is finished by the
 * next run, and the certificate is deterministic, so a retry writes the same bytes.
 */
export async function destroyBatch(ctx: RetentionContext, id: string): Promise<Batch> {
  const batch = mustBatch(ctx, id);
  if (batch.status !== 'approved') throw new SteleError('conflict', `batch ${id} is ${batch.status}; only an approved batch is destroyed`);
  await refresh(ctx);
  const approvers = batch.approvals.map((a) => a.actor);
  for (const item of ctx.store.batchItems(id).filter((i) => i.state === 'pending')) {
    const note = await destroyOne(ctx, id, item.sha256, item.retainUntil);
    if (note) {
      ctx.store.setItemState(id, item.sha256, 'skipped', null, note);
      await ctx.ledger.append({ type: EVENTS.batchItemSkipped, actor: 'system:disposition', subject: item.sha256, data: { batchId: id, note } });
      continue;
    }
    const at = ctx.clock.now().toISOString();
    await ctx.ledger.append({
      type: EVENTS.messageDestroyed, actor: 'system:disposition', subject: item.sha256,
      data: { sha256: item.sha256, batchId: id, category: item.category, rule: item.rule, retainUntil: item.retainUntil, approvers, certificate: certificateKey(id) },
    });
    ctx.store.setItemState(id, item.sha256, 'destroyed', at, null);
    ctx.store.markDestroyed(item.sha256);
  }
  await issueCertificate(ctx, id);
  ctx.store.setBatchStatus(id, 'destroyed');
  return ctx.store.batch(id)!;
}

/** Deletes one message everywhere; returns why it was kept instead, if it was. */
async function destroyOne(ctx: RetentionContext, batchId: string, sha256: string, retainUntil: string): Promise<string | null> {
  const m = ctx.store.message(sha256);
  if (ctx.store.holdCount(sha256) > 0) return `held by ${ctx.store.holdsOf(sha256).join(', ')}`;
  if (!m || m.retainUntil > retainUntil || m.retainUntil > ctx.clock.now().toISOString()) return `retention extended to ${m?.retainUntil} since the proposal`;
  try {
    await ctx.vault.delete(ctx.messageKey(sha256));
  } catch (err) {
    if (isSteleError(err, 'legal_hold') || isSteleError(err, 'retention_active')) {
      ctx.log.warn('vault refused a disposition delete', { batchId, id: sha256, code: err.code });
      return `the vault refused: ${err.code}`;
    }
    throw err;
  }
  await ctx.index.delete([sha256]);
  return null;
}

async function issueCertificate(ctx: RetentionContext, batchId: string): Promise<void> {
  if (ctx.store.certificateBody(batchId)) return;
  const batch = mustBatch(ctx, batchId);
  const items = ctx.store.batchItems(batchId);
  const destroyed = items.filter((i) => i.state === 'destroyed');
  const { publicKey, secretKey } = ctx.vault.keyring.signing;
  const body: CertificateBody = {
    format: CERTIFICATE_FORMAT, batchId, category: batch.category, proposedAt: batch.createdAt,
    // The last destruction time, not "now": a retry after a crash signs the very same bytes.
    issuedAt: destroyed.map((i) => i.destroyedAt!).sort().at(-1) ?? batch.decidedAt ?? batch.createdAt,
    approvers: batch.approvals,
    items: destroyed.map((i) => ({ id: i.sha256, sha256: i.sha256, messageId: i.messageId, category: i.category, rule: i.rule, retainUntil: i.retainUntil, destroyedAt: i.destroyedAt! })),
    skipped: items.filter((i) => i.state === 'skipped').map((i) => ({ sha256: i.sha256, note: i.note ?? '' })),
    regions: ctx.vault.regions.map((r) => r.region),
    publicKey: Buffer.from(publicKey).toString('base64'),
  };
  const bytes = signCertificate(ctx.sodium, secretKey, body);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  // Plaintext like ledger checkpoints: it must verify with the public key alone, and holds no content.
  await ctx.vault.putAll(certificateKey(batchId), bytes, { retainUntil: PERMANENT });
  await ctx.ledger.append({ type: EVENTS.certificateIssued, actor: 'system:disposition', subject: batchId, data: { batchId, key: certificateKey(batchId), sha256, destroyed: destroyed.length, skipped: body.skipped.length } });
  ctx.store.putCertificate({ id: batchId, issuedAt: body.issuedAt, category: batch.category, count: destroyed.length, sha256, body: bytes });
}

/** Finishes approved batches a crash or a region failure interrupted. */
export async function resumeApproved(ctx: RetentionContext): Promise<void> {
  for (const b of ctx.store.batches('approved')) await destroyBatch(ctx, b.id);
}

function mustBatch(ctx: RetentionContext, id: string): Batch {
  const b = ctx.store.batch(id);
  if (!b) throw new SteleError('not_found', `no disposition batch ${id}`);
  return b;
}
