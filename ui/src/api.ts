// The one way the UI talks to the server: same-origin fetch with the session cookie, the CSRF
// header on state-changing requests, and every error turned into an ApiError a view can show.
// A 401 tells the session store, which sends the user to sign in again and back afterwards.

export interface ApiErrorBody {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

export class ApiError extends Error {
  /** `body`: the parsed answer, for the few that carry data with an error status (health's 503). */
  constructor(readonly status: number, readonly code: string, message: string, readonly details: Record<string, unknown> = {}, readonly body?: unknown) {
    super(message);
  }
}

type Listener = (status: number) => void;
const unauthorisedListeners: Listener[] = [];

/** Called on every 401 answer (the session expired or was revoked). */
export function onUnauthorised(listener: Listener): void {
  unauthorisedListeners.push(listener);
}

function csrfToken(): string | undefined {
  for (const part of document.cookie.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === 'stele_csrf' || name === '__Host-stele_csrf') return decodeURIComponent(rest.join('='));
  }
  return undefined;
}

const SAFE = new Set(['GET', 'HEAD']);

export interface RequestInit2 {
  method?: string;
  json?: unknown;
  query?: Record<string, string | number | boolean | undefined | null>;
  signal?: AbortSignal;
}

export function url(path: string, query?: RequestInit2['query']): string {
  const u = new URL(path, window.location.origin);
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null && v !== '') u.searchParams.set(k, String(v));
  return u.pathname + u.search;
}

/** Sends a request and answers the raw Response (for downloads); throws ApiError on >= 400. */
export async function request(path: string, init: RequestInit2 = {}): Promise<Response> {
  const method = init.method ?? (init.json !== undefined ? 'POST' : 'GET');
  const headers: Record<string, string> = { accept: 'application/json' };
  if (init.json !== undefined) headers['content-type'] = 'application/json';
  if (!SAFE.has(method)) {
    const token = csrfToken();
    if (token) headers['x-csrf-token'] = token;
  }
  const res = await fetch(url(path, init.query), {
    method,
    headers,
    body: init.json !== undefined ? JSON.stringify(init.json) : undefined,
    credentials: 'same-origin',
    signal: init.signal,
  });
  if (res.status >= 400) {
    let body: { error?: ApiErrorBody } = {};
    try {
      body = await res.json();
    } catch {
      // not JSON: keep the status text
    }
    if (res.status === 401) for (const l of unauthorisedListeners) l(res.status);
    const e = body.error;
    throw new ApiError(res.status, e?.code ?? 'http_' + res.status, e?.message ?? res.statusText, e?.details ?? {}, body);
  }
  return res;
}

/** A JSON request; answers the parsed body (undefined for 204). */
export async function api<T = unknown>(path: string, init: RequestInit2 = {}): Promise<T> {
  const res = await request(path, init);
  if (res.status === 204) return undefined as T;
  const type = res.headers.get('content-type') ?? '';
  return (type.includes('json') ? await res.json() : await res.text()) as T;
}

/** Human wording of an error for a view's alert line. */
export function describe(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
