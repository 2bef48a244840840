// How every index adapter checks and applies a RetentionChange (search/port.ts setRetention), so
// sqlite and elasticsearch cannot disagree on what is valid or on the document that results.
import { SteleError } from '../core/errors.ts';
import type { IndexDocument, RetentionChange } from './port.ts';

const refuse = (why: string, id?: unknown) =>
  new SteleError('bad_request', `retention change ${typeof id === 'string' ? `${id} ` : ''}${why}`, { details: { id: typeof id === 'string' ? id : null } });

/** Checks a whole batch before any of it is written (an invalid change writes nothing). */
export function validateRetentionChanges(changes: RetentionChange[]): void {
  if (!Array.isArray(changes)) throw refuse('batch is not a list');
  for (const c of changes) {
    if (typeof c?.id !== 'string' || c.id === '') throw refuse('without an id');
    if (!Array.isArray(c.holds) || !c.holds.every((h) => typeof h === 'string')) throw refuse('has holds that are not a list of strings', c.id);
    if (c.category !== undefined && (typeof c.category !== 'string' || c.category === '')) throw refuse('has an empty category', c.id);
    if (c.retainUntil !== undefined && (typeof c.retainUntil !== 'string' || !Number.isFinite(Date.parse(c.retainUntil)))) {
      throw refuse('has an unparseable retainUntil', c.id);
    }
  }
}

/** The document with the change applied; key order is kept, so an unchanged document serialises identically. */
export function applyRetentionChange(doc: IndexDocument, c: RetentionChange): IndexDocument {
  return { ...doc, holds: [...c.holds], category: c.category ?? doc.category, retainUntil: c.retainUntil ?? doc.retainUntil };
}
