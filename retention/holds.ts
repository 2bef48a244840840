// Legal holds: placed, changed and released by an admin, applied to existing mail through the
// index and to new mail at ingest (classifier) and by the sweep (query-scoped holds, ADR 0002).
// Holds are counted per message, so the vault flag stays on while any hold covers it.
import { SteleError } from '../core/errors.ts';
import type { QueryNode, SearchIndex } from '../search/port.ts';
import { newId, type RetentionContext } from './context.ts';
import { EVENTS, type Hold, type HoldChange, type HoldInput } from './model.ts';
import { syncIndex } from './index-sync.ts';
import { clearFlags } from './projection.ts';
import { factsFromDocument, holdCoversAtIngest, holdQuery } from './rules.ts';

const SEARCH_PAGE = 1000;
const SWEEP_POS = 'hold_sweep_rowid';
/** Holds whose vault flags may be incomplete after a failed write: the sweep finishes them. */
const FLAGS_PENDING = 'hold_flags_pending';

/** Every id the index returns for a query, page by page. */
export async function searchAll(index: SearchIndex, q: QueryNode): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (;;) {
    const r = await index.search(q, { sort: 'date_asc', limit: SEARCH_PAGE, cursor });
    ids.push(...r.hits.map((h) => h.id));
    if (!r.nextCursor || r.hits.length === 0) return ids;
    cursor = r.nextCursor;
  }
}

export async function placeHold(ctx: RetentionContext, input: HoldInput, actor: string): Promise<{ hold: Hold; applied: number }> {
  const now = ctx.clock.now();
  const hold: Hold = { id: newId('hold', now), name: input.name, matter: input.matter, scope: input.scope, status: 'active', createdBy: actor, createdAt: now.toISOString() };
  holdQuery(hold.scope); // a malformed query is refused before anything is stored
  ctx.store.putHold(hold);
  await ctx.ledger.append({ type: EVENTS.holdPlaced, actor, subject: hold.id, data: { hold, reason: input.reason } });
  const applied = await applyHold(ctx, hold, actor);
  await syncIndex(ctx); // hold: searches and the message view show the hold on mail archived before it
  return { hold, applied };
}

/** Links every message the index finds in the hold's scope; flags newly covered ones in every region. */
export async function applyHold(ctx: RetentionContext, hold: Hold, actor: string): Promise<number> {
  await ctx.indexCaughtUp();
  const ids = await searchAll(ctx.index, holdQuery(hold.scope));
  return linkAndFlag(ctx, hold.id, ids, actor);
}

/**
 * The catalog is written first (a linked message is never proposed for disposal), then the
 * flags; if a region fails, the hold is marked pending and the sweep sets its flags again.
 */
async function linkAndFlag(ctx: RetentionContext, holdId: string, ids: string[], actor: string): Promise<number> {
  const added = ctx.store.linkHold(holdId, ids);
  if (added.length === 0) return 0;
  try {
    for (const id of added) await ctx.vault.setLegalHold(ctx.messageKey(id), true);
  } catch (err) {
    markPending(ctx, holdId, true);
    throw err;
  }
  await ctx.ledger.append({ type: EVENTS.holdApplied, actor, subject: holdId, data: { holdId, count: added.length, ids: added } });
  return added.length;
}

