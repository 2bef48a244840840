// The auditor's area: the audit trail (filtered, paged by sequence number, exported as CSV) and
// integrity verification run as a server job that this store starts and polls to the end.
import { defineStore } from 'pinia';
import { computed, readonly, ref } from 'vue';
import { api, request } from '../api.ts';

export interface AuditEntry {
  seq: number;
  time: string;
  type: string;
  actor: string;
  subject?: string;
  data: Record<string, unknown>;
  prev: string;
  hash: string;
}

/** What the filter form holds; dates are the form's yyyy-mm-dd (whole days, in the browser's zone). */
export interface AuditFilters {
  actor: string;
  type: string;
  subject: string;
  since: string;
  until: string;
}

// The verify job's payload types are the server's own (server/http/verify-jobs.ts), types only.
import type * as Jobs from '../../../server/http/verify-jobs.ts';

/** The finding kinds in the order the screen lists them; the type check keeps them the server's. */
export const FINDING_KINDS: typeof Jobs.FINDING_KINDS = ['missing', 'mismatch', 'orphan', 'chain_break', 'checkpoint_invalid'];
export type FindingKind = (typeof FINDING_KINDS)[number];
export type RegionResult = Jobs.RegionResult;
export type VerifyJob = Jobs.VerifyJob;
export type VerifyFinding = NonNullable<VerifyJob['result']>['findings'][number];

export const PAGE_SIZE = 50;
const POLL_MS = 500;

export const emptyFilters = (): AuditFilters => ({ actor: '', type: '', subject: '', since: '', until: '' });

/** The API's query for the form: a day range covers whole local days (until is exclusive). */
export function toQuery(f: AuditFilters): Record<string, string | undefined> {
  const day = (d: string, plusDays = 0) => {
    if (!d) return undefined;
    const at = new Date(`${d}T00:00:00`);
    at.setDate(at.getDate() + plusDays);
    return at.toISOString();
  };
  return {
    actor: f.actor.trim() || undefined,
    type: f.type.trim() || undefined,
    subject: f.subject.trim() || undefined,
    since: day(f.since),
    until: day(f.until, 1),
  };
}

export const useAudit = defineStore('audit', () => {
  const entries = ref<AuditEntry[]>([]);
  const filters = ref<AuditFilters>(emptyFilters());
  /** Cursors of the pages before this one: "after" values, so Previous can go back. */
  const cursors = ref<number[]>([]);
  const after = ref(0);
  const next = ref<number | null>(null);
  const loading = ref(false);
  const loaded = ref(false);
  const hasPrevious = computed(() => cursors.value.length > 0);
  const page = computed(() => cursors.value.length + 1);

  async function fetchPage(from: number): Promise<void> {
    loading.value = true;
    try {
      const answer = await api<{ entries: AuditEntry[]; next: { after: number } | null }>('/api/v1/audit', {
        query: { ...toQuery(filters.value), after: from || undefined, limit: PAGE_SIZE },
      });
      entries.value = answer.entries;
      next.value = answer.next?.after ?? null;
      after.value = from;
      loaded.value = true;
    } finally {
      loading.value = false;
    }
  }

  /** Applies new filters from the first page. */
  async function search(f: AuditFilters): Promise<void> {
    filters.value = { ...f };
    cursors.value = [];
    await fetchPage(0);
  }

  async function nextPage(): Promise<void> {
    if (next.value === null) return;
    const from = next.value;
    cursors.value = [...cursors.value, after.value];
    await fetchPage(from);
  }

  async function previousPage(): Promise<void> {
    const back = cursors.value.at(-1);
    if (back === undefined) return;
    cursors.value = cursors.value.slice(0, -1);
    await fetchPage(back);
  }

  /** The filtered trail as CSV (one file of up to 10,000 rows from the start of the filter). */
  async function exportCsv(): Promise<{ blob: Blob; filename: string; more: boolean }> {
    const res = await request('/api/v1/audit', { query: { ...toQuery(filters.value), format: 'csv', limit: 10_000 } });
    const disposition = res.headers.get('content-disposition') ?? '';
    const filename = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? 'stele-audit.csv';
    return { blob: await res.blob(), filename, more: res.headers.has('x-next-after') };
  }

  // --- verify ---
  const job = ref<VerifyJob | null>(null);
  const verifying = ref(false);

  /** The latest job, so a result survives leaving the screen and coming back. */
  async function loadLatestJob(): Promise<void> {
    const { jobs } = await api<{ jobs: VerifyJob[] }>('/api/v1/verify');
    job.value = jobs[0] ?? null;
    if (job.value?.status === 'running') await follow(job.value.id);
  }

  async function runVerify(): Promise<void> {
    const answer = await api<{ job: VerifyJob }>('/api/v1/verify', { method: 'POST' });
    job.value = answer.job;
    await follow(answer.job.id);
  }

  async function follow(id: string): Promise<void> {
    verifying.value = true;
    try {
      while (job.value?.status === 'running') {
        await new Promise((r) => setTimeout(r, POLL_MS));
        job.value = (await api<{ job: VerifyJob }>(`/api/v1/verify/${encodeURIComponent(id)}`)).job;
      }
    } finally {
      verifying.value = false;
    }
  }

  return {
    entries: readonly(entries), filters: readonly(filters), next: readonly(next), loading: readonly(loading), loaded: readonly(loaded),
    hasPrevious, page,
    search, nextPage, previousPage, exportCsv,
    job: readonly(job), verifying: readonly(verifying), loadLatestJob, runVerify,
  };
});
