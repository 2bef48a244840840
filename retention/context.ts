// What every retention component is given: the catalog, the vault, the ledger, the index, the
// clock and the options. Built once by createRetention (no module-level singletons).
import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../core/log.ts';
import type { SearchIndex } from '../search/port.ts';
import type { Ledger } from '../vault/ledger/ledger.ts';
import type { Vault } from '../vault/regions.ts';
import type { Sodium } from '../vault/sodium.ts';
import type { RetentionStore } from './sqlite/store.ts';

export interface RetentionOptions {
  /** node-cron expression for proposing disposition batches; daily at 02:00 by default. */
  dispositionSchedule: string;
  /** node-cron expression for applying query-scoped holds and content rules to new mail. */
  sweepSchedule: string;
  /** IANA zone the schedules are read in. */
  timezone: string;
  /** Two different approvers per batch (four eyes) instead of one. */
  fourEyes: boolean;
  /** Domains that are "us", for the direction condition of rules. */
  internalDomains: string[];
  /** A rejected message is not proposed again for this many days. */
  rejectDeferDays: number;
  /** Messages shown when a batch is reviewed. */
  sampleSize: number;
}

export const DEFAULT_OPTIONS: RetentionOptions = {
  dispositionSchedule: '0 2 * * *',
  sweepSchedule: '*/15 * * * *',
  timezone: 'UTC',
  fourEyes: false,
  internalDomains: [],
  rejectDeferDays: 90,
  sampleSize: 20,
};

export interface RetentionContext {
  store: RetentionStore;
  vault: Vault;
  sodium: Sodium;
  ledger: Ledger;
  index: SearchIndex;
  clock: Clock;
  log: Logger;
  options: RetentionOptions;
  /** The vault key of a message (ingest's messageKey). */
  messageKey(sha256: string): string;
  /** Resolves once the index reflects the ledger (Indexer.caughtUp); query holds depend on it. */
  indexCaughtUp(): Promise<void>;
  /** Background jobs of this instance still running, by id (awaited on close). */
  running: Map<string, Promise<void>>;
}

/** Sortable, unique enough for catalog ids: a prefix, the date and random hex. */
export function newId(prefix: string, at: Date): string {
  return `${prefix}-${at.toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(4).toString('hex')}`;
}
