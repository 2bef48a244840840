// Hostile HTTP against the API (issue 9 item 4): path traversal in every route parameter,
// oversize, malformed and deeply nested JSON, malformed queries, and slowloris connections.
// Routes are listed from the running app, so a route added later is attacked too.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ROLES } from '../server/auth/index.ts';
import { listRoutes } from '../server/auth/route-inventory.ts';
import { buildMail } from './fixtures/mail.ts';
import { MESSAGE_INGESTED } from '../ingest/index.ts';
import { journalHttp, login, removeDir, startTestStele, TEST_TOKEN, useTestStele, type SignedInClient, type TestStele } from './harness.ts';

const MARKER = `canary-${randomBytes(8).toString('hex')}`;

/** Values that try to climb out of wherever a parameter is used as a path. */
const TRAVERSALS = [
  '..', '%2e%2e', '..%2fcanary.txt', '..%2f..%2fcanary.txt', '%2e%2e%2f%2e%2e%2fcanary.txt', '..%5c..%5ccanary.txt',
  '..\\..\\canary.txt', '%252e%252e%252fcanary.txt', '%c0%ae%c0%ae%2fcanary.txt', '..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd',
  '%00', 'x%00.json', '..%00', '....%2f%2fcanary.txt', 'a'.repeat(4000),
];

interface RawAnswer {
  status: number;
  body: string;
}

