// The composition root: builds every component from the configuration, wires them together,
// and starts the listeners. Nothing else constructs long-lived parts.
import { EventEmitter } from 'node:events';
import { mkdir, readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Registry, Counter, collectDefaultMetrics } from 'prom-client';
import type { SMTPServer } from 'smtp-server';
import { describe, SteleError } from '../core/errors.ts';
import { systemClock, type Clock } from '../core/clock.ts';
import type { Logger } from '../core/log.ts';
import {
  IngestPipeline, Indexer, WorkerPool, createIngestMetrics, createSmtpReceiver, httpServerLimits, type IngestMetrics,
} from '../ingest/index.ts';
import { openIndex, type SearchIndex } from '../search/index.ts';
import { Ledger, Vault, MESSAGE_EVENTS, messageKey, loadOrCreateKeyring, loadSodium, openStore, type Sodium } from '../vault/index.ts';
import { createRetention, type Retention } from '../retention/index.ts';
import { SqliteCatalog } from './catalog/sqlite-catalog.ts';
import { ensureFirstRunSecrets, IngestTokens, type FirstRunSecrets } from './accounts/first-run.ts';
import type { Config } from './config.ts';
import type { Express } from 'express';
import { createAuth, type Auth } from './auth/index.ts';
import { createApp } from './http/app.ts';
import { searchRoutes } from './http/search-routes.ts';
import { messageRoutes } from './http/message-routes.ts';
import { retentionRoutes } from './http/retention-routes.ts';
import { discoveryRoutes } from './http/discovery-routes.ts';
import { holdPreviewRoutes } from './http/hold-preview-routes.ts';
import { Discovery } from '../discovery/index.ts';
import { componentHealth } from './http/health-route.ts';
import { smtpAllowRoutes } from './http/smtp-allow-routes.ts';
import { verifyRoutes } from './http/verify-routes.ts';
import { VerifyJobs } from './http/verify-jobs.ts';
import { SmtpAllowList } from './catalog/smtp-allow-list.ts';
import { acquireWriterLock } from './process-lock.ts';
import { OpsAlerts } from './ops-alerts.ts';
import { startReplicationJob, DEFAULT_REPLICATION_INTERVAL_MS, DEFAULT_REHASH_EVERY } from '../vault/replication.ts';


export interface Core {
  config: Config;
  log: Logger;
  sodium: Sodium;
  vault: Vault;
  ledger: Ledger;
  index: SearchIndex;
  catalog: SqliteCatalog;
  registry: Registry;
  /** "region-error" (region, op, err) and "ingested" (): what operational alerts listen to. */
  events: EventEmitter;
  firstRun: FirstRunSecrets;
  keysCreated: boolean;
  close(): Promise<void>;
}

/** Opens storage, ledger, index and catalog: what every CLI command needs. */
export async function openCore(config: Config, log: Logger, opts: { clock?: Clock; bcryptCost?: number } = {}): Promise<Core> {
  await mkdir(config.dataDir, { recursive: true });
  const unlock = await acquireWriterLock(config.dataDir, process.argv.slice(2, 3).join(' ') || 'stele');
  try {
    return await openLocked(config, log, opts, unlock);
  } catch (err) {
    await unlock();
    throw err;
  }
}

async function openLocked(config: Config, log: Logger, opts: { clock?: Clock; bcryptCost?: number }, unlock: () => Promise<void>): Promise<Core> {
  const sodium = await loadSodium();
  const { keyring, created: keysCreated } = await loadOrCreateKeyring(config.keyDir);
  const registry = new Registry();
  const regionErrors = new Counter({ name: 'stele_region_errors_total', help: 'Storage operations that failed, by region', labelNames: ['region', 'op'], registers: [registry] });
  const stores = await Promise.all(Object.entries(config.vault).map(([name, url]) => openStore(name, url, { clock: opts.clock })));
  const events = new EventEmitter();
  const vault = new Vault(stores, sodium, keyring, (region, op, err) => {
    regionErrors.inc({ region, op });
    events.emit('region-error', region, op, err);
    log.warn('region operation failed', { region, op, error: describe(err) });
  });
  const ledger = new Ledger({ vault, sodium, mirrorPath: join(config.dataDir, 'ledger.db'), clock: opts.clock, log });
  await ledger.open();
  const index = await openIndex(config.index);
  const catalog = new SqliteCatalog(join(config.dataDir, 'catalog.db'));
  const firstRun = await ensureFirstRunSecrets(catalog, config, { bcryptCost: opts.bcryptCost ?? config.auth.bcryptCost });
  return {
    config, log, sodium, vault, ledger, index, catalog, registry, events, firstRun, keysCreated,
    async close() {
      await ledger.close();
      await index.close();
      catalog.close();
      await vault.close();
      await unlock();
    },
  };
}

