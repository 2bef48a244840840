// Writes IndexDocuments into the SQLite index: one upsert per document (docs row, address and
// keyword side tables, thread links, FTS row), all of a batch in one transaction.
import type Database from 'better-sqlite3';
import type { Address, IndexDocument } from '../port.ts';
import { domainOf, domainSuffixes, normalizeMessageId, threadIds, validateDocument } from '../document-rules.ts';
import type { Role } from './compile.ts';
import { prepareText } from './fts-text.ts';

export interface Writer {
  add(docs: IndexDocument[]): void;
  delete(ids: string[]): void;
  clear(): void;
}

export function createWriter(db: Database.Database): Writer {
  const s = {
    existing: db.prepare('SELECT rowid AS r, doc FROM docs WHERE id = ?'),
    upsert: db.prepare(`
      INSERT INTO docs (id, date_ms, year, size, category, attachment_count, flags, hit, doc)
      VALUES (@id, @date_ms, @year, @size, @category, @attachment_count, @flags, @hit, @doc)
      ON CONFLICT (id) DO UPDATE SET date_ms = excluded.date_ms, year = excluded.year, size = excluded.size,
        category = excluded.category, attachment_count = excluded.attachment_count, flags = excluded.flags,
        hit = excluded.hit, doc = excluded.doc
      RETURNING rowid AS r`),
    addr: db.prepare('INSERT INTO addrs (doc, role, address, domain) VALUES (?, ?, ?, ?)'),
    suffix: db.prepare('INSERT INTO domain_suffixes (doc, role, suffix) VALUES (?, ?, ?)'),
    term: db.prepare('INSERT INTO terms (doc, field, value) VALUES (?, ?, ?)'),
    link: db.prepare('INSERT INTO links (doc, mid) VALUES (?, ?)'),
    fts: db.prepare(`INSERT INTO fts (rowid, subject, body, att_names, att_text, from_a, to_a, cc_a, bcc_a, env_a)
      VALUES (@r, @subject, @body, @att_names, @att_text, @from_a, @to_a, @cc_a, @bcc_a, @env_a)`),
    dropSide: ['addrs', 'domain_suffixes', 'terms', 'links'].map((t) => db.prepare(`DELETE FROM ${t} WHERE doc = ?`)),
    dropFts: db.prepare('DELETE FROM fts WHERE rowid = ?'),
    dropDoc: db.prepare('DELETE FROM docs WHERE rowid = ?'),
  };

  function removeDerived(rowid: number): void {
    for (const st of s.dropSide) st.run(rowid);
    s.dropFts.run(rowid);
  }

  function upsertOne(doc: IndexDocument): void {
    const dateMs = validateDocument(doc);
    const json = JSON.stringify(doc);
    const prior = s.existing.get(doc.id) as { r: number; doc: string } | undefined;
    if (prior?.doc === json) return; // re-adding the same document is a no-op (reindex, retries)
    const { r } = s.upsert.get(docRow(doc, dateMs, json)) as { r: number };
    if (prior) removeDerived(r);
    for (const [role, address] of addressRows(doc)) {
      const domain = domainOf(address);
      s.addr.run(r, role, address, domain);
      for (const suffix of domainSuffixes(domain)) s.suffix.run(r, role, suffix);
    }
    for (const [field, value] of keywordRows(doc)) s.term.run(r, field, value);
    for (const mid of threadIds(doc)) s.link.run(r, mid);
    s.fts.run({ r, ...ftsRow(doc) });
  }

  return {
    add: db.transaction((docs: IndexDocument[]) => {
      for (const doc of docs) upsertOne(doc);
    }),
    delete: db.transaction((ids: string[]) => {
      for (const id of ids) {
        const prior = s.existing.get(id) as { r: number } | undefined;
        if (!prior) continue; // unknown ids are ignored (port contract)
        removeDerived(prior.r);
        s.dropDoc.run(prior.r);
      }
    }),
    clear: db.transaction(() => {
      for (const t of ['addrs', 'domain_suffixes', 'terms', 'links', 'fts', 'docs']) db.prepare(`DELETE FROM ${t}`).run();
      db.prepare(`UPDATE meta SET value = '0' WHERE key = 'watermark'`).run();
    }),
  };
}

function docRow(doc: IndexDocument, dateMs: number, json: string): Record<string, unknown> {
  return {
    id: doc.id,
    date_ms: dateMs,
    year: new Date(dateMs).getUTCFullYear(),
    size: Math.round(doc.size),
    category: doc.category,
    attachment_count: doc.attachments.length,
    flags: JSON.stringify(doc.flags),
    hit: JSON.stringify({ date: doc.date, subject: doc.subject, from: doc.from }),
    doc: json,
  };
}

function addressRows(doc: IndexDocument): Array<[Role, string]> {
  const rows: Array<[Role, string]> = [];
  const push = (role: Role, list: Array<Address | string>) => {
    for (const a of list) {
      const address = (typeof a === 'string' ? a : a.address).trim().toLowerCase();
      if (address !== '') rows.push([role, address]);
    }
  };
  push('from', doc.from);
  push('to', doc.to);
  push('cc', doc.cc);
  push('bcc', doc.bcc);
  push('envelope_to', doc.envelopeTo);
  if (doc.envelopeFrom) push('envelope_from', [doc.envelopeFrom]);
  return rows;
}

function keywordRows(doc: IndexDocument): Array<[string, string]> {
  const rows: Array<[string, string]> = [];
  for (const c of doc.custodians) rows.push(['custodian', c.trim().toLowerCase()]);
  for (const h of doc.holds) rows.push(['hold', h.trim().toLowerCase()]);
  for (const f of doc.flags) rows.push(['flag', f.trim().toLowerCase()]);
  const mid = doc.messageId ? normalizeMessageId(doc.messageId) : null;
  if (mid) rows.push(['message-id', mid]);
  return rows;
}

function addressText(list: Array<Address | string>): string {
  return prepareText(list.map((a) => (typeof a === 'string' ? a : `${a.name ?? ''} ${a.address}`)).join('\n'));
}

function ftsRow(doc: IndexDocument): Record<string, string> {
  return {
    subject: prepareText(doc.subject),
    body: prepareText(doc.body),
    att_names: prepareText(doc.attachments.map((a) => a.filename).join('\n')),
    att_text: prepareText(doc.attachments.map((a) => a.text ?? '').join('\n')),
    from_a: addressText(doc.from),
    to_a: addressText(doc.to),
    cc_a: addressText(doc.cc),
    bcc_a: addressText(doc.bcc),
    env_a: addressText([...(doc.envelopeFrom ? [doc.envelopeFrom] : []), ...doc.envelopeTo]),
  };
}
