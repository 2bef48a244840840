// Matters for the legal team: the list a user belongs to, one matter's detail (members,
// custodians, saved searches, holds, exports), and exports watched live while they run.
import { defineStore } from 'pinia';
import { readonly, ref } from 'vue';
import { api } from '../api.ts';

export interface Matter {
  id: string;
  name: string;
  description: string;
  custodians: readonly string[];
  members: readonly string[];
  createdBy: string;
  createdAt: string;
}

export interface SavedSearch {
  id: string;
  matterId: string;
  name: string;
  /** Exactly as typed when it was saved. */
  query: string;
  runBy: string;
  runAt: string;
  /** The hit count when it was saved. */
  hits: number;
}

export interface HoldLink {
  holdId: string;
  linkedBy: string;
  linkedAt: string;
}

export type ExportStatus = 'queued' | 'running' | 'complete' | 'failed';

export interface ExportPart {
  name: string;
  bytes: number;
  sha256: string;
}

export interface ExportRecord {
  id: string;
  matterId: string;
  source: { kind: 'search'; searchId: string; query: string } | { kind: 'selection'; count: number };
  requestedBy: string;
  requestedAt: string;
  status: ExportStatus;
  total: number;
  done: number;
  bytes: number;
  prefix: string;
  firstNumber: number;
  lastNumber: number | null;
  parts: readonly ExportPart[];
  manifestSha256: string | null;
  error: string | null;
  finishedAt: string | null;
  /** Only on the single-export answer. */
  percent?: number;
}

export interface MatterDetail extends Matter {
  searches: readonly SavedSearch[];
  holds: readonly HoldLink[];
  exports: readonly ExportRecord[];
}

/** What the export form may send (discovery/model.ts exportInput). */
export interface ExportRequest {
  searchId?: string;
  messageIds?: string[];
  prefix: string;
  startNumber: number;
  digits: number;
  splitBytes: number;
}

export interface MatterInput {
  name: string;
  description: string;
  custodians: string[];
}

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
