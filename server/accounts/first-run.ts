// First-run secrets: the first admin's password and an ingest token. Taken from configuration
// when given, otherwise generated; either way only a hash is stored. Generated ones are
// returned so the caller can show them once on the console (never in a log line).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import bcrypt from 'bcrypt';
import type { SqliteCatalog } from '../catalog/sqlite-catalog.ts';
import { SteleError } from '../../core/errors.ts';
import { passwordProblems } from './password-policy.ts';

/** OWASP's minimum work factor for bcrypt is 10; 12 keeps a login near a quarter second. */
export const BCRYPT_COST = 12;

export interface FirstRunSecrets {
  adminPassword?: string;
  ingestToken?: string;
}

export async function ensureFirstRunSecrets(
  catalog: SqliteCatalog,
  cfg: { adminPassword?: string; ingestToken?: string },
  opts: { bcryptCost?: number } = {},
): Promise<FirstRunSecrets> {
  const shown: FirstRunSecrets = {};
  if (catalog.countUsers() === 0) {
    const problems = cfg.adminPassword ? passwordProblems(cfg.adminPassword, 'admin') : [];
    if (problems.length) throw new SteleError('bad_request', `invalid configuration:\n  STELE_ADMIN_PASSWORD: ${problems.join('; ')}`);
    const password = cfg.adminPassword ?? randomBytes(18).toString('base64url');
    catalog.addUser({ username: 'admin', passwordHash: await bcrypt.hash(password, opts.bcryptCost ?? BCRYPT_COST), roles: ['admin'], createdAt: new Date().toISOString() });
    if (!cfg.adminPassword) shown.adminPassword = password;
  }
  if (cfg.ingestToken) {
    catalog.addToken({ id: 'config', sha256: sha256(cfg.ingestToken), label: 'from STELE_INGEST_TOKEN', createdAt: new Date().toISOString() });
  } else if (catalog.tokens().length === 0) {
    const token = `stl_${randomBytes(24).toString('base64url')}`;
    catalog.addToken({ id: randomBytes(6).toString('hex'), sha256: sha256(token), label: 'generated at first run', createdAt: new Date().toISOString() });
    shown.ingestToken = token;
  }
  return shown;
}

/**
 * Ingest tokens are long random strings, so a SHA-256 is enough to store them (bcrypt is for
 * guessable passwords, and would cost a quarter second on every journaled message).
 */
export class IngestTokens {
  constructor(private readonly catalog: SqliteCatalog) {}

  /** The token's id when valid, else null. */
  check(token: string): string | null {
    const digest = Buffer.from(sha256(token), 'hex');
    for (const t of this.catalog.tokens()) {
      if (timingSafeEqual(digest, Buffer.from(t.sha256, 'hex'))) return t.id;
    }
    return null;
  }
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}
