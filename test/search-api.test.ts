// The search and message API end to end through real sockets: ~20 messages journaled over SMTP
// and HTTP into a real Stele, then searched and read back over HTTP with known answers.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32, deflateRawSync } from 'node:zlib';
import express, { type RequestHandler } from 'express';
import { silentLogger } from '../core/log.ts';
import { messageKey } from '../ingest/index.ts';
import { errorHandler } from '../server/http/http-errors.ts';
import { messageRoutes } from '../server/http/message-routes.ts';
import { searchRoutes, type SearchResponse } from '../server/http/search-routes.ts';
import { buildJournalReport, buildMail, type MailSpec } from './fixtures/mail.ts';
import { journalHttp, login, removeDir, startTestStele, TEST_ADMIN_PASSWORD, type TestStele } from './harness.ts';
import { sendSmtp } from './smtp-client.ts';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A DOCX as Word writes it: a ZIP with content types, package relations and the document part. */
function docx(paragraphs: string[]): Buffer {
  const files: Array<[string, string]> = [
    ['[Content_Types].xml', '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'],
    ['_rels/.rels', '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>'],
    ['word/document.xml', `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${paragraphs.map((p) => `<w:p><w:r><w:t xml:space="preserve">${p}</w:t></w:r></w:p>`).join('')}<w:sectPr/></w:body></w:document>`],
  ];
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of files) {
    const nameBytes = Buffer.from(name);
    const data = Buffer.from(text);
    const body = deflateRawSync(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc32(data), 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc32(data), 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, body);
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

const DOCX_TYPE = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const MINUTES = docx(['Board minutes, April 2024.', 'The board approved the quarterly dividend.', 'Codename xylophone stays confidential.']);
const NOTES = Buffer.from('Warehouse zebracorn inventory list\r\n12 pallets\r\n');

/** The archive under test: name -> the message, how it is journaled, and its id once sent. */
const MAIL: Record<string, { spec: MailSpec; via: 'smtp' | 'http'; journalBcc?: string[] }> = {
  merger: { via: 'smtp', spec: { from: 'Alice Archer <alice@acme.example>', to: ['bob@globex.example'], subject: 'Merger agreement draft', date: 'Wed, 31 Jan 2024 23:30:00 +0000', messageId: '<merger-1@acme.example>', text: 'Please review the merger agreement before Friday.\r\n' } },
  reply: { via: 'http', spec: { from: 'Bob Baker <bob@globex.example>', to: ['alice@acme.example'], subject: 'Re: Merger agreement draft', date: 'Thu, 01 Feb 2024 01:30:00 +0100', messageId: '<merger-2@globex.example>', extraHeaders: ['In-Reply-To: <merger-1@acme.example>', 'References: <merger-1@acme.example>'], text: 'The merger terms look fine to us.\r\n' } },
  reply2: { via: 'smtp', spec: { from: 'Alice Archer <alice@acme.example>', to: ['bob@globex.example'], cc: ['carol@acme.example'], subject: 'Re: Re: Merger agreement draft', date: 'Fri, 02 Feb 2024 09:00:00 +0000', messageId: '<merger-3@acme.example>', extraHeaders: ['In-Reply-To: <merger-2@globex.example>', 'References: <merger-1@acme.example> <merger-2@globex.example>'], text: 'Agreed, let us sign on Monday.\r\n' } },
  settlement: { via: 'smtp', journalBcc: ['compliance@counsel-llp.example'], spec: { from: 'CEO <ceo@acme.example>', to: ['board@acme.example'], subject: 'Confidential settlement', date: 'Fri, 15 Mar 2024 12:00:00 +0000', messageId: '<settle-1@acme.example>', text: 'The settlement offer stands until the end of the month.\r\n' } },
  minutes: { via: 'http', spec: { from: 'secretary@acme.example', to: ['board@acme.example'], subject: 'Board minutes', date: 'Wed, 10 Apr 2024 16:00:00 +0000', text: 'Minutes attached.\r\n', attachments: [{ filename: 'board-minutes.docx', contentType: DOCX_TYPE, content: MINUTES }] } },
  inventory: { via: 'smtp', spec: { from: 'warehouse@logistics.example', to: ['ops@acme.example'], subject: 'Inventory', date: 'Wed, 01 May 2024 08:00:00 +0000', text: 'See the list.\r\n', attachments: [{ filename: 'notes.txt', contentType: 'text/plain', content: NOTES }] } },
  zurich: { via: 'http', spec: { from: '=?utf-8?Q?Fran=C3=A7ois_M=C3=BCller?= <francois@paris.example>', to: ['alice@acme.example'], subject: '=?utf-8?Q?R=C3=A9union_=C3=A0_Z=C3=BCrich?=', date: 'Sat, 01 Jun 2024 10:00:00 +0200', text: 'Le café est prêt. Voici mon résumé 🎉.\r\n' } },
  tokyo: { via: 'smtp', spec: { from: 'tanaka@nihon.example', to: ['alice@acme.example'], subject: '=?utf-8?B?5Lya6K2w44Gu6K2w5LqL6Yyy?=', date: 'Sun, 07 Jul 2024 03:00:00 +0900', text: '明日の会議室で会いましょう。東京 と 都\r\n' } },
  price: { via: 'http', spec: { from: 'analyst@bank.example', to: ['ceo@acme.example'], subject: 'Valuation', date: 'Mon, 12 Aug 2024 14:00:00 +0000', text: 'Our offer is 42 dollars price per share, final.\r\n' } },
  shuffled: { via: 'smtp', spec: { from: 'analyst@bank.example', to: ['cfo@acme.example'], subject: 'Unit economics', date: 'Tue, 13 Aug 2024 14:00:00 +0000', text: 'The share of the price per unit went up.\r\n' } },
};
for (let i = 1; i <= 10; i++) {
  const year = 2023 + (i % 3);
  MAIL[`status${i}`] = {
    via: i % 2 ? 'smtp' : 'http',
    spec: { from: `team${i % 4}@${i % 2 ? 'acme.example' : 'eu.acme.example'}`, to: ['managers@acme.example'], subject: `Weekly status report ${i}`, date: new Date(Date.UTC(year, i - 1, 3 + i, 9)).toUTCString(), text: `Status ${i}: budget on track, nothing to escalate.\r\n` },
  };
}

describe('search and message API', () => {
  let s: TestStele;
  let api: Server;
  let url: string;
  const raw: Record<string, Buffer> = {};
  const id: Record<string, string> = {};
  const actions = new Set<string>();

  before(async () => {
    s = await startTestStele();
    for (const [name, m] of Object.entries(MAIL)) {
      const original = buildMail(m.spec);
      const bytes = m.journalBcc
        ? buildJournalReport(original, [`Sender: ${/<(.*)>/.exec(m.spec.from!)![1]}`, `Subject: ${m.spec.subject}`, `Message-Id: ${m.spec.messageId}`, `To: ${m.spec.to![0]}`, ...m.journalBcc.map((b) => `Bcc: ${b}`)])
        : original;
      raw[name] = bytes;
      id[name] = sha(bytes);
      if (m.via === 'smtp') assert.equal((await sendSmtp(s.smtpPort, bytes, { from: 'journal@acme.example', to: ['archive@stele.example'] })).code, 250);
      else assert.equal((await journalHttp(s.httpUrl, bytes, { rcptTo: m.spec.to })).status, 201);
    }
    await s.caughtUp();
    // The routes on their own express app over the test archive, with a recording authoriser:
    // the service limits a user to 30 searches a minute, and this suite runs a hundred. The last
    // test goes through the running service's own app with a real session.
    const authorize = (action: string): RequestHandler => (_req, _res, next) => (actions.add(action), next());
    const audit = async (_req: unknown, e: { type: string; subject?: string; data: Record<string, unknown> }) =>
      void (await s.core.ledger.append({ type: e.type, actor: 'user:test-lawyer', subject: e.subject, data: e.data }));
    const deps = { index: s.core.index, vault: s.core.vault, ledger: s.core.ledger, authorize, audit, messageKey };
    const app = express().use(searchRoutes(deps)).use(messageRoutes(deps)).use(errorHandler(silentLogger));
    api = await new Promise<Server>((resolve) => {
      const srv = app.listen(0, '127.0.0.1', () => resolve(srv));
    });
    url = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((r) => api.close(r));
    await s.stop();
    await removeDir(s.dataDir);
  });

  async function search(q: string, params: Record<string, string> = {}): Promise<SearchResponse> {
    const res = await fetch(`${url}/api/v1/search?${new URLSearchParams({ q, ...params })}`);
    assert.equal(res.status, 200, `${q}: ${await res.clone().text()}`);
    return (await res.json()) as SearchResponse;
  }
  /** The names of the messages a query finds, sorted, over all pages. */
  async function names(q: string): Promise<string[]> {
    const r = await search(q, { limit: '1000' });
    assert.equal(r.total, r.hits.length);
    const byId = new Map(Object.entries(id).map(([n, i]) => [i, n]));
    return r.hits.map((h) => byId.get(h.id) ?? h.id).sort();
  }

  it('finds words, ORs, NOTs and fields with exact answers', async () => {
    assert.deepEqual(await names('merger'), ['merger', 'reply', 'reply2']);
    assert.deepEqual(await names('merger -subject:re'), ['merger']);
    assert.deepEqual(await names('merger NOT from:bob@globex.example'), ['merger', 'reply2']);
    assert.deepEqual(await names('settlement OR zebracorn'), ['inventory', 'settlement']);
    assert.deepEqual(await names('from:alice@acme.example'), ['merger', 'reply2']);
    assert.deepEqual(await names('cc:carol@acme.example'), ['reply2']);
    assert.deepEqual(await names('from:@acme.example subject:weekly'), ['status1', 'status10', 'status2', 'status3', 'status4', 'status5', 'status6', 'status7', 'status8', 'status9']);
    assert.deepEqual(await names('domain:eu.acme.example'), ['status10', 'status2', 'status4', 'status6', 'status8']);
    assert.deepEqual(await names('merg* agreement'), ['merger', 'reply', 'reply2']);
  });

  it('matches phrases only in order', async () => {
    assert.deepEqual(await names('"price per share"'), ['price']);
    assert.deepEqual(await names('price per share'), ['price', 'shuffled']);
  });

  it('finds a Bcc recipient known only from the journal report, through participant: and bcc:', async () => {
    assert.deepEqual(await names('participant:compliance@counsel-llp.example'), ['settlement']);
    assert.deepEqual(await names('bcc:@counsel-llp.example'), ['settlement']);
    assert.deepEqual(await names('to:compliance@counsel-llp.example'), []);
  });

  it('searches text inside a DOCX and a text attachment', async () => {
    assert.deepEqual(await names('xylophone'), ['minutes']);
    assert.deepEqual(await names('attachment:"quarterly dividend"'), ['minutes']);
    assert.deepEqual(await names('attachment:zebracorn'), ['inventory']);
    assert.deepEqual(await names('filename:docx'), ['minutes']);
    assert.deepEqual(await names('has:attachment'), ['inventory', 'minutes']);
    assert.deepEqual(await names('body:xylophone'), []);
  });

  it('applies date bounds at their edges, in UTC', async () => {
    assert.deepEqual(await names('merger before:2024-01-31'), ['merger'], '23:30 UTC on the 31st is inside the day');
    assert.deepEqual(await names('merger after:2024-02-01 before:2024-02-01'), ['reply'], '01:30+01:00 is 00:30 UTC on the 1st');
    assert.deepEqual(await names('merger after:2024-01-31T23:30:00Z before:2024-02-01T00:30:00Z'), ['merger']);
    assert.deepEqual(await names('merger before:2024-01-31T23:30:00Z'), []);
    assert.deepEqual(await names('after:2024-07-06T18:00:00Z before:2024-07-06T18:00:01Z'), ['tokyo'], '03:00+09:00');
    assert.deepEqual(await names('subject:weekly after:2025 before:2025'), ['status2', 'status5', 'status8']);
  });

  it('folds case and accents and matches CJK text by characters', async () => {
    assert.deepEqual(await names('zurich'), ['zurich']);
    assert.deepEqual(await names('RÉSUMÉ'), ['zurich']);
    assert.deepEqual(await names('from:muller'), ['zurich']);
    assert.deepEqual(await names('cafe pret'), ['zurich']);
    assert.deepEqual(await names('会議'), ['tokyo']);
    assert.deepEqual(await names('subject:議事録'), ['tokyo']);
    assert.deepEqual(await names('京都'), []);
  });

  it('pages through every hit exactly once with limit 2, in each order', async () => {
    for (const sort of ['date_desc', 'date_asc', 'relevance']) {
      const q = sort === 'relevance' ? 'budget OR merger OR acme' : '';
      const seen: string[] = [];
      let cursor: string | null = null;
      let total = -1;
      let pages = 0;
      do {
        const page: SearchResponse = await search(q, { sort, limit: '2', ...(cursor ? { cursor } : {}) });
        total = page.total;
        assert.ok(page.hits.length <= 2);
        assert.equal(page.facets === null, cursor !== null, 'facets on the first page only');
        seen.push(...page.hits.map((h) => h.id));
        cursor = page.nextCursor;
        pages++;
      } while (cursor && pages < 100);
      assert.equal(seen.length, total, sort);
      assert.equal(new Set(seen).size, total, `${sort}: no hit twice`);
      if (!q) assert.deepEqual(new Set(seen), new Set(Object.values(id)));
      if (sort === 'date_asc') assert.equal(seen[0], id.status3, 'the oldest (2023-03-06) first');
    }
  });

  it('counts facets over the whole result set', async () => {
    const r = await search('', { limit: '1' });
    assert.equal(r.total, Object.keys(MAIL).length);
    assert.equal(r.facets!.year.reduce((n, y) => n + y.count, 0), r.total);
    assert.deepEqual(r.facets!.domain.find((d) => d.value === 'acme.example'), { value: 'acme.example', count: 9 });
  });

  it('answers 400 with the position and what was expected for a syntax error, and for bad parameters', async () => {
    const res = await fetch(`${url}/api/v1/search?${new URLSearchParams({ q: 'merger sender:bob' })}`);
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: { code: string; details: { position: number; expected: string } } };
    assert.equal(body.error.code, 'bad_request');
    assert.equal(body.error.details.position, 7);
    assert.match(body.error.details.expected, /from:/);
    const open = (await (await fetch(`${url}/api/v1/search?q=${encodeURIComponent('(a OR b')}`)).json()) as typeof body;
    assert.equal(open.error.details.position, 7);
    for (const bad of ['limit=5000', 'limit=two', 'sort=random', 'cursor=not-a-cursor']) {
      const r = await fetch(`${url}/api/v1/search?q=merger&${bad}`);
      assert.equal(r.status, 400, bad);
    }
  });

  it('shows a message with envelope, body, attachments, retention and its ingest ledger entry', async () => {
    const res = await fetch(`${url}/api/v1/messages/${id.settlement}`);
    assert.equal(res.status, 200);
    const m = (await res.json()) as Record<string, any>;
    assert.equal(m.sha256, id.settlement);
    assert.equal(m.subject, 'Confidential settlement');
    assert.ok(m.bcc.some((a: { address: string }) => a.address === 'compliance@counsel-llp.example'));
    assert.ok(m.flags.includes('journal-report'));
    assert.match(m.body, /settlement offer stands/);
    assert.ok(m.category && Date.parse(m.retainUntil) > Date.now());
    assert.deepEqual(m.holds, []);
    assert.equal(m.ingest.type, 'message.ingested');
    assert.equal(m.ingest.subject, id.settlement);
    assert.equal(m.ingest.data.source, 'smtp');
    const minutes = (await (await fetch(`${url}/api/v1/messages/${id.minutes}`)).json()) as Record<string, any>;
    assert.deepEqual(minutes.attachments.map((a: Record<string, unknown>) => [a.n, a.filename, a.contentType, a.size]), [[0, 'board-minutes.docx', DOCX_TYPE, MINUTES.length]]);
    assert.deepEqual(minutes.envelope.to, ['board@acme.example']);
  });

  it('downloads the original bytes, identical to what was journaled', async () => {
    for (const name of ['settlement', 'zurich', 'minutes']) {
      const res = await fetch(`${url}/api/v1/messages/${id[name]}/raw`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'message/rfc822');
      assert.equal(res.headers.get('content-disposition'), `attachment; filename="${id[name]}.eml"`);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), raw[name]);
    }
  });

  it('downloads an attachment with its type, as an attachment, never sniffed', async () => {
    const res = await fetch(`${url}/api/v1/messages/${id.minutes}/attachments/0`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), DOCX_TYPE);
    assert.match(res.headers.get('content-disposition') ?? '', /^attachment; filename="?board-minutes\.docx"?$/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), MINUTES);
    const text = await fetch(`${url}/api/v1/messages/${id.inventory}/attachments/0`);
    assert.match(text.headers.get('content-type') ?? '', /^text\/plain/);
    assert.deepEqual(Buffer.from(await text.arrayBuffer()), NOTES);
    assert.equal((await fetch(`${url}/api/v1/messages/${id.inventory}/attachments/1`)).status, 404);
    assert.equal((await fetch(`${url}/api/v1/messages/${id.inventory}/attachments/x`)).status, 400);
  });

  it('shows a thread oldest first from any of its messages', async () => {
    for (const name of ['merger', 'reply', 'reply2']) {
      const res = await fetch(`${url}/api/v1/messages/${id[name]}/thread`);
      const body = (await res.json()) as { messages: Array<{ id: string }> };
      assert.deepEqual(body.messages.map((h) => h.id), [id.merger, id.reply, id.reply2]);
    }
    const single = (await (await fetch(`${url}/api/v1/messages/${id.price}/thread`)).json()) as { messages: Array<{ id: string }> };
    assert.deepEqual(single.messages.map((h) => h.id), [id.price]);
  });

  it('refuses ids that are not a SHA-256 (no path traversal), and 404s unknown ones', async () => {
    // Sent as written: a URL client would resolve the dot segments before they reach the server.
    const encoded = ['..%2F..%2Fetc%2Fpasswd', '%2e%2e', '%2E%2E%2Fkeys', '..%5C..%5Cwindows', id.price.toUpperCase(), `${id.price}00`, `messages%2F${id.price}`, `${id.price}%00`];
    for (const bad of encoded) {
      for (const suffix of ['', '/raw', '/attachments/0', '/thread']) assert.equal(await rawGet(`/api/v1/messages/${bad}${suffix}`), 400, `${bad}${suffix}`);
    }
    for (const path of ['/api/v1/messages/../../etc/passwd/raw', '/api/v1/messages/./../keys/raw', '/api/v1/messages/../raw']) {
      const status = await rawGet(path);
      assert.ok(status === 400 || status === 404, `${path}: ${status}`);
    }
    assert.equal((await fetch(`${url}/api/v1/messages/${'0'.repeat(64)}`)).status, 404);
    assert.equal((await fetch(`${url}/api/v1/messages/${'0'.repeat(64)}/raw`)).status, 404);
  });

  it('declares an action for each route and puts every search and disclosure on the ledger', async () => {
    assert.deepEqual([...actions].sort(), ['message.attachment', 'message.raw', 'message.read', 'search']);
    const events = s.core.ledger.query({ types: ['search.performed'] });
    assert.ok(events.some((e) => e.data.query === '"price per share"' && e.data.total === 1 && e.actor === 'user:test-lawyer'));
    const about = (type: string, name: string) => s.core.ledger.query({ subject: id[name], types: [type] }).length;
    assert.ok(about('message.viewed', 'settlement') >= 1);
    assert.ok(about('message.raw_downloaded', 'zurich') >= 1);
    assert.ok(about('message.attachment_downloaded', 'minutes') >= 1);
    assert.ok(about('message.thread_viewed', 'reply') >= 1);
    assert.deepEqual(await s.core.vault.getOpened(messageKey(id.price)), raw.price);
  });

  it('serves the same routes in the running service, to a legal user\'s session only, audited as that user', async () => {
    const pw = await s.createUser('lex', ['legal']);
    const lex = await login(s, 'lex', pw);
    const found = await lex.fetch(`/api/v1/search?${new URLSearchParams({ q: 'xylophone' })}`);
    assert.equal(found.status, 200);
    assert.deepEqual(((await found.json()) as SearchResponse).hits.map((h) => h.id), [id.minutes]);
    assert.equal((await lex.fetch(`/api/v1/messages/${id.minutes}`)).status, 200);
    assert.deepEqual(Buffer.from(await (await lex.fetch(`/api/v1/messages/${id.minutes}/raw`)).arrayBuffer()), raw.minutes);
    assert.deepEqual(Buffer.from(await (await lex.fetch(`/api/v1/messages/${id.minutes}/attachments/0`)).arrayBuffer()), MINUTES);
    assert.equal((await lex.fetch(`/api/v1/messages/${id.reply}/thread`)).status, 200);
    assert.equal((await lex.fetch('/api/v1/messages/..%2F..%2Fetc%2Fpasswd/raw')).status, 400);
    assert.equal((await lex.fetch(`/api/v1/search?q=${encodeURIComponent('a OR')}`)).status, 400);
    for (const type of ['search.performed', 'message.viewed', 'message.raw_downloaded', 'message.attachment_downloaded', 'message.thread_viewed']) {
      assert.ok(s.core.ledger.query({ types: [type], actor: 'lex' }).length >= 1, type);
    }
    assert.equal((await fetch(`${s.httpUrl}/api/v1/messages/${id.minutes}/raw`)).status, 401, 'no session');
    const admin = await login(s, 'admin', TEST_ADMIN_PASSWORD);
    assert.equal((await admin.fetch(`/api/v1/messages/${id.minutes}/raw`)).status, 403, 'admins never read content');
  });

  function rawGet(path: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(`${url}${path}`, { method: 'GET', path }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
  }
});
