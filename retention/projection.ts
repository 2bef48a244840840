// Keeps the retention catalog's message table a projection of the ledger: which messages
// exist, their category and retain-until (from message.ingested and retention.extended), the
// holds they arrived under, and which are gone (message.destroyed).
import { MESSAGE_INGESTED } from '../vault/messages.ts';
import type { LedgerEntry } from '../vault/ledger/chain.ts';
import type { RetentionContext } from './context.ts';
import { EVENTS } from './model.ts';

const PAGE = 1000;
const WATERMARK = 'ledger_seq';
const TYPES = [MESSAGE_INGESTED, EVENTS.retentionExtended, EVENTS.messageDestroyed];

interface Ingested {
  sha256: string;
  category: string;
  rule?: string;
  retainUntil: string;
  receivedAt: string;
  holds?: string[];
  messageId?: string;
}

/** Applies every new relevant ledger entry; idempotent, resumable from the stored watermark. */
export async function syncFromLedger(ctx: RetentionContext): Promise<number> {
  let applied = 0;
  for (;;) {
    const after = Number(ctx.store.getSetting(WATERMARK) ?? '0');
    const head = ctx.ledger.headInfo().seq;
    const page = ctx.ledger.query({ afterSeq: after, types: TYPES, limit: PAGE });
    const orphans: string[] = [];
    ctx.store.tx(() => {
      for (const e of page) orphans.push(...applyEntry(ctx, e));
      // Entries up to `head` were in the mirror when the page was read: none was skipped.
      const last = page.length ? page[page.length - 1].seq : after;
      ctx.store.setSetting(WATERMARK, String(page.length < PAGE ? Math.max(head, last) : last));
    });
    for (const id of await clearFlags(ctx, orphans)) {
      await ctx.ledger.append({ type: EVENTS.holdFlagCleared, actor: 'system:retention', subject: id, data: { sha256: id, why: 'every hold it arrived under was released before it was catalogued' } });
    }
    applied += page.length;
    if (page.length < PAGE) return applied;
  }
}

/** Returns ids whose hold flag should be cleared (every hold they arrived under is released). */
function applyEntry(ctx: RetentionContext, e: LedgerEntry): string[] {
  const d = e.data as Record<string, unknown>;
  if (e.type === MESSAGE_INGESTED) {
    const m = d as unknown as Ingested;
    ctx.store.upsertMessage({
      sha256: m.sha256, category: m.category, rule: m.rule ?? 'default', retainUntil: m.retainUntil,
      receivedAt: m.receivedAt, messageId: m.messageId, status: 'live',
    });
    const holds = m.holds ?? [];
    const active = holds.filter((h) => ctx.store.hold(h)?.status === 'active');
    for (const h of active) ctx.store.linkHold(h, [m.sha256]);
    // The index took the event's holds; one released since must leave its copy too.
    if (active.length < holds.length) ctx.store.queueIndexSync([m.sha256]);
    return holds.length > 0 && ctx.store.holdCount(m.sha256) === 0 ? [m.sha256] : [];
  }
  if (e.type === EVENTS.retentionExtended && e.subject) {
    ctx.store.extendMessage(e.subject, String(d.to), String(d.category), String(d.rule));
  } else if (e.type === EVENTS.messageDestroyed && e.subject) {
    ctx.store.markDestroyed(e.subject);
  }
  return [];
}

/**
 * Turns the vault's hold flag off in every region for messages no hold covers any more (the
 * count is re-read: a hold placed meanwhile keeps the flag). Returns the ids cleared.
 */
export async function clearFlags(ctx: RetentionContext, ids: string[]): Promise<string[]> {
  const cleared: string[] = [];
  for (const id of ids) {
    if (ctx.store.holdCount(id) > 0 || ctx.store.message(id)?.status === 'destroyed') continue;
    await ctx.vault.setLegalHold(ctx.messageKey(id), false);
    cleared.push(id);
  }
  return cleared;
}
