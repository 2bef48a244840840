// The `s3` vault adapter: one bucket with Object Lock on one S3 endpoint is one region. WORM rests
// on the server (COMPLIANCE retention and the legal-hold flag on every version) and on the same
// checks as the fs adapter here, so neither alone has to be trusted.
//
// S3 facts this file leans on (AWS S3 API reference, "Object Lock"):
// - Object Lock implies versioning. A plain DELETE only stacks a delete marker over the data, so
//   delete() removes every version by id: after disposal the bytes are really gone.
// - Retain-until dates have whole-second precision; we round up, never down (rounding down
//   would let an object go up to a second early).
// - A PUT that carries Object Lock headers must also carry Content-MD5.
// - `If-None-Match: *` on PUT makes put-once atomic on servers with conditional writes; the head
//   check before it covers servers without them.
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { Client, LEGAL_HOLD_STATUS, RETENTION_MODES, S3Error, type ObjectLockInfo } from 'minio';
import { systemClock, type Clock } from '../../core/clock.ts';
import { SteleError, isSteleError, storageError } from '../../core/errors.ts';
import { isValidKey, type ObjectInfo, type ObjectStore, type PutOptions } from '../port.ts';

export interface S3StoreOptions {
  /** Our region name ("a", "b"). */
  region: string;
  /** http(s)://host:port of the S3 service. */
  endpoint: string;
  accessKey: string;
  secretKey: string;
  bucket: string;
  /** The S3 region string the service answers for; default us-east-1. */
  s3Region?: string;
  clock?: Clock;
  /** A request with no progress for this long fails as storage_unavailable instead of hanging. */
  requestTimeoutMs?: number;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** Keeps the retain-until we were asked for, for objects whose date had passed before the put. */
const RETAIN_META = 'x-amz-meta-stele-retain-until';
/** S3 rejects a retain-until in the past; closer than this we store the date in metadata only. */
const LOCK_MIN_AHEAD_MS = 2_000;
const NOT_FOUND_CODES = new Set(['NoSuchKey', 'NotFound', 'NoSuchVersion']);
const LOCK_REFUSAL_CODES = new Set(['AccessDenied', 'ObjectLocked', 'InvalidRequest']);

interface VersionInfo extends ObjectInfo {
  versionId: string | undefined;
}

interface VersionRef {
  versionId: string;
  deleteMarker: boolean;
  latest: boolean;
}

export async function createS3Store(opts: S3StoreOptions): Promise<ObjectStore> {
  const store = new S3Store(opts);
  await store.init();
  return store;
}

class S3Store implements ObjectStore {
  readonly region: string;
  readonly address: string;
  private readonly client: Client;
  private readonly agent: http.Agent;
  private readonly bucket: string;
  private readonly s3Region: string;
  private readonly clock: Clock;