/** One request with the path sent verbatim (fetch and URL would normalise the dots away). */
function raw(port: number, method: string, path: string, opts: { headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: opts.headers }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('hostile HTTP', () => {
  const stele = useTestStele();
  let s: TestStele;
  let client: SignedInClient;
  let headers: Record<string, string>;
  let sha = '';
  let matterId = '';

  before(async () => {
    s = stele();
    // Something secret beside and above the data directory: no answer may ever contain it.
    await writeFile(join(s.dataDir, 'canary.txt'), MARKER);
    await writeFile(join(dirname(s.dataDir), `canary-${MARKER}.txt`), MARKER);
    const mail = buildMail({ subject: 'traversal target' });
    sha = createHash('sha256').update(mail).digest('hex');
    assert.equal((await journalHttp(s.httpUrl, mail)).status, 201);
    client = await login(s, 'everyone', await s.createUser('everyone', [...ROLES]));
    const m = await client.fetch('/api/v1/matters', { json: { name: 'Traversal matter', description: 'x', custodians: [] } });
    assert.equal(m.status, 201);
    matterId = ((await m.json()) as { id: string }).id;
    headers = { cookie: client.cookie, 'x-csrf-token': client.csrf, origin: s.httpUrl, 'content-type': 'application/json' };
  });

  it('answers 400 or 404 to traversal in every route parameter, and reads nothing outside', async () => {
    const routes = listRoutes(s.app).filter((r) => /[:*]\w/.test(r.path));
    assert.ok(routes.length >= 15, `found ${routes.length} routes with parameters`);
    const seen = new Map<number, number>();
    for (const r of routes) {
      const params = [...r.path.matchAll(/[:*](\w+)/g)].map((m) => m[1]);
      for (const target of params) {
        for (const evil of TRAVERSALS) {
          const path = r.path.replace(/[:*](\w+)/g, (_m, name: string) => (name === target ? evil : name === 'id' && r.path.startsWith('/api/v1/matters') ? matterId : /sha|message/i.test(name) || (name === 'id' && r.path.includes('messages')) ? sha : 'x'));
          const method = r.method === 'ALL' ? 'GET' : r.method;
          const a = await raw(s.httpPort, method, path, { headers, body: method === 'GET' || method === 'HEAD' ? undefined : '{}' });
          const what = `${method} ${path.slice(0, 200)} -> ${a.status} ${a.body.slice(0, 200)}`;
          seen.set(a.status, (seen.get(a.status) ?? 0) + 1);
          // 429: the export route's rate limit may answer first; it is a refusal too.
          assert.ok([400, 404, 429].includes(a.status), what);
          assert.ok(!a.body.includes(MARKER) && !a.body.includes('root:x:0:0'), `leaked a file: ${what}`);
        }
      }
    }
    console.log('traversal answers by status', JSON.stringify(Object.fromEntries(seen)));
  });

  it('serves no file outside the UI directory', async () => {
    for (const p of ['/../../package.json', '/%2e%2e/%2e%2e/package.json', '/assets/..%2f..%2f..%2fpackage.json', '/..%5c..%5cpackage.json', '/%2e%2e%2f%2e%2e%2fcanary.txt', '/index.html%00.json']) {
      const a = await raw(s.httpPort, 'GET', p);
      assert.ok(a.status < 500, `${p}: ${a.status}`);
      assert.doesNotMatch(a.body, /"name": "stele"|"dependencies"/, `${p} served package.json`);
      assert.ok(!a.body.includes(MARKER), p);
    }
  });

  it('answers 413 to an oversize JSON body, and drains a chunked one without buffering it', async () => {
    const announced = await raw(s.httpPort, 'POST', '/api/v1/auth/login', { headers: { 'content-type': 'application/json' }, body: `{"username":"${'u'.repeat(1 << 20)}"}` });
    assert.equal(announced.status, 413);
    // Chunked (no length announced): body-parser stops keeping bytes at the limit and reads the
    // rest off the socket before answering (bounded in time by the request timeout), so memory
    // stays flat however much is sent.
    const total = 128 * 1024 * 1024;
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const status = await new Promise<number>((resolve, reject) => {
      let sent = 0;
      const req = request({ host: '127.0.0.1', port: s.httpPort, method: 'POST', path: '/api/v1/auth/login', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (sent < total) {
          sent += chunk.length;
          if (sent % (8 * 1024 * 1024) === 0) rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      req.write('{"username":"');
      pump();
    });
    assert.equal(status, 413);
    // The server runs in this process: had it buffered the body, rss would have grown by 128 MiB.
    assert.ok(rssPeak - rssBefore < 64 * 1024 * 1024, `rss grew ${rssPeak - rssBefore} bytes`);
  });

  it('answers 431 to a journal post naming 100k envelope recipients in one header, and stores nothing', async () => {
    const mail = buildMail({ subject: 'too many recipients' });
    const rcptTo = Array.from({ length: 100_000 }, (_, i) => `r${i}@clinic.example`);
    const a = await raw(s.httpPort, 'POST', '/api/v1/journal', { headers: { 'content-type': 'message/rfc822', authorization: `Bearer ${TEST_TOKEN}`, 'x-stele-rcpt-to': rcptTo.join(',') }, body: mail });
    // RFC 6585 5: the header section is over node's 16 KiB cap (ingest/http/server-limits.ts).
    assert.equal(a.status, 431);
    assert.equal(s.core.ledger.first(MESSAGE_INGESTED, createHash('sha256').update(mail).digest('hex')), null);
  });

  it('answers 400 to malformed JSON, naming no internals', async () => {
    for (const body of ['{"username":', '{"a":1,}', "{'a':1}", '\u0000', 'null', '[]', '{"__proto__":{"admin":true}}']) {
      const a = await raw(s.httpPort, 'POST', '/api/v1/auth/login', { headers: { 'content-type': 'application/json' }, body });
      assert.equal(a.status, 400, `${JSON.stringify(body)} -> ${a.status} ${a.body}`);
      assert.equal((JSON.parse(a.body) as { error: { code: string } }).error.code, 'bad_request');
      assert.doesNotMatch(a.body, /at .*\.ts:\d+|SyntaxError/);
    }
  });

  it('answers 400 to deeply nested JSON without falling over', async () => {
    for (const depth of [10_000, 200_000]) {
      const body = `{"name":${'['.repeat(depth)}${']'.repeat(depth)}}`;
      for (const path of ['/api/v1/matters', '/api/v1/holds']) {
        const a = await raw(s.httpPort, 'POST', path, { headers, body });
        assert.ok([400, 413].includes(a.status), `${path} depth ${depth}: ${a.status} ${a.body.slice(0, 200)}`);
      }
    }
    assert.equal((await client.fetch('/api/v1/health')).status, 200);
  });

  it('answers 400 with the position to malformed search queries', async () => {
    for (const [q, pos] of [['from:', 5], ['(a OR b', 7], ['subject:"unclosed', 8], ['a AND', 5]] as const) {
      const res = await client.fetch(`/api/v1/search?q=${encodeURIComponent(q)}`);
      const body = (await res.json()) as { error: { code: string; details?: { position?: number } } };
      assert.equal(res.status, 400, `${q}: ${JSON.stringify(body)}`);
      assert.equal(typeof body.error.details?.position, 'number', `${q}: ${JSON.stringify(body)}`);
      assert.ok(Math.abs(body.error.details!.position! - pos) <= 1, `${q}: position ${body.error.details?.position}, about ${pos} expected`);
    }
    // Invalid UTF-8 in the query string decodes to U+FFFD: a term like any other, not an error.
    assert.equal((await client.fetch('/api/v1/search?q=%ff%fe')).status, 200);
    for (const qs of ['q=a&q=b', `q=${'('.repeat(5000)}`, 'limit=-1&q=a', 'limit=1e9&q=a', 'cursor=%00&q=a']) {
      const res = await client.fetch(`/api/v1/search?${qs}`);
      assert.equal(res.status, 400, `${qs}: ${res.status} ${await res.text()}`);
    }
  });
});

describe('slowloris', () => {
  let s: TestStele;
  before(async () => {
    s = await startTestStele({ env: { STELE_HTTP_HEADERS_TIMEOUT_MS: '1000', STELE_HTTP_REQUEST_TIMEOUT_MS: '3000' } });
  });
  after(async () => {
    await s.stop();
    await removeDir(s.dataDir);
  });

  it('times out connections that send headers a byte at a time, while a normal client is served', async () => {
    const sockets: Socket[] = [];
    const closed: Array<Promise<string>> = [];
    for (let i = 0; i < 50; i++) {
      const sock = connect(s.httpPort, '127.0.0.1');
      sockets.push(sock);
      let answer = '';
      sock.setEncoding('latin1');
      sock.on('data', (d: string) => (answer += d));
      sock.on('error', () => {});
      closed.push(new Promise((resolve) => sock.on('close', () => resolve(answer))));
      sock.write('GET /api/v1/health HTTP/1.1\r\nHost: x\r\n');
    }
    // Trickle one header byte per socket every 100 ms, forever (the server must end it).
    const trickle = setInterval(() => {
      for (const sock of sockets) if (!sock.destroyed) sock.write('X');
    }, 100);
    try {
      const res = await fetch(`${s.httpUrl}/api/v1/health`);
      assert.equal(res.status, 200, 'a normal client is served during the attack');
      const deadline = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('slow sockets still open after 20 s')), 20_000).unref());
      const answers = await Promise.race([Promise.all(closed), deadline]);
      // Node answers 408 when the headers timeout fires (or just closes the socket).
      for (const a of answers) assert.ok(a === '' || a.startsWith('HTTP/1.1 408'), a.slice(0, 80));
      assert.equal((await fetch(`${s.httpUrl}/api/v1/health`)).status, 200, 'and after it');
    } finally {
      clearInterval(trickle);
      for (const sock of sockets) sock.destroy();
    }
  });
});
