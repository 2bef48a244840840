// Rules every index adapter applies to documents the same way, so sqlite and elasticsearch
// cannot disagree on what is a valid document or the same Message-ID.
import { SteleError } from '../core/errors.ts';
import type { IndexDocument } from './port.ts';

/** Checks a document before any of its batch is written; returns its date in epoch ms. */
export function validateDocument(doc: IndexDocument): number {
  if (typeof doc?.id !== 'string' || doc.id === '') {
    throw new SteleError('bad_request', 'index document without an id');
  }
  const dateMs = Date.parse(doc.date);
  if (!Number.isFinite(dateMs)) {
    throw new SteleError('bad_request', `index document ${doc.id} has an unparseable date`, { details: { id: doc.id } });
  }
  if (!Number.isFinite(doc.size) || doc.size < 0) {
    throw new SteleError('bad_request', `index document ${doc.id} has an invalid size`, { details: { id: doc.id } });
  }
  return dateMs;
}

/** `<Abc@x>` and `abc@x` are the same Message-ID for search and threading. */
export function normalizeMessageId(raw: string): string | null {
  const v = raw.trim().replace(/^<(.*)>$/s, '$1').trim().toLowerCase();
  return v === '' ? null : v;
}

export function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? '' : address.slice(at + 1);
}

/** eu.acme.com -> eu.acme.com, acme.com, com: `domain:acme.com` covers subdomains in one lookup. */
export function domainSuffixes(domain: string): string[] {
  const labels = domain.split('.');
  return domain === '' ? [] : labels.map((_, i) => labels.slice(i).join('.')).filter((s) => s !== '');
}

/** The Message-IDs that tie a message to its thread: its own, In-Reply-To and References. */
export function threadIds(doc: IndexDocument): string[] {
  const ids = new Set<string>();
  for (const raw of [doc.messageId, doc.inReplyTo, ...(doc.references ?? [])]) {
    if (!raw) continue;
    // Headers sometimes arrive unsplit ("<a@x> <b@y>"): take every bracketed id.
    const bracketed = [...raw.matchAll(/<([^<>]+)>/g)].map((m) => m[1]!);
    for (const one of bracketed.length ? bracketed : [raw]) {
      const mid = normalizeMessageId(one);
      if (mid) ids.add(mid);
    }
  }
  return [...ids];
}
