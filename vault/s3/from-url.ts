// Opens an s3 region from its URL: s3://ACCESS:SECRET@host:port/bucket?region=R (http) or s3s://
// (https). Credentials may be percent-encoded; they never appear in the store's address.
import { SteleError } from '../../core/errors.ts';
import { stripPassword } from '../../core/log.ts';
import type { ObjectStore } from '../port.ts';
import { createS3Store, type S3StoreOptions } from './s3-store.ts';

export function parseS3Url(region: string, url: string): S3StoreOptions {
  const bad = (why: string) => new SteleError('bad_request', `vault URL of region ${region} (${stripPassword(url)}): ${why}`);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw bad('not a URL');
  }
  if (u.protocol !== 's3:' && u.protocol !== 's3s:') throw bad('use s3:// or s3s://');
  const bucket = u.pathname.replace(/^\/+|\/+$/g, '');
  if (!bucket || bucket.includes('/')) throw bad('name exactly one bucket: s3://ACCESS:SECRET@host:port/bucket');
  if (!u.username || !u.password) throw bad('credentials are missing: s3://ACCESS:SECRET@host:port/bucket');
  return {
    region,
    endpoint: `${u.protocol === 's3s:' ? 'https' : 'http'}://${u.host}`,
    accessKey: decodeURIComponent(u.username),
    secretKey: decodeURIComponent(u.password),
    bucket,
    s3Region: u.searchParams.get('region') ?? undefined,
  };
}

export async function openS3FromUrl(region: string, url: string): Promise<ObjectStore> {
  return createS3Store(parseS3Url(region, url));
}