export interface Ingest {
  pipeline: IngestPipeline;
  indexer: Indexer;
  retention: Retention;
  pool: WorkerPool;
  metrics: IngestMetrics;
  close(): Promise<void>;
}

/** The pipeline and the indexer that follows it: what `serve` and `import` share. */
export function createPipeline(core: Core, opts: { clock?: Clock } = {}): Ingest {
  const pool = new WorkerPool(core.config.parseWorkers, core.vault.keyring);
  const indexer = new Indexer({
    ledger: core.ledger, vault: core.vault, index: core.index, pool, log: core.log, removedBy: MESSAGE_EVENTS.destroyed,
    ingestBusy: () => pipeline.busy,
    // Read only once indexing runs, after retention below is built.
    retentionOf: (id) => retention.recordOf(id),
  });
  const retention = createRetention({
    vault: core.vault, sodium: core.sodium, ledger: core.ledger, index: core.index, log: core.log, clock: opts.clock,
    dbPath: join(core.config.dataDir, 'retention.db'), indexCaughtUp: () => indexer.caughtUp(),
    options: core.config.retention,
  });
  const metrics = createIngestMetrics(core.registry);
  const pipeline = new IngestPipeline({
    vault: core.vault, ledger: core.ledger, pool, metrics, log: core.log, clock: opts.clock,
    classify: retention.classify,
    maxMessageBytes: core.config.maxMessageBytes,
    receiveBufferBytes: core.config.ingestBufferBytes,
    afterCommit: (sha256, raw) => {
      core.events.emit('ingested');
      if (raw) indexer.remember(sha256, raw);
      indexer.notify();
    },
  });
  indexer.notify(); // catch up on whatever the index missed before this start
  return {
    pipeline, indexer, pool, metrics, retention,
    async close() {
      await retention.close(); // its jobs wait on the indexer, so it stops first
      await indexer.close();
      await pool.close();
    },
  };
}

export interface RunningStele {
  core: Core;
  pipeline: IngestPipeline;
  indexer: Indexer;
  httpPort: number;
  smtpPort: number;
  /** The express app, so tests can list every route (test/role-matrix.test.ts). */
  app: Express;
  auth: Auth;
  close(): Promise<void>;
}

/** Starts the whole service: the pipeline and indexer, then the HTTP and SMTP listeners. */
export async function startStele(config: Config, log: Logger, opts: { clock?: Clock; bcryptCost?: number } = {}): Promise<RunningStele> {
  if (config.bind !== '127.0.0.1' && config.bind !== '::1' && config.bind !== 'localhost' && !config.tls && !config.allowPlaintext) {
    throw new SteleError('bad_request', `refusing to listen on ${config.bind} without TLS: set STELE_TLS_CERT/STELE_TLS_KEY, or STELE_ALLOW_PLAINTEXT=true behind a TLS proxy`);
  }
  const core = await openCore(config, log, opts);
  collectDefaultMetrics({ register: core.registry });
  const ingest = createPipeline(core, opts);
  try {
    return await listenAll(config, log, core, ingest, opts);
  } catch (err) {
    await ingest.close();
    await core.close();
    throw err;
  }
}

