// Authentication settings from the environment (STELE_* variables), validated at start-up the
// same way as server/config.ts: a bad value stops Stele with a message naming the variable.
import { z } from 'zod';
import { SteleError } from '../../core/errors.ts';
import { ROLES, type Role } from './policy.ts';

/** OWASP's minimum work factor for bcrypt is 10; 12 keeps a login near a quarter second. */
export const DEFAULT_BCRYPT_COST = 12;

const bool = z.enum(['true', 'false']);

const schema = z.object({
  STELE_BCRYPT_COST: z.coerce.number().int().min(4).max(15).default(DEFAULT_BCRYPT_COST),
  STELE_COOKIE_SECURE: bool.optional(),
  STELE_PUBLIC_URL: z.string().optional(),
  STELE_MFA_REQUIRED_ROLES: z.string().default(ROLES.join(',')),
  STELE_SESSION_IDLE_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(30),
  STELE_SESSION_MAX_HOURS: z.coerce.number().int().min(1).max(24 * 7).default(12),
  STELE_ALERT_WEBHOOK: z.url({ protocol: /^https?$/ }).optional(),
  STELE_ALERT_SMTP: z.url({ protocol: /^smtps?$/ }).optional(),
  STELE_ALERT_EMAIL_TO: z.string().optional(),
  STELE_ALERT_EMAIL_FROM: z.email().optional(),
});

export interface AuthConfig {
  bcryptCost: number;
  /** Whether session cookies carry the Secure attribute. */
  cookieSecure: boolean;
  /** Origins a state-changing request may come from; empty means "the origin the request was sent to". */
  publicOrigins: string[];
  /** Initial MFA enforcement; an admin's change through the API is kept in the catalog and wins. */
  mfaRequiredRoles: Role[];
  sessionIdleMs: number;
  sessionMaxMs: number;
  alerts: {
    webhook?: string;
    smtp?: string;
    emailTo: string[];
    emailFrom: string;
  };
}

/** Parses the auth variables from the merged config file + environment of server/config.ts. */
export function parseAuthConfig(input: Record<string, unknown>, ctx: { tls: boolean; hostname: string }): AuthConfig {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw invalid(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  const c = parsed.data;
  const list = (s?: string) => (s ?? '').split(',').map((x) => x.trim()).filter(Boolean);
  const roles = c.STELE_MFA_REQUIRED_ROLES.trim() === 'none' ? [] : list(c.STELE_MFA_REQUIRED_ROLES);
  const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (unknown.length) throw invalid([`STELE_MFA_REQUIRED_ROLES: unknown role(s) ${unknown.join(', ')}; roles are ${ROLES.join(', ')} (or "none")`]);
  const origins = list(c.STELE_PUBLIC_URL).map((u) => {
    try {
      return new URL(u).origin;
    } catch {
      throw invalid([`STELE_PUBLIC_URL: not a URL: ${JSON.stringify(u)}`]);
    }
  });
  const emailTo = list(c.STELE_ALERT_EMAIL_TO);
  const badEmail = emailTo.find((e) => !z.email().safeParse(e).success);
  if (badEmail) throw invalid([`STELE_ALERT_EMAIL_TO: not an address: ${JSON.stringify(badEmail)}`]);
  if (c.STELE_ALERT_SMTP && emailTo.length === 0) throw invalid(['STELE_ALERT_EMAIL_TO: needed when STELE_ALERT_SMTP is set']);
  return {
    bcryptCost: c.STELE_BCRYPT_COST,
    cookieSecure: c.STELE_COOKIE_SECURE === undefined ? ctx.tls : c.STELE_COOKIE_SECURE === 'true',
    publicOrigins: origins,
    mfaRequiredRoles: roles as Role[],
    sessionIdleMs: c.STELE_SESSION_IDLE_MINUTES * 60_000,
    sessionMaxMs: c.STELE_SESSION_MAX_HOURS * 3_600_000,
    alerts: {
      webhook: c.STELE_ALERT_WEBHOOK,
      smtp: c.STELE_ALERT_SMTP,
      emailTo,
      emailFrom: c.STELE_ALERT_EMAIL_FROM ?? `stele@${ctx.hostname}`,
    },
  };
}

function invalid(lines: string[]): SteleError {
  return new SteleError('bad_request', `invalid configuration:\n${lines.map((l) => `  ${l}`).join('\n')}`);
}
