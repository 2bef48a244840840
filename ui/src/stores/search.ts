// The search a legal user is running: the query, its order, the hits loaded so far (page after
// page through the API's keyset cursor), the exact total, the facets, and a syntax error with
// its position when the server refuses the query.
import { defineStore } from 'pinia';
import { computed, readonly, ref, shallowRef } from 'vue';
import { api, ApiError, describe } from '../api.ts';

// Payload types are the index port's own (search/port.ts), imported as types only.
import type * as Port from '../../../search/port.ts';

export type Address = Port.Address;
export type SearchHit = Port.SearchHit;
export type Facets = Port.Facets;
export type Facet = Facets['domain'][number];
export type SortOrder = NonNullable<Port.SearchOptions['sort']>;

/** The search API's answer (facets null when not asked for). */
interface SearchAnswer {
  total: number;
  hits: SearchHit[];
  nextCursor: string | null;
  facets: Facets | null;
}

export interface SearchProblem {
  message: string;
  position?: number;
  expected?: string;
}

/** Hits per request: enough to fill a screen twice, small enough to answer at once. */
export const PAGE_SIZE = 50;

export const useSearch = defineStore('search', () => {
  const query = ref<string | null>(null);
  const sort = ref<SortOrder>('date_desc');
  const hits = shallowRef<SearchHit[]>([]);
  const total = ref<number | null>(null);
  const facets = shallowRef<Facets | null>(null);
  const nextCursor = ref<string | null>(null);
  const loading = ref(false);
  const problem = ref<SearchProblem | null>(null);
  /** Answers of an older search arriving late are dropped: the screen shows the latest query only. */
  let generation = 0;
  const hasMore = computed(() => nextCursor.value !== null);

  function fail(err: unknown) {
    if (err instanceof ApiError && err.status === 400 && typeof err.details.position === 'number') {
      problem.value = { message: err.message.replace(/^query syntax: /, ''), position: err.details.position, expected: typeof err.details.expected === 'string' ? err.details.expected : undefined };
    } else {
      problem.value = { message: describe(err) };
    }
  }

  /** Runs a query from its first page. */
  async function run(q: string, order: SortOrder): Promise<void> {
    const mine = ++generation;
    query.value = q;
    sort.value = order;
    loading.value = true;
    problem.value = null;
    try {
      const answer = await api<SearchAnswer>('/api/v1/search', { query: { q, sort: order, limit: PAGE_SIZE } });
      if (mine !== generation) return;
      hits.value = answer.hits;
      total.value = answer.total;
      facets.value = answer.facets;
      nextCursor.value = answer.nextCursor;
    } catch (err) {
      if (mine !== generation) return;
      hits.value = [];
      total.value = null;
      facets.value = null;
      nextCursor.value = null;
      fail(err);
    } finally {
      if (mine === generation) loading.value = false;
    }
  }

  /** Appends the next page (same query and order: the cursor only continues what it came from). */
  async function more(): Promise<void> {
    if (!nextCursor.value || loading.value || query.value === null) return;
    const mine = generation;
    loading.value = true;
    try {
      const answer = await api<SearchAnswer>('/api/v1/search', { query: { q: query.value, sort: sort.value, limit: PAGE_SIZE, cursor: nextCursor.value } });
      if (mine !== generation) return;
      hits.value = [...hits.value, ...answer.hits];
      nextCursor.value = answer.nextCursor;
    } catch (err) {
      if (mine === generation) fail(err);
    } finally {
      if (mine === generation) loading.value = false;
    }
  }

  function clearProblem() {
    problem.value = null;
  }

  return {
    query: readonly(query), sort: readonly(sort), hits, total: readonly(total), facets, nextCursor: readonly(nextCursor),
    loading: readonly(loading), problem: readonly(problem), hasMore, run, more, clearProblem,
  };
});
