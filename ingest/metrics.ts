// Prometheus metrics of ingest: volume, refusals by reason, latency, failures.
import { Counter, Histogram, type Registry } from 'prom-client';
import type { IngestRequest, IngestResult } from './types.ts';

export interface IngestMetrics {
  refused: Counter<'reason'>;
  failed: Counter<'source'>;
  observe(req: IngestRequest, res: IngestResult, startedNs: bigint): void;
}

export function createIngestMetrics(registry: Registry): IngestMetrics {
  const messages = new Counter({ name: 'stele_ingest_messages_total', help: 'Messages accepted', labelNames: ['source', 'duplicate'], registers: [registry] });
  const bytes = new Counter({ name: 'stele_ingest_bytes_total', help: 'Raw bytes accepted', labelNames: ['source'], registers: [registry] });
  const latency = new Histogram({
    name: 'stele_ingest_seconds', help: 'Time from receipt of the whole message to durable', labelNames: ['source'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry],
  });
  return {
    refused: new Counter({ name: 'stele_ingest_refused_total', help: 'Messages refused, by reason', labelNames: ['reason'], registers: [registry] }),
    failed: new Counter({ name: 'stele_ingest_failed_total', help: 'Ingests answered with a retryable failure', labelNames: ['source'], registers: [registry] }),
    observe(req, res, startedNs) {
      messages.inc({ source: req.source, duplicate: String(res.duplicate) });
      bytes.inc({ source: req.source }, req.raw.length);
      latency.observe({ source: req.source }, Number(process.hrtime.bigint() - startedNs) / 1e9);
    },
  };
}
