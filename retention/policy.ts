// Categories and rules: the ingest classifier, policy changes (which never shorten a
// retain-until: invariant 4), the dry run that shows what a change would move, and the
// re-evaluation job that extends the objects a change lengthens, with progress.
import { SteleError } from '../core/errors.ts';
import type { Classification, Classify } from '../ingest/types.ts';
import type { IndexDocument } from '../search/port.ts';
import { parseQuery } from '../search/query/parse.ts';
import { DEFAULT_CATEGORY, DEFAULT_RETAIN_YEARS } from './classify.ts';
import { newId, type RetentionContext } from './context.ts';
import { searchAll } from './holds.ts';
import { INDEX_SYNC_BATCH, syncIndex } from './index-sync.ts';
import { EVENTS, type Category, type CategoryInput, type Job, type MessageRow, type Rule, type RuleInput } from './model.ts';
import { decide, factsFromDocument, factsFromSummary, holdCoversAtIngest } from './rules.ts';

const PAGE = 500;

/** Seeds the documented default: one category, six years (45 CFR 164.316(b)(2)(i)). */
export function ensureDefaults(ctx: RetentionContext): void {
  if (!ctx.store.categories().has(DEFAULT_CATEGORY)) {
    ctx.store.putCategory({ name: DEFAULT_CATEGORY, retainYears: DEFAULT_RETAIN_YEARS, retainDays: 0, description: 'Everything no rule assigns (HIPAA: six years)', updatedAt: ctx.clock.now().toISOString() });
  }
}

/** The classifier injected into the ingest pipeline: first matching header rule, holds by custodian/date/all. */
export function createClassifier(ctx: RetentionContext): Classify {
  return (msg, c): Classification => {
    const facts = factsFromSummary(msg, c.envelope, c.size, c.receivedAt);
    const d = decide(facts, ctx.store.rules(), ctx.store.categories(), DEFAULT_CATEGORY, ctx.options.internalDomains);
    const holds = ctx.store.holds('active').filter((h) => holdCoversAtIngest(h.scope, facts)).map((h) => h.id);
    return { category: d.category, rule: d.rule, retainUntil: d.retainUntil, holds };
  };
}

export async function putCategory(ctx: RetentionContext, name: string, input: CategoryInput, actor: string): Promise<{ category: Category; job?: Job }> {
  const before = ctx.store.categories().get(name);
  const category: Category = { name, retainYears: input.retainYears, retainDays: input.retainDays, description: input.description, updatedAt: ctx.clock.now().toISOString() };
  ctx.store.putCategory(category);
  await ctx.ledger.append({ type: EVENTS.categoryChanged, actor, subject: name, data: { before: before ?? null, after: category, reason: input.reason } });
  // Only a longer period can move existing objects; a shorter one applies to new mail only.
  const longer = before && category.retainYears * 366 + category.retainDays > before.retainYears * 366 + before.retainDays;
  return { category, job: longer ? startReapply(ctx, actor, `category ${name} lengthened`, name) : undefined };
}

export async function putRule(ctx: RetentionContext, id: string | null, input: RuleInput, actor: string): Promise<{ rule: Rule; job: Job }> {
  if (!ctx.store.categories().has(input.category)) throw new SteleError('bad_request', `no category ${input.category}`);
  if (input.match.query) parseQuery(input.match.query);
  const before = id ? ctx.store.rules().find((r) => r.id === id) : undefined;
  if (id && !before) throw new SteleError('not_found', `no rule ${id}`);
  const rule: Rule = { id: id ?? newId('rule', ctx.clock.now()), priority: input.priority, category: input.category, match: input.match, enabled: input.enabled, description: input.description };
  ctx.store.putRule(rule);
  await ctx.ledger.append({ type: EVENTS.ruleChanged, actor, subject: rule.id, data: { before: before ?? null, after: rule, reason: input.reason } });
  return { rule, job: startReapply(ctx, actor, `rule ${rule.id} changed`) };
}

export async function deleteRule(ctx: RetentionContext, id: string, actor: string, reason: string): Promise<void> {
  const before = ctx.store.rules().find((r) => r.id === id);
  if (!before) throw new SteleError('not_found', `no rule ${id}`);
  ctx.store.deleteRule(id);
  await ctx.ledger.append({ type: EVENTS.ruleChanged, actor, subject: id, data: { before, after: null, reason } });
}

export interface DryRunReport {
  total: number;
  unchanged: number;
  notIndexed: number;
  /** Messages whose category would change, from -> to (moves to a shorter period keep their retain-until). */
  moves: Array<{ from: string; to: string; count: number }>;
  /** Of the moves and same-category re-evaluations, how many retain-untils would grow. */
  extended: number;
  /** The first few messages that would move (metadata only: no subjects or content). */
  sample: DryRunSample[];
}

export interface DryRunSample {
  sha256: string;
  from?: string;
  date?: string;
  category: string;
  toCategory: string;
  retainUntil: string;
  /** The retain-until the new policy gives; it applies only if later (invariant 4). */
  newRetainUntil: string;
}

const DRY_RUN_SAMPLE = 10;

