// A signed-in HTTP client for tests: logs in through the real API, keeps the session and CSRF
// cookies, sends X-CSRF-Token and Origin on state-changing requests, and can send from another
// loopback address (127.0.0.2, ...) to play a second source.
import { request as httpRequest } from 'node:http';
import { base32Decode, totp } from '../server/auth/totp.ts';

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Source address of the connection (any of 127.0.0.0/8 works on Linux loopback). */
  localAddress?: string;
}

/** One HTTP exchange over node:http (fetch cannot choose its source address); answers a Response. */
export function send(url: string, opts: RequestOptions = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: opts.method ?? 'GET', headers: opts.headers, localAddress: opts.localAddress }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) {
          if (Array.isArray(v)) v.forEach((x) => headers.append(k, x));
          else if (v !== undefined) headers.set(k, v);
        }
        const status = res.statusCode ?? 0;
        const body = status === 204 || status === 304 ? null : Buffer.concat(chunks);
        resolve(new Response(body, { status, headers }));
      });
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

export interface LoginAnswer {
  user: { username: string; roles: string[]; mfaEnrolled: boolean };
  stage: 'full' | 'mfa' | 'enroll';
  csrfToken: string;
  mfaRequired: boolean;
  mfaEnrolmentRequired: boolean;
  actions: string[];
}

export interface SignedInClient {
  cookie: string;
  csrf: string;
  answer: LoginAnswer;
  /** A request with the session; state-changing ones carry the CSRF header and our Origin. */
  fetch(path: string, init?: RequestOptions & { json?: unknown }): Promise<Response>;
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Logs in; throws with the status and body when the API refuses. */
export async function login(
  s: { httpUrl: string },
  username: string,
  password: string,
  second?: string | { recoveryCode: string },
  opts: { localAddress?: string } = {},
): Promise<SignedInClient> {
  const body: Record<string, string> = { username, password };
  if (typeof second === 'string') body.totp = second;
  else if (second) body.recoveryCode = second.recoveryCode;
  const res = await send(`${s.httpUrl}/api/v1/auth/login`, {
    method: 'POST', localAddress: opts.localAddress,
    headers: { 'content-type': 'application/json', origin: s.httpUrl },
    body: JSON.stringify(body),
  });
  if (res.status !== 200) throw new Error(`login ${username} answered ${res.status}: ${await res.text()}`);
  const answer = (await res.json()) as LoginAnswer;
  const client: SignedInClient = {
    cookie: cookiesOf(res, ''),
    csrf: answer.csrfToken,
    answer,
    async fetch(path, init = {}) {
      const method = init.method ?? (init.json !== undefined ? 'POST' : 'GET');
      const headers: Record<string, string> = { cookie: client.cookie, ...(SAFE.has(method) ? {} : { 'x-csrf-token': client.csrf, origin: s.httpUrl }), ...init.headers };
      let payload = init.body;
      if (init.json !== undefined) {
        headers['content-type'] ??= 'application/json';
        payload = JSON.stringify(init.json);
      }
      const r = await send(`${s.httpUrl}${path}`, { method, headers, body: payload, localAddress: init.localAddress ?? opts.localAddress });
      client.cookie = cookiesOf(r, client.cookie); // a rotated session replaces the cookies
      const csrf = /(?:^|; )(?:__Host-)?stele_csrf=([^;]*)/.exec(client.cookie)?.[1];
      if (csrf) client.csrf = decodeURIComponent(csrf);
      return r;
    },
  };
  return client;
}

/** Merges a response's Set-Cookie into a Cookie header value (cleared cookies are dropped). */
function cookiesOf(res: Response, previous: string): string {
  const jar = new Map(previous.split('; ').filter(Boolean).map((c) => [c.slice(0, c.indexOf('=')), c.slice(c.indexOf('=') + 1)] as const));
  for (const line of res.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const name = pair.slice(0, pair.indexOf('='));
    const value = pair.slice(pair.indexOf('=') + 1);
    if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) jar.delete(name);
    else jar.set(name, value);
  }
  return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
}

/** The code an authenticator app would show for a base32 seed at `at`; `steps` moves by 30 s. */
export function totpCode(secretBase32: string, at: Date, steps = 0): string {
  return totp(base32Decode(secretBase32), new Date(at.getTime() + steps * 30_000));
}

/** Enrols TOTP for a signed-in client; returns the seed and the recovery codes. */
export async function enrolTotp(client: SignedInClient, at: Date): Promise<{ secret: string; recoveryCodes: string[]; code: string }> {
  const started = await client.fetch('/api/v1/auth/totp/enroll', { method: 'POST' });
  if (started.status !== 200) throw new Error(`enroll answered ${started.status}: ${await started.text()}`);
  const { secret } = (await started.json()) as { secret: string };
  const code = totpCode(secret, at);
  const done = await client.fetch('/api/v1/auth/totp/verify', { json: { code } });
  if (done.status !== 200) throw new Error(`verify answered ${done.status}: ${await done.text()}`);
  const { recoveryCodes } = (await done.json()) as { recoveryCodes: string[] };
  return { secret, recoveryCodes, code };
}
