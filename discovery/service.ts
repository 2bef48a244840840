// The discovery service: matters and their members, saved searches, hold links, and exports run
// one at a time in the background. Every decision is a ledger event in the actor's name.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { systemClock, type Clock } from '../core/clock.ts';
import { SteleError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { parseQuery, type SearchIndex } from '../search/index.ts';
import type { LedgerEvent, Sodium } from '../vault/index.ts';
import { runExport, type ExportJobDeps } from './export-job.ts';
import {
  EVENTS, type ExportInput, type ExportRecord, type MatterChange, type MatterDetail, type MatterInput, type Matter, type SavedSearch,
} from './model.ts';
import { DiscoveryStore } from './sqlite/store.ts';

export interface DiscoveryDeps {
  index: SearchIndex;
  readMessage(sha256: string): Promise<Buffer>;
  appendLedger(event: LedgerEvent): Promise<unknown>;
  sodium: Sodium;
  signing: { publicKey: Uint8Array; secretKey: Uint8Array };
  /** discovery.db and exports/ live here. */
  dataDir: string;
  log: Logger;
  clock?: Clock;
  archiveName?: string;
  /** Throws not_found for an unknown hold (Retention.hold). */
  holdExists?(id: string): void;
}

function newId(prefix: string, at: Date): string {
  return `${prefix}-${at.toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(4).toString('hex')}`;
}

export class Discovery {
  readonly store: DiscoveryStore;
  private readonly clock: Clock;
  private readonly jobDeps: ExportJobDeps;
  private queue: string[] = [];
  private running: Promise<void> | null = null;
  private readonly waiters = new Map<string, Array<() => void>>();
  private closing = false;

  constructor(private readonly deps: DiscoveryDeps) {
    this.clock = deps.clock ?? systemClock;
    this.store = new DiscoveryStore(join(deps.dataDir, 'discovery.db'));
    this.jobDeps = {
      store: this.store, index: deps.index, readMessage: deps.readMessage, appendLedger: deps.appendLedger,
      sodium: deps.sodium, signing: deps.signing, exportDir: join(deps.dataDir, 'exports'), clock: this.clock,
      archiveName: deps.archiveName ?? 'Stele',
    };
    // A job cut short by a stop cannot resume mid-ZIP: it is marked failed and can be re-run.
    for (const e of this.store.exports(undefined, ['queued', 'running'])) {
      this.store.setExport(e.id, { status: 'failed', error: 'interrupted by a restart; request it again', finishedAt: this.clock.now().toISOString() });
    }
  }

  // --- matters

  async createMatter(input: MatterInput, actor: string): Promise<Matter> {
    // The creator is the first member; admins add the rest (setMembers).
    const m: Matter = { id: newId('mat', this.clock.now()), ...input, members: [actor], createdBy: actor, createdAt: this.clock.now().toISOString() };
    this.store.insertMatter(m);
    await this.deps.appendLedger({ type: EVENTS.matterCreated, actor, subject: m.id, data: { name: m.name, custodians: m.custodians, members: m.members } });
    return m;
  }

  async updateMatter(id: string, change: MatterChange, actor: string): Promise<Matter> {
    const before = this.matterOrThrow(id);
    this.store.updateMatter(id, change);
    await this.deps.appendLedger({ type: EVENTS.matterUpdated, actor, subject: id, data: { from: pick(before, change), to: change } });
    return this.matterOrThrow(id);
  }

  async setMembers(id: string, members: string[], actor: string): Promise<Matter> {
    const before = this.matterOrThrow(id);
    this.store.setMembers(id, [...new Set(members)]);
    await this.deps.appendLedger({ type: EVENTS.membersChanged, actor, subject: id, data: { from: before.members, to: [...new Set(members)].sort() } });
    return this.matterOrThrow(id);
  }

  matters(username?: string): Matter[] {
    return this.store.matters(username);
  }

  /** The matter if `username` belongs to it; otherwise not_found, so its existence is not disclosed. */
  memberMatter(id: string, username: string): Matter {
    const m = this.store.matter(id);
    if (!m || !this.store.isMember(id, username)) throw new SteleError('not_found', 'no such matter');
    return m;
  }

  detail(id: string): MatterDetail {
    const m = this.matterOrThrow(id);
    return { ...m, searches: this.store.searches(id), holds: this.store.holds(id), exports: this.store.exports(id).map(publicExport) };
  }

  private matterOrThrow(id: string): Matter {
    const m = this.store.matter(id);
    if (!m) throw new SteleError('not_found', 'no such matter');
    return m;
  }

  // --- saved searches and holds

  /** Runs the query (a syntax error is a bad_request) and keeps it with its hit count. */
  async saveSearch(matterId: string, input: { name: string; query: string }, actor: string): Promise<SavedSearch> {
    this.matterOrThrow(matterId);
    const result = await this.deps.index.search(parseQuery(input.query), { limit: 0 });
    const s: SavedSearch = { id: newId('srch', this.clock.now()), matterId, name: input.name, query: input.query, runBy: actor, runAt: this.clock.now().toISOString(), hits: result.total };
    this.store.insertSearch(s);
    await this.deps.appendLedger({ type: EVENTS.searchSaved, actor, subject: matterId, data: { search: s.id, name: s.name, query: s.query, hits: s.hits } });
    return s;
  }

  async linkHold(matterId: string, holdId: string, actor: string): Promise<void> {
    this.matterOrThrow(matterId);
    this.deps.holdExists?.(holdId);
    if (this.store.linkHold(matterId, { holdId, linkedBy: actor, linkedAt: this.clock.now().toISOString() })) {
      await this.deps.appendLedger({ type: EVENTS.holdLinked, actor, subject: matterId, data: { hold: holdId } });
    }
  }

  // --- exports

  /** Queues an export; the caller records the request on the ledger (the route's audit). */
  startExport(matterId: string, input: ExportInput, actor: string): ExportRecord {
    this.matterOrThrow(matterId);
    const id = newId('exp', this.clock.now());
    const options = { prefix: input.prefix, startNumber: input.startNumber, digits: input.digits, splitBytes: input.splitBytes, mbox: input.mbox };
    let source: ExportRecord['source'];
    if (input.searchId) {
      const s = this.store.search(input.searchId);
      if (!s || s.matterId !== matterId) throw new SteleError('not_found', 'no such saved search in this matter');
      source = { kind: 'search', searchId: s.id, query: s.query };
    } else {
      source = { kind: 'selection', count: new Set(input.messageIds).size };
    }
    this.store.tx(() => {
      this.store.insertExport({ id, matterId, source, options, requestedBy: actor, requestedAt: this.clock.now().toISOString() });
      if (input.messageIds) this.store.addItems(id, input.messageIds);
    });
    this.queue.push(id);
    this.kick();
    return this.exportOf(matterId, id);
  }

  exportOf(matterId: string, id: string): ExportRecord {
    const e = this.store.export(id);
    if (!e || e.matterId !== matterId) throw new SteleError('not_found', 'no such export in this matter');
    return publicExport(e);
  }

  /** A volume of a complete export, as a stream for the download route. */
  openPart(matterId: string, id: string, part: string): { stream: Readable; bytes: number; sha256: string } {
    const e = this.exportOf(matterId, id);
    if (e.status !== 'complete') throw new SteleError('conflict', `export ${id} is ${e.status}`);
    const p = e.parts.find((x) => x.name === part);
    if (!p) throw new SteleError('not_found', 'no such volume');
    return { stream: createReadStream(join(this.jobDeps.exportDir, id, p.name)), bytes: p.bytes, sha256: p.sha256 };
  }

  /** Resolves when the export has finished (complete or failed): tests and the bench. */
  waitForExport(id: string): Promise<ExportRecord> {
    const done = () => {
      const e = this.store.export(id);
      return e && (e.status === 'complete' || e.status === 'failed') ? publicExport(e) : null;
    };
    const now = done();
    if (now) return Promise.resolve(now);
    return new Promise((resolve) => {
      const list = this.waiters.get(id) ?? [];
      list.push(() => resolve(done()!));
      this.waiters.set(id, list);
    });
  }

  private kick(): void {
    if (this.running || this.closing) return;
    const id = this.queue.shift();
    if (!id) return;
    this.running = runExport(this.jobDeps, id)
      .catch((err) => this.deps.log.warn('export failed', { export: id, error: (err as Error).message }))
      .finally(() => {
        this.running = null;
        for (const w of this.waiters.get(id) ?? []) w();
        this.waiters.delete(id);
        this.kick();
      });
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.running;
    this.store.close();
  }
}

function publicExport(e: ExportRecord & { options?: unknown }): ExportRecord {
  const { options: _options, ...rest } = e;
  return rest;
}

function pick(m: Matter, change: MatterChange): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(change) as Array<keyof MatterChange>) out[k] = m[k];
  return out;
}
