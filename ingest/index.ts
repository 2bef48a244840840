// The ingest capability's public API.
export { IngestPipeline, MESSAGE_INGESTED, MESSAGE_DUPLICATE, messageKey, type PipelineDeps } from './pipeline.ts';
export { Indexer, mergeEnvelope, type IndexerDeps } from './indexer.ts';
export { WorkerPool } from './parse/pool.ts';
export { parseMessage, parseLeniently, type ParsedMessage } from './parse/parse-message.ts';
export { readSummary } from './parse/headers.ts';
export { buildDocument, type ArchiveFacts } from './document.ts';
export { createIngestMetrics, type IngestMetrics } from './metrics.ts';
export { createSmtpReceiver, type SmtpReceiverOptions } from './smtp/smtp-receiver.ts';
export { parseAllowList, type AllowList } from './smtp/allow-list.ts';
export { journalHandler, type JournalRouteDeps } from './http/journal-route.ts';
export { httpServerLimits, type HttpTimeouts } from './http/server-limits.ts';
export type { Envelope, IngestRequest, IngestResult, Classification, Classify } from './types.ts';
