// Legal holds: the list with how many messages each covers, a preview of a new hold's reach
// before it is placed, placing and releasing (admins), and a hold's history from the ledger.
import { defineStore } from 'pinia';
import { readonly, ref } from 'vue';
import { api } from '../api.ts';

// Payload types are the server's own (retention/model.ts), imported as types only.
import type { DeepReadonly } from 'vue';
import type * as Server from '../../../retention/model.ts';

/** Parts given are combined with AND. */
export type HoldScope = Server.HoldScope;
/** A hold with the messages it covers now (GET /holds and GET /holds/:id both answer it). */
export type Hold = DeepReadonly<Server.Hold & { messages?: number }>;
export type HoldInput = Server.HoldInput;

export interface HoldEvent {
  seq: number;
  time: string;
  type: string;
  actor: string;
  data: Record<string, unknown>;
}

export const useHolds = defineStore('holds', () => {
  const list = ref<Hold[]>([]);
  const loading = ref(false);
  const history = ref<{ hold: string; events: HoldEvent[] } | null>(null);

  /** The holds, newest first, each with its message count. */
  async function load(): Promise<void> {
    loading.value = true;
    try {
      // The list answer carries each hold's count (one GROUP BY on the server).
      const { holds } = await api<{ holds: Hold[] }>('/api/v1/holds');
      list.value = [...holds].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    } finally {
      loading.value = false;
    }
  }

  /** How many messages the scope covers now; nothing is placed. */
  async function preview(scope: HoldScope): Promise<number> {
    return (await api<{ count: number }>('/api/v1/holds/preview', { json: { scope } })).count;
  }

  async function place(input: HoldInput): Promise<{ hold: Hold; applied: number }> {
    const out = await api<{ hold: Hold; applied: number }>('/api/v1/holds', { json: input });
    await load();
    return out;
  }

  async function release(id: string, reason: string): Promise<void> {
    await api(`/api/v1/holds/${encodeURIComponent(id)}/release`, { json: { reason } });
    await load();
    if (history.value?.hold === id) await loadHistory(id);
  }

  async function loadHistory(id: string): Promise<void> {
    history.value = await api<{ hold: string; events: HoldEvent[] }>(`/api/v1/holds/${encodeURIComponent(id)}/history`);
  }

  function closeHistory(): void {
    history.value = null;
  }

  return { list: readonly(list), loading: readonly(loading), history: readonly(history), load, preview, place, release, loadHistory, closeHistory };
});

/** The scope in words, for tables and confirmations. */
export function describeScope(s: DeepReadonly<HoldScope>): string {
  const parts: string[] = [];
  if (s.all) parts.push('the whole archive');
  if (s.custodians?.length) parts.push(`custodians ${s.custodians.join(', ')}`);
  if (s.from && s.until) parts.push(`sent ${day(s.from)} up to ${day(s.until)}`);
  else if (s.from) parts.push(`sent from ${day(s.from)}`);
  else if (s.until) parts.push(`sent before ${day(s.until)}`);
  if (s.query) parts.push(`matching ${s.query}`);
  return parts.join('; ');
}

const day = (iso: string) => iso.slice(0, 10);
