// Matters for the legal team: the list a user belongs to, one matter's detail (members,
// custodians, saved searches, holds, exports), and exports watched live while they run.
import { defineStore } from 'pinia';
import { readonly, ref } from 'vue';
import { api } from '../api.ts';

// Payload types are the server's own (discovery/model.ts), imported as types only, so the two
// cannot drift; nothing of the server is bundled. Views get them read-only.
import type { DeepReadonly } from 'vue';
import type * as Server from '../../../discovery/model.ts';

export type Matter = DeepReadonly<Server.Matter>;
export type SavedSearch = DeepReadonly<Server.SavedSearch>;
export type HoldLink = DeepReadonly<Server.HoldLink>;
export type ExportPart = DeepReadonly<Server.ExportPart>;
export type ExportStatus = Server.ExportStatus;
export type MatterInput = Server.MatterInput;
/** An export as the API answers it; the single-export answer adds its percentage. */
export type ExportRecord = DeepReadonly<Server.ExportRecord & { percent?: number }>;
export type MatterDetail = Matter & { searches: readonly SavedSearch[]; holds: readonly HoldLink[]; exports: readonly ExportRecord[] };
/** What the export form sends (the server validates it with exportInput). */
export type ExportRequest = Omit<Server.ExportInput, 'mbox'> & { mbox?: boolean };

/** How often a running export is asked for its progress. */
export const EXPORT_POLL_MS = 1000;

export const isRunning = (e: ExportRecord) => e.status === 'queued' || e.status === 'running';

export const useMatters = defineStore('matters', () => {
  const list = ref<Matter[]>([]);
  const current = ref<MatterDetail | null>(null);
  const loading = ref(false);
  const timers = new Map<string, ReturnType<typeof setTimeout>>();

  const base = (id: string) => `/api/v1/matters/${encodeURIComponent(id)}`;

  async function loadList(): Promise<void> {
    loading.value = true;
    try {
      list.value = (await api<{ matters: Matter[] }>('/api/v1/matters')).matters;
    } finally {
      loading.value = false;
    }
  }

  async function create(input: MatterInput): Promise<Matter> {
    const m = await api<Matter>('/api/v1/matters', { json: input });
    list.value = [...list.value, m];
    return m;
  }

  /** Loads one matter and starts watching any export still running in it. */
  async function open(id: string): Promise<void> {
    stopWatching();
    if (current.value?.id !== id) current.value = null;
    loading.value = true;
    try {
      current.value = await api<MatterDetail>(base(id));
    } finally {
      loading.value = false;
    }
    for (const e of current.value.exports) if (isRunning(e)) watchExport(e.id);
  }

  function must(): MatterDetail {
    if (!current.value) throw new Error('no matter is open');
    return current.value;
  }

  async function update(change: Partial<MatterInput>): Promise<void> {
    const m = must();
    const saved = await api<Matter>(base(m.id), { method: 'PATCH', json: change });
    current.value = { ...m, ...saved };
  }

  /** Admins only (users.manage): who works in the matter. */
  async function setMembers(members: string[]): Promise<void> {
    const m = must();
    const saved = await api<{ members: string[] }>(`/api/v1/admin/matters/${encodeURIComponent(m.id)}/members`, { method: 'PUT', json: { members } });
    current.value = { ...m, members: saved.members };
  }

  async function saveSearch(name: string, query: string): Promise<SavedSearch> {
    const m = must();
    const s = await api<SavedSearch>(`${base(m.id)}/searches`, { json: { name, query } });
    current.value = { ...m, searches: [...m.searches, s] };
    return s;
  }

  async function linkHold(holdId: string): Promise<void> {
    const m = must();
    const holds = await api<HoldLink[]>(`${base(m.id)}/holds`, { json: { holdId } });
    current.value = { ...m, holds };
  }

  async function startExport(req: ExportRequest): Promise<ExportRecord> {
    const m = must();
    const e = await api<ExportRecord>(`${base(m.id)}/exports`, { json: req });
    current.value = { ...m, exports: [...m.exports, e] };
    watchExport(e.id);
    return e;
  }

  function replaceExport(e: ExportRecord): void {
    const m = current.value;
    if (!m || m.id !== e.matterId) return;
    current.value = { ...m, exports: m.exports.map((x) => (x.id === e.id ? e : x)) };
  }

  /** Polls an export about once a second until it completes or fails (or the view stops it). */
  function watchExport(exportId: string): void {
    const m = current.value;
    if (!m || timers.has(exportId)) return;
    const tick = async () => {
      try {
        const e = await api<ExportRecord>(`${base(m.id)}/exports/${encodeURIComponent(exportId)}`);
        replaceExport(e);
        if (!isRunning(e)) return void timers.delete(exportId);
      } catch {
        // A transient failure (a restart, a dropped connection): keep asking; a 401 signs out anyway.
      }
      if (timers.has(exportId)) timers.set(exportId, setTimeout(tick, EXPORT_POLL_MS));
    };
    timers.set(exportId, setTimeout(tick, EXPORT_POLL_MS));
  }

  function stopWatching(): void {
    for (const t of timers.values()) clearTimeout(t);
    timers.clear();
  }

  /** Where a complete export's volume is downloaded (members of the matter only). */
  const partUrl = (e: ExportRecord, part: ExportPart) => `${base(e.matterId)}/exports/${encodeURIComponent(e.id)}/parts/${encodeURIComponent(part.name)}`;

  return {
    list: readonly(list), current: readonly(current), loading: readonly(loading),
    loadList, create, open, update, setMembers, saveSearch, linkHold, startExport, watchExport, stopWatching, partUrl,
  };
});
