// setRetention for the SQLite index: rewrites a document's retention fields where they are
// stored (docs.category, the 'hold' rows of terms, and the stored document) without touching
// its text, addresses or FTS row; one transaction per batch.
import type Database from 'better-sqlite3';
import type { IndexDocument, RetentionChange } from '../port.ts';
import { applyRetentionChange, validateRetentionChanges } from '../retention-change.ts';

export function createRetentionWriter(db: Database.Database): (changes: RetentionChange[]) => void {
  const s = {
    existing: db.prepare('SELECT rowid AS r, doc FROM docs WHERE id = ?'),
    update: db.prepare('UPDATE docs SET category = ?, doc = ? WHERE rowid = ?'),
    dropHolds: db.prepare("DELETE FROM terms WHERE doc = ? AND field = 'hold'"),
    hold: db.prepare("INSERT INTO terms (doc, field, value) VALUES (?, 'hold', ?)"),
  };
  const apply = db.transaction((changes: RetentionChange[]) => {
    for (const c of changes) {
      const row = s.existing.get(c.id) as { r: number; doc: string } | undefined;
      if (!row) continue; // not indexed (yet, or any more): the port ignores it
      const doc = applyRetentionChange(JSON.parse(row.doc) as IndexDocument, c);
      const json = JSON.stringify(doc);
      if (json === row.doc) continue; // idempotent: nothing to rewrite
      s.update.run(doc.category, json, row.r);
      s.dropHolds.run(row.r);
      // Lower-cased as write.ts keywordRows stores them, so hold: matches the same way.
      for (const h of new Set(c.holds.map((x) => x.trim().toLowerCase()))) s.hold.run(row.r, h);
    }
  });
  return (changes) => {
    validateRetentionChanges(changes);
    apply(changes);
  };
}
