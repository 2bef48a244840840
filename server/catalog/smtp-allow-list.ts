// The SMTP allow-list admins manage: entries kept in the catalog (settings table), merged with
// the configured STELE_SMTP_ALLOW, and consulted by the SMTP receiver on every new connection.
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { SteleError } from '../../core/errors.ts';
import { parseAllowList, type AllowList } from '../../ingest/index.ts';
import type { SqliteCatalog } from './sqlite-catalog.ts';

/** The catalog setting that holds the managed entries (a JSON array of AllowEntry). */
const SETTING = 'smtp.allow';

export interface AllowEntry {
  id: string;
  /** Canonical CIDR: an address alone becomes /32 (IPv4) or /128 (IPv6). */
  cidr: string;
  label: string;
  addedBy: string;
  addedAt: string;
}

/**
 * Address or CIDR typed by a person, in canonical form, or a bad_request. IPv6 is kept as
 * written (lower-cased): node's BlockList compares addresses, not their spelling.
 */
export function canonicalCidr(input: string): string {
  const [addr, bits, extra] = input.trim().toLowerCase().split('/');
  const family = isIP(addr ?? '');
  if (family === 0 || extra !== undefined) throw new SteleError('bad_request', 'not an IP address or CIDR', { details: { field: 'cidr' } });
  const max = family === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : Number(bits);
  if (bits === '' || !Number.isInteger(prefix) || prefix < 0 || prefix > max) {
    throw new SteleError('bad_request', `prefix length must be 0-${max}`, { details: { field: 'cidr' } });
  }
  return `${addr}/${prefix}`;
}

/**
 * Configured entries are fixed by the operator (read-only here); managed ones live in the catalog.
 * The receiver holds this object, so a change applies to the next connection without a restart.
 */
export class SmtpAllowList implements AllowList {
  private merged: AllowList;

  constructor(private readonly catalog: SqliteCatalog, readonly configured: readonly string[]) {
    this.merged = this.build();
  }

  allows(ip: string): boolean {
    return this.merged.allows(ip);
  }

  entries(): AllowEntry[] {
    return this.catalog.getSetting<AllowEntry[]>(SETTING) ?? [];
  }

  add(cidr: string, label: string, addedBy: string, at: Date): AllowEntry {
    const canonical = canonicalCidr(cidr);
    const current = this.entries();
    if (current.some((e) => e.cidr === canonical)) throw new SteleError('conflict', `${canonical} is already on the allow-list`);
    const entry: AllowEntry = { id: randomBytes(6).toString('hex'), cidr: canonical, label, addedBy, addedAt: at.toISOString() };
    this.save([...current, entry]);
    return entry;
  }

  remove(id: string): AllowEntry {
    const current = this.entries();
    const entry = current.find((e) => e.id === id);
    if (!entry) throw new SteleError('not_found', `no allow-list entry ${id}`);
    this.save(current.filter((e) => e.id !== id));
    return entry;
  }

  private save(entries: AllowEntry[]): void {
    this.catalog.setSetting(SETTING, entries);
    this.merged = this.build();
  }

  private build(): AllowList {
    return parseAllowList([...this.configured, ...this.entries().map((e) => e.cidr)]);
  }
}