/** What applying a rule set and category periods would do to the archive, without doing it. */
export async function dryRun(ctx: RetentionContext, proposal: { rules?: Rule[]; categories?: Category[] }): Promise<DryRunReport> {
  const categories = ctx.store.categories();
  for (const c of proposal.categories ?? []) categories.set(c.name, c);
  const rules = [...(proposal.rules ?? ctx.store.rules())].sort((a, b) => a.priority - b.priority || a.id.localeCompare(b.id));
  const moves = new Map<string, number>();
  const report: DryRunReport = { total: 0, unchanged: 0, notIndexed: 0, moves: [], extended: 0, sample: [] };
  await evaluateAll(ctx, rules, categories, undefined, async (m, d, doc) => {
    report.total++;
    if (!d) return void report.notIndexed++;
    if (d.retainUntil.toISOString() > m.retainUntil) report.extended++;
    if (d.category === m.category) return void report.unchanged++;
    if (report.sample.length < DRY_RUN_SAMPLE) {
      report.sample.push({ sha256: m.sha256, from: doc?.from[0]?.address, date: doc?.date, category: m.category, toCategory: d.category, retainUntil: m.retainUntil, newRetainUntil: d.retainUntil.toISOString() });
    }
    const k = `${m.category}\u0000${d.category}`;
    moves.set(k, (moves.get(k) ?? 0) + 1);
  });
  report.moves = [...moves].map(([k, count]) => ({ from: k.split('\u0000')[0], to: k.split('\u0000')[1], count })).sort((a, b) => b.count - a.count);
  return report;
}

type Decided = { category: string; rule: string; retainUntil: Date } | null;

/** Re-decides every live message (optionally of one category) from its index document. */
async function evaluateAll(
  ctx: RetentionContext, rules: Rule[], categories: Map<string, Category>, category: string | undefined,
  visit: (m: MessageRow, d: Decided, doc: IndexDocument | null) => Promise<void>,
): Promise<void> {
  await ctx.indexCaughtUp();
  const hits = new Map<string, Set<string>>();
  for (const r of rules) if (r.enabled && r.match.query) hits.set(r.id, new Set(await searchAll(ctx.index, parseQuery(r.match.query))));
  for (let after = ''; ;) {
    const page = ctx.store.liveMessages(after, PAGE, category);
    if (page.length === 0) return;
    for (const m of page) {
      const doc = await ctx.index.get(m.sha256);
      const d = doc ? decide(factsFromDocument(doc), rules, categories, DEFAULT_CATEGORY, ctx.options.internalDomains, (r) => !!hits.get(r.id)?.has(m.sha256)) : null;
      await visit(m, d, doc);
    }
    after = page[page.length - 1].sha256;
  }
}

/** Starts the extension job in the background; its state is readable at /retention/jobs/:id. */
export function startReapply(ctx: RetentionContext, actor: string, why: string, category?: string): Job {
  const now = ctx.clock.now().toISOString();
  const job: Job = { id: newId('job', ctx.clock.now()), kind: 'retention.reapply', status: 'running', done: 0, total: ctx.store.countLive(category), startedAt: now };
  ctx.store.putJob(job);
  const run = reapply(ctx, job, actor, why, category).catch((err) => {
    ctx.store.putJob({ ...job, status: 'failed', finishedAt: ctx.clock.now().toISOString(), error: (err as Error).message });
    ctx.log.error('retention re-evaluation failed', { job: job.id, err });
  });
  ctx.running.set(job.id, run);
  void run.finally(() => ctx.running.delete(job.id));
  return job;
}

/** Resolves when a background job (or all of them) has finished: for tests and shutdown. */
export async function waitForJobs(ctx: RetentionContext, id?: string): Promise<void> {
  if (id) await ctx.running.get(id);
  else await Promise.all([...ctx.running.values()]);
}

/** Extends every object whose re-decided retain-until is later; never shortens (invariant 4). */
async function reapply(ctx: RetentionContext, job: Job, actor: string, why: string, category?: string): Promise<void> {
  const rules = ctx.store.rules();
  let extended = 0;
  await evaluateAll(ctx, rules, ctx.store.categories(), category, async (m, d) => {
    job.done++;
    if (d && d.retainUntil.toISOString() > m.retainUntil) {
      await extendOne(ctx, m, d, actor, why, job.id);
      // The index follows in batches while a long job runs, not one message at a time.
      if (++extended % INDEX_SYNC_BATCH === 0) await syncIndex(ctx);
    }
    if (job.done % 100 === 0) ctx.store.putJob(job);
  });
  await syncIndex(ctx);
  ctx.store.putJob({ ...job, status: 'done', finishedAt: ctx.clock.now().toISOString(), result: { extended } });
}

/** Both regions first, then the ledger, then the catalog: a crash leaves the vault ahead, never behind. */
export async function extendOne(ctx: RetentionContext, m: MessageRow, d: NonNullable<Decided>, actor: string, why: string, jobId?: string): Promise<void> {
  const to = d.retainUntil.toISOString();
  await ctx.vault.extendRetention(ctx.messageKey(m.sha256), d.retainUntil);
  await ctx.ledger.append({ type: EVENTS.retentionExtended, actor, subject: m.sha256, data: { sha256: m.sha256, from: m.retainUntil, to, category: d.category, rule: d.rule, why, job: jobId } });
  ctx.store.extendMessage(m.sha256, to, d.category, d.rule);
}

/** Content (query) rules for mail indexed since the last sweep: they may only extend (ADR 0002). */
export async function sweepContentRules(ctx: RetentionContext): Promise<number> {
  const rules = ctx.store.rules().filter((r) => r.enabled && r.match.query);
  if (rules.length === 0) return 0;
  const all = ctx.store.rules();
  const categories = ctx.store.categories();
  let extended = 0;
  for (const r of rules) {
    for (const id of await searchAll(ctx.index, parseQuery(r.match.query!))) {
      const m = ctx.store.message(id);
      const doc = m?.status === 'live' ? await ctx.index.get(id) : null;
      if (!m || !doc) continue;
      const d = decide(factsFromDocument(doc), all, categories, DEFAULT_CATEGORY, ctx.options.internalDomains, (x) => x.id === r.id || !x.match.query);
      if (d.retainUntil.toISOString() > m.retainUntil) (await extendOne(ctx, m, d, 'system:rule-sweep', `content rule ${r.id}`), extended++);
    }
  }
  return extended;
}
