// Importers of existing mail (mbox, .eml directories, Maildir) into the archive through the
// ingest pipeline: the public API `stele import` uses.
export { importPath, DEFAULT_IMPORT_CONCURRENCY, type ImportOptions, type ImportSummary, type ImportProgress, type ImportFormat } from './import-path.ts';
export type { ImportCounts, Outcome, Failure, IngestFn } from './ingest-queue.ts';
export { readMbox, MboxSplitter, looksLikeMbox, type MboxMessage } from './mbox-reader.ts';
export { walkTree, compareRel, isMaildir, type TreeFile } from './tree-walk.ts';
export { progressFileFor } from './progress-file.ts';