async function listenAll(config: Config, log: Logger, core: Core, ingest: Ingest, opts: { clock?: Clock; bcryptCost?: number }): Promise<RunningStele> {
  const { pipeline, indexer, metrics } = ingest;
  ingest.retention.start();
  // Compares the regions and copies back what one of them lost, on the ledger's one writer.
  const replication = startReplicationJob(core, { intervalMs: DEFAULT_REPLICATION_INTERVAL_MS, rehashEvery: DEFAULT_REHASH_EVERY });
  const tls = config.tls ? { key: await readFile(config.tls.keyPath), cert: await readFile(config.tls.certPath) } : undefined;
  const tokens = new IngestTokens(core.catalog);
  const auth = createAuth({ catalog: core.catalog, ledger: core.ledger, log, config, keyring: core.vault.keyring, clock: opts.clock, bcryptCost: opts.bcryptCost });
  const guard = { authorize: auth.authorize, audit: auth.audit };
  // Configured CIDRs plus the ones admins manage in the catalog; the receiver asks it per connection.
  const allowList = new SmtpAllowList(core.catalog, config.smtpAllow);
  const verifyJobs = new VerifyJobs({ vault: core.vault, sodium: core.sodium, ledger: core.ledger, log, clock: opts.clock ?? systemClock });
  const ops = new OpsAlerts(auth.alerts, opts.clock ?? systemClock, { ingestPerMinute: config.alertIngestPerMinute });
  core.events.on('region-error', (region: string, op: string, err: unknown) => ops.regionError(region, op, err));
  core.events.on('ingested', () => ops.ingested());
  const discovery = new Discovery({
    index: core.index, readMessage: (id) => core.vault.getOpened(messageKey(id)), appendLedger: (e) => core.ledger.append(e),
    sodium: core.sodium, signing: core.vault.keyring.signing, dataDir: config.dataDir, log, clock: opts.clock,
    archiveName: config.hostname, holdExists: (id) => void ingest.retention.hold(id),
  });
  const app = createApp({
    auth,
    resources: [
      searchRoutes({ index: core.index, ...guard }),
      messageRoutes({ index: core.index, vault: core.vault, ledger: core.ledger, messageKey, retentionOf: (id) => ingest.retention.recordOf(id), ...guard }),
      retentionRoutes({ retention: ingest.retention, ...guard }),
      holdPreviewRoutes({ retention: ingest.retention, index: core.index, ledger: core.ledger, indexCaughtUp: () => indexer.caughtUp(), ...guard }),
      discoveryRoutes({ discovery, ...guard }),
      verifyRoutes({ jobs: verifyJobs, ...guard }),
      smtpAllowRoutes({ allowList, clock: opts.clock ?? systemClock, ...guard }),
    ],
    log, registry: core.registry,
    journal: { pipeline, metrics, maxMessageBytes: config.maxMessageBytes, checkToken: (t: string) => tokens.check(t) },
    health: componentHealth({
      regions: core.vault.regions, ledgerHealthy: () => core.ledger.healthy, indexLag: () => indexer.lag(),
      smtp: () => ({ listening: smtp.server.listening, allowEntries: allowList.configured.length + allowList.entries().length }),
      replication: () => replication.lastReport,
    }),
  });
  const http: Server = tls ? createHttpsServer({ ...tls, ...httpServerLimits(config.httpTimeouts) }, app) : createHttpServer(httpServerLimits(config.httpTimeouts), app);
  const smtp = createSmtpReceiver({ pipeline, allow: allowList, maxMessageBytes: config.maxMessageBytes, metrics, log, hostname: config.hostname, tls, maxClients: config.smtpMaxClients });
  await listen(http, config.httpPort, config.bind);
  await new Promise<void>((resolve, reject) => {
    smtp.once('error', reject);
    smtp.listen(config.smtpPort, config.bind, () => resolve());
  });
  const httpPort = (http.address() as AddressInfo).port;
  const smtpPort = (smtp.server.address() as AddressInfo).port;
  log.info('stele started', { http: `${config.bind}:${httpPort}`, smtp: `${config.bind}:${smtpPort}`, vault: core.vault.regions.map((r) => r.address), index: core.index.backend });
  return {
    core, pipeline, indexer, httpPort, smtpPort, app, auth,
    async close() {
      await closeSmtp(smtp);
      await new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeAllConnections?.();
      await auth.close();
      await discovery.close(); // waits for a running export
      await replication.stop();
      await verifyJobs.close();
      await ingest.close();
      await core.close();
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
}

function closeSmtp(smtp: SMTPServer): Promise<void> {
  return new Promise((resolve) => smtp.close(() => resolve()));
}