  constructor(opts: S3StoreOptions) {
    let url: URL;
    try {
      url = new URL(opts.endpoint);
    } catch {
      throw new SteleError('bad_request', `s3 endpoint of region ${opts.region} is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new SteleError('bad_request', `s3 endpoint of region ${opts.region} must be http(s)://host:port`);
    }
    const useSSL = url.protocol === 'https:';
    this.region = opts.region;
    this.bucket = opts.bucket;
    this.s3Region = opts.s3Region ?? 'us-east-1';
    this.clock = opts.clock ?? systemClock;
    this.address = `${useSSL ? 's3s' : 's3'}://${url.host}/${opts.bucket}?region=${this.s3Region}`;
    const timeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const lib = useSSL ? https : http;
    this.agent = new lib.Agent({ keepAlive: true });
    // minio-js sets no timeout of its own: a region that stops answering would hang an ingest.
    const transport = {
      request: ((...args: Parameters<typeof http.request>) => {
        const req = (lib.request as typeof http.request)(...args);
        req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer from ${url.host} in ${timeoutMs} ms`)));
        return req;
      }) as typeof http.request,
    };
    this.client = new Client({
      endPoint: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      useSSL,
      accessKey: opts.accessKey,
      secretKey: opts.secretKey,
      region: this.s3Region,
      pathStyle: true,
      transport,
      transportAgent: this.agent,
    });
  }

  async init(): Promise<void> {
    await this.call('open bucket', async () => {
      if (!(await this.client.bucketExists(this.bucket))) {
        try {
          await this.client.makeBucket(this.bucket, this.s3Region, { ObjectLocking: true });
        } catch (err) {
          // Another process (the other test file, a second node) may have created it meanwhile.
          if (!(err instanceof S3Error && /^BucketAlready(OwnedByYou|Exists)$/.test(err.code ?? ''))) throw err;
        }
      }
    });
    let lock: ObjectLockInfo | undefined;
    try {
      lock = (await (this.client.getObjectLockConfig(this.bucket) as unknown as Promise<ObjectLockInfo>)) ?? undefined;
    } catch (err) {
      if (!(err instanceof S3Error && /ObjectLockConfiguration/.test(err.code ?? ''))) {
        throw storageError(`read Object Lock configuration of ${this.address}`, err);
      }
    }
    if (lock?.objectLockEnabled !== 'Enabled') {
      // A bucket without Object Lock cannot hold WORM records; refuse it at start-up.
      throw new SteleError('bad_request', `bucket ${this.address} exists without Object Lock; use a bucket created with Object Lock enabled`);
    }
  }

  async put(key: string, body: Buffer, opts: PutOptions): Promise<void> {
    checkKey(key);
    if (await this.head(key)) throw exists(key);
    await this.write(key, body, { retainUntil: opts.retainUntil, legalHold: opts.legalHold ?? false }, true);
  }

  async get(key: string): Promise<Buffer> {
    checkKey(key);
    return this.call(`get ${key}`, async () => {
      let stream: Readable;
      try {
        stream = await this.client.getObject(this.bucket, key);
      } catch (err) {
        if (isNotFound(err)) throw notFound(key, this.region);
        throw err;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    });
  }

  async head(key: string): Promise<ObjectInfo | null> {
    checkKey(key);
    const info = await this.headVersion(key);
    if (!info) return null;
    return { key: info.key, size: info.size, retainUntil: info.retainUntil, legalHold: info.legalHold };
  }

  async *list(prefix: string): AsyncIterable<string> {
    let last = '';
    try {
      // S3 lists keys in ascending UTF-8 byte order, which for our ASCII keys is string order,
      // so the listing streams page by page instead of being gathered and sorted.
      for await (const item of this.client.listObjectsV2(this.bucket, prefix, true)) {
        const name = (item as { name?: string }).name;
        if (name === undefined) continue;
        if (name <= last) throw new SteleError('internal', `${this.address} listed ${name} after ${last}`);
        last = name;
        yield name;
      }
    } catch (err) {
      throw storageError(`list ${prefix} in ${this.address}`, err);
    }
  }

  async setLegalHold(key: string, on: boolean): Promise<void> {
    checkKey(key);
    const current = await this.mustHead(key);
    // The flag is kept on every version so that a restored key still behaves as one object.
    for (const info of await this.dataVersions(key, current)) {
      if (info.legalHold === on) continue;
      await this.call(`set legal hold on ${key}`, () =>
        this.client.setObjectLegalHold(this.bucket, key, {
          status: on ? LEGAL_HOLD_STATUS.ENABLED : LEGAL_HOLD_STATUS.DISABLED,
          versionId: info.versionId,
        }) as unknown as Promise<void>,
      );
    }
  }

  async extendRetention(key: string, until: Date): Promise<void> {
    checkKey(key);
    const current = await this.mustHead(key);
    const target = ceilToSecond(until);
    if (target.getTime() < current.retainUntil.getTime()) {
      throw new SteleError('retention_shorten', `retain-until of ${key} can only grow`);
    }
    // A date already past protects nothing and S3 refuses it; there is nothing to extend.
    if (target.getTime() <= this.clock.now().getTime() + LOCK_MIN_AHEAD_MS) return;
    for (const info of await this.dataVersions(key, current)) {
      if (info.retainUntil.getTime() >= target.getTime()) continue;
      await this.call(`extend retention of ${key}`, async () => {
        try {
          await this.client.putObjectRetention(this.bucket, key, {
            mode: RETENTION_MODES.COMPLIANCE,
            retainUntilDate: target.toISOString(),
            ...(info.versionId ? { versionId: info.versionId } : {}),
          } as Parameters<Client['putObjectRetention']>[2]);
        } catch (err) {
          // The server refuses a shorter date too; say so in our words.
          if (err instanceof S3Error && LOCK_REFUSAL_CODES.has(err.code ?? '')) {
            throw new SteleError('retention_shorten', `${this.address} refused to change retain-until of ${key}`, { cause: err });
          }
          throw err;
        }
      });
    }
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    const current = await this.mustHead(key);
    const refs = await this.versionRefs(key);
    const data = await this.dataVersions(key, current, refs);
    // Every version is checked before any is removed, so a refusal leaves the key as it was.
    for (const info of data) this.refuseIfLocked(info);
    // Older versions and delete markers first, the current version last: if anything fails
    // midway, the key is still there and the delete can be retried.
    const order = refs.length > 0 ? [...refs].sort((x, y) => Number(x.latest) - Number(y.latest)) : [undefined];
    for (const ref of order) {
      await this.call(`delete ${key}`, async () => {
        try {
          await this.client.removeObject(this.bucket, key, ref ? { versionId: ref.versionId } : {});
        } catch (err) {
          if (isNotFound(err)) return; // removed meanwhile
          if (err instanceof S3Error && LOCK_REFUSAL_CODES.has(err.code ?? '') && ref && !ref.deleteMarker) {
            throw await this.serverRefusal(key, ref.versionId, err);
          }
          throw err;
        }
      });
    }
  }

  async restore(key: string, body: Buffer, opts: PutOptions): Promise<void> {
    checkKey(key);
    const old = await this.head(key);
    if (!old) return this.put(key, body, opts);
    // The damaged version stays, still locked, under the new one; the lock only grows.
    const wanted = ceilToSecond(opts.retainUntil);
    await this.write(
      key,
      body,
      {
        retainUntil: old.retainUntil > wanted ? old.retainUntil : wanted,
        legalHold: old.legalHold || (opts.legalHold ?? false),
      },
      false,
    );
  }

  async ping(): Promise<void> {
    const found = await this.call('ping', () => this.client.bucketExists(this.bucket));
    if (!found) throw new SteleError('storage_unavailable', `bucket of ${this.address} is missing`);
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }

  private async write(key: string, body: Buffer, lock: { retainUntil: Date; legalHold: boolean }, onlyIfAbsent: boolean): Promise<void> {
    const retainUntil = ceilToSecond(lock.retainUntil);
    const headers: Record<string, string> = {
      'Content-Type': 'application/octet-stream',
      'Content-MD5': createHash('md5').update(body).digest('base64'),
      [RETAIN_META]: lock.retainUntil.toISOString(),
      'x-amz-object-lock-legal-hold': lock.legalHold ? 'ON' : 'OFF',
    };
    if (retainUntil.getTime() > this.clock.now().getTime() + LOCK_MIN_AHEAD_MS) {
      headers['x-amz-object-lock-mode'] = 'COMPLIANCE';
      headers['x-amz-object-lock-retain-until-date'] = retainUntil.toISOString();
    }
    if (onlyIfAbsent) headers['If-None-Match'] = '*';
    await this.call(`put ${key}`, async () => {
      try {
        // putObject() would turn the Object Lock headers into user metadata (x-amz-meta-...),
        // so the request is made at the level that sends headers as they are.
        await this.client.makeRequestAsyncOmit({ method: 'PUT', bucketName: this.bucket, objectName: key, headers }, body, [200], this.s3Region);
      } catch (err) {
        if (err instanceof S3Error && err.code === 'PreconditionFailed') throw exists(key);
        throw err;
      }
    });
  }

  /** The current version (no versionId) or one version; null when there is none. */
  private async headVersion(key: string, versionId?: string): Promise<VersionInfo | null> {
    return this.call(`head ${key}`, async () => {
      let res: http.IncomingMessage;
      try {
        res = (await this.client.makeRequestAsyncOmit(
          { method: 'HEAD', bucketName: this.bucket, objectName: key, query: versionId ? `versionId=${encodeURIComponent(versionId)}` : '' },
          '',
          [200],
          this.s3Region,
        )) as http.IncomingMessage;
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
      const h = res.headers;
      const vid = header(h, 'x-amz-version-id') ?? versionId;
      const lockUntil = header(h, 'x-amz-object-lock-retain-until-date') ?? (await this.retentionOf(key, vid));
      const asked = header(h, RETAIN_META);
      const holdHeader = header(h, 'x-amz-object-lock-legal-hold');
      // S3 leaves the hold header out when no hold was ever set (versitygw also when it is OFF);
      // a server that shows the lock mode in HEAD shows a hold too, so only ask when it shows none.
      const echoesLock = header(h, 'x-amz-object-lock-mode') !== undefined;
      const legalHold = holdHeader !== undefined ? holdHeader === 'ON' : echoesLock ? false : await this.legalHoldOf(key, vid);
      // Without a server lock (its date had passed at put time) the date we were asked for counts.
      const retainUntil = new Date(lockUntil ?? asked ?? 0);
      if (Number.isNaN(retainUntil.getTime())) throw new Error(`unreadable retain-until for ${key}: ${lockUntil ?? asked}`);
      return { key, size: Number(header(h, 'content-length') ?? 0), retainUntil, legalHold, versionId: vid };
    });
  }

  /** For servers that do not echo the lock in HEAD: GET ?retention, or undefined when unset. */
  private async retentionOf(key: string, versionId: string | undefined): Promise<string | undefined> {
    try {
      const res = await this.client.makeRequestAsync(
        { method: 'GET', bucketName: this.bucket, objectName: key, query: `retention${versionId ? `&versionId=${encodeURIComponent(versionId)}` : ''}` },
        '',
        [200],
        this.s3Region,
      );
      let xml = '';
      for await (const chunk of res) xml += String(chunk);
      // The root element differs between servers (Retention, ObjectLockRetention): read the field.
      return /<RetainUntilDate>([^<]+)<\/RetainUntilDate>/.exec(xml)?.[1];
    } catch (err) {
      if (err instanceof S3Error && /ObjectLockConfiguration/.test(err.code ?? '')) return undefined;
      throw err;
    }
  }

  private async legalHoldOf(key: string, versionId: string | undefined): Promise<boolean> {
    try {
      const res = await this.client.getObjectLegalHold(this.bucket, key, versionId ? { versionId } : undefined);
      return (res as { Status?: string } | undefined)?.Status === 'ON';
    } catch (err) {
      if (err instanceof S3Error && /ObjectLockConfiguration/.test(err.code ?? '')) return false;
      throw err;
    }
  }

  private async mustHead(key: string): Promise<VersionInfo> {
    const info = await this.headVersion(key);
    if (!info) throw notFound(key, this.region);
    return info;
  }

  /** All versions and delete markers of exactly `key`, newest first as S3 lists them. */
  private async versionRefs(key: string): Promise<VersionRef[]> {
    return this.call(`list versions of ${key}`, async () => {
      const refs: VersionRef[] = [];
      for await (const raw of this.client.listObjects(this.bucket, key, true, { IncludeVersion: true })) {
        const item = raw as { name?: string; versionId?: string; isDeleteMarker?: boolean; isLatest?: boolean };
        if (item.name === undefined || item.name < key) continue;
        if (item.name > key) break; // listed in key order: the rest are other keys with this prefix
        if (!item.versionId || item.versionId === 'null') continue;
        refs.push({ versionId: item.versionId, deleteMarker: item.isDeleteMarker === true, latest: item.isLatest === true });
      }
      return refs;
    });
  }

  /** Lock state of every version holding data; at least the current one. */
  private async dataVersions(key: string, current: VersionInfo, refs?: VersionRef[]): Promise<VersionInfo[]> {
    const all = refs ?? (await this.versionRefs(key));
    const out: VersionInfo[] = [current];
    for (const ref of all) {
      if (ref.deleteMarker || ref.versionId === current.versionId) continue;
      const info = await this.headVersion(key, ref.versionId);
      if (info) out.push(info);
    }
    return out;
  }

  private refuseIfLocked(info: VersionInfo): void {
    if (info.legalHold) throw new SteleError('legal_hold', `${info.key} is under a legal hold`);
    if (this.clock.now().getTime() < info.retainUntil.getTime()) {
      throw new SteleError('retention_active', `${info.key} is retained until ${info.retainUntil.toISOString()}`);
    }
  }

  /** The server refused to remove a version: tell why in our codes (its clock may differ from ours). */
  private async serverRefusal(key: string, versionId: string, cause: S3Error): Promise<SteleError> {
    const info = await this.headVersion(key, versionId).catch(() => null);
    if (info?.legalHold) return new SteleError('legal_hold', `${this.address} refused to delete ${key}: legal hold`, { cause });
    return new SteleError('retention_active', `${this.address} refused to delete ${key}: object locked`, { cause });
  }

  /** Runs one backend call; anything that is not already a SteleError is the backend failing. */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isSteleError(err)) throw err;
      throw storageError(`${what} in ${this.address}`, err);
    }
  }
}

function checkKey(key: string): void {
  if (!isValidKey(key)) throw new SteleError('bad_request', `invalid object key: ${JSON.stringify(key)}`);
}

function exists(key: string): SteleError {
  return new SteleError('object_exists', `object ${key} already exists`);
}

function notFound(key: string, region: string): SteleError {
  return new SteleError('not_found', `no object ${key} in region ${region}`);
}

function isNotFound(err: unknown): boolean {
  return err instanceof S3Error && NOT_FOUND_CODES.has(err.code ?? '');
}

function header(h: http.IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** S3 keeps retain-until in whole seconds; rounding up keeps "not before this instant" true. */
export function ceilToSecond(d: Date): Date {
  return new Date(Math.ceil(d.getTime() / 1000) * 1000);
}
