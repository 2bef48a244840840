// Wording for the audit screens: times to the second with their zone (an audit trail is read to the second),
// the event data as short "key: value" pairs, and a finding's place.

export function stamp(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short' });
}

/** The data of an entry without the address and session (shown in their own column). */
export function details(data: Record<string, unknown>): string {
  return Object.entries(data)
    .filter(([k]) => k !== 'ip' && k !== 'session')
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' · ');
}

export const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString()} ${n === 1 ? one : many}`;

export const KIND_NAMES: Record<string, string> = {
  missing: 'Missing',
  mismatch: 'Hash mismatch',
  orphan: 'Orphan',
  chain_break: 'Chain break',
  checkpoint_invalid: 'Invalid checkpoint',
};

/** Event types offered in the filter (any other can be typed). */
export const KNOWN_TYPES = [
  'auth.login', 'auth.login.failed', 'auth.logout', 'user.created', 'user.updated', 'user.password_reset', 'user.mfa_reset',
  'user.sessions_revoked', 'policy.mfa_changed', 'token.created', 'token.revoked', 'smtp_allow.added', 'smtp_allow.removed',
  'search.performed', 'message.viewed', 'message.raw_downloaded', 'message.attachment_downloaded', 'message.ingested',
  'hold.placed', 'hold.released', 'disposition.approved', 'disposition.rejected', 'certificate.issued', 'message.destroyed',
  'export.requested', 'export.downloaded', 'matter.created', 'audit.read',
  'verify.started', 'verify.completed', 'authz.denied', 'alert.raised', 'alert.acknowledged', 'address.unblocked',
];