export async function changeHold(ctx: RetentionContext, id: string, change: HoldChange, actor: string): Promise<{ hold: Hold; added: number; removed: number }> {
  const before = activeHold(ctx, id);
  const after: Hold = { ...before, name: change.name ?? before.name, scope: change.scope ?? before.scope };
  const q = holdQuery(after.scope);
  ctx.store.putHold(after);
  await ctx.ledger.append({ type: EVENTS.holdChanged, actor, subject: id, data: { before, after, reason: change.reason } });
  if (!change.scope) return { hold: after, added: 0, removed: 0 };
  await ctx.indexCaughtUp();
  const inScope = new Set(await searchAll(ctx.index, q));
  const outOfScope = ctx.store.heldBy(id).filter((m) => !inScope.has(m));
  const added = await linkAndFlag(ctx, id, [...inScope], actor);
  const orphaned = ctx.store.unlinkHold(id, outOfScope);
  const cleared = await clearFlags(ctx, orphaned);
  if (outOfScope.length) await ctx.ledger.append({ type: EVENTS.holdChanged, actor, subject: id, data: { narrowed: outOfScope.length, ids: outOfScope, flagsCleared: cleared } });
  await syncIndex(ctx);
  return { hold: after, added, removed: outOfScope.length };
}

/** Releases one hold; messages other holds still cover keep their flag (invariant 5). */
export async function releaseHold(ctx: RetentionContext, id: string, actor: string, reason: string): Promise<{ hold: Hold; released: number; flagsCleared: number }> {
  const hold = activeHold(ctx, id);
  const members = ctx.store.heldBy(id);
  const released: Hold = { ...hold, status: 'released', releasedBy: actor, releasedAt: ctx.clock.now().toISOString() };
  ctx.store.putHold(released);
  const orphaned = ctx.store.unlinkHold(id);
  markPending(ctx, id, false);
  const cleared = await clearFlags(ctx, orphaned);
  await ctx.ledger.append({ type: EVENTS.holdReleased, actor, subject: id, data: { reason, messages: members.length, flagsCleared: cleared } });
  await syncIndex(ctx);
  return { hold: released, released: members.length, flagsCleared: cleared.length };
}

function activeHold(ctx: RetentionContext, id: string): Hold {
  const hold = ctx.store.hold(id);
  if (!hold) throw new SteleError('not_found', `no hold ${id}`);
  if (hold.status !== 'active') throw new SteleError('conflict', `hold ${id} is already released`);
  return hold;
}

function markPending(ctx: RetentionContext, holdId: string, on: boolean): void {
  const set = new Set<string>(JSON.parse(ctx.store.getSetting(FLAGS_PENDING) ?? '[]'));
  if (on) set.add(holdId);
  else set.delete(holdId);
  ctx.store.setSetting(FLAGS_PENDING, JSON.stringify([...set]));
}

/**
 * Brings holds up to date with new mail: query-scoped holds by searching again, the others by
 * checking each newly indexed message (covers mail classified just before a hold was placed).
 */
export async function sweepHolds(ctx: RetentionContext): Promise<number> {
  await ctx.indexCaughtUp();
  const active = ctx.store.holds('active');
  let added = 0;
  for (const id of JSON.parse(ctx.store.getSetting(FLAGS_PENDING) ?? '[]') as string[]) {
    for (const m of ctx.store.heldBy(id)) await ctx.vault.setLegalHold(ctx.messageKey(m), true);
    markPending(ctx, id, false);
  }
  for (const h of active.filter((h) => h.scope.query)) added += await applyHold(ctx, h, 'system:hold-sweep');
  const plain = active.filter((h) => !h.scope.query);
  // With no such hold there is nothing to check; a hold placed later searches the index itself.
  if (plain.length === 0) return (ctx.store.setSetting(SWEEP_POS, String(ctx.store.lastRowid())), added);
  for (let pos = Number(ctx.store.getSetting(SWEEP_POS) ?? '0'); ;) {
    const page = ctx.store.messagesAfter(pos, 500);
    if (page.length === 0) return added;
    for (const m of page) {
      const doc = await ctx.index.get(m.sha256);
      if (!doc) return added; // not indexed yet: resume here next time
      const facts = factsFromDocument(doc);
      for (const h of plain) if (holdCoversAtIngest(h.scope, facts)) added += await linkAndFlag(ctx, h.id, [m.sha256], 'system:hold-sweep');
      pos = m.rowid;
      ctx.store.setSetting(SWEEP_POS, String(pos));
    }
  }
}
