// The admin area: people (accounts, roles, sign-in resets), MFA enforcement, ingest tokens, the
// SMTP allow-list, security alerts and blocked addresses, and the health of each component.
import { defineStore } from 'pinia';
import { readonly, ref } from 'vue';
import { api, ApiError } from '../api.ts';

export const ROLES = ['admin', 'legal', 'records_manager', 'auditor'] as const;
export type Role = (typeof ROLES)[number];
export const ROLE_NAMES: Record<Role, string> = { admin: 'Admin', legal: 'Legal', records_manager: 'Records manager', auditor: 'Auditor' };

export interface User {
  username: string;
  roles: Role[];
  disabled: boolean;
  mfaEnrolled: boolean;
  recoveryCodesLeft: number;
  matters: string[] | null;
  createdAt: string;
  passwordChangedAt: string | null;
}

export interface IngestToken {
  id: string;
  label: string;
  createdAt: string;
}

export interface AllowEntry {
  id: string;
  cidr: string;
  label: string;
  addedBy: string;
  addedAt: string;
}

export interface Alert {
  id: number;
  time: string;
  kind: string;
  severity: 'info' | 'warning' | 'critical';
  summary: string;
  acknowledgedBy: string | null;
  acknowledgedAt: string | null;
}

/** A matter as the admin sees it: names and members only, never its contents. */
export interface AdminMatter {
  id: string;
  name: string;
  members: readonly string[];
  createdBy: string;
  createdAt: string;
}

export interface BlockedAddress {
  address: string;
  failures: number;
  blockedUntil: string;
}

export interface ComponentState {
  status: 'ok' | 'warn' | 'down';
  lag?: number;
  detail?: string;
  error?: string;
}

export const useAdmin = defineStore('admin', () => {
  const users = ref<User[]>([]);
  const requiredRoles = ref<Role[]>([]);
  const tokens = ref<IngestToken[]>([]);
  const allowConfigured = ref<string[]>([]);
  const allowEntries = ref<AllowEntry[]>([]);
  const alerts = ref<Alert[]>([]);
  const blocked = ref<BlockedAddress[]>([]);
  const health = ref<{ status: string; components: Record<string, ComponentState> } | null>(null);
  const matters = ref<AdminMatter[]>([]);

  // --- people ---
  async function loadUsers(): Promise<void> {
    const [u, p] = await Promise.all([api<{ users: User[] }>('/api/v1/users'), api<{ requiredRoles: Role[] }>('/api/v1/mfa-policy')]);
    users.value = u.users;
    requiredRoles.value = p.requiredRoles;
  }

  /** Answers the generated password when none was given (shown once). */
  async function createUser(username: string, roles: Role[], password?: string): Promise<string | undefined> {
    const answer = await api<{ user: User; password?: string }>('/api/v1/users', { json: { username, roles, ...(password ? { password } : {}) } });
    users.value = [...users.value, answer.user];
    return answer.password;
  }

  async function updateUser(username: string, patch: { roles?: Role[]; disabled?: boolean }): Promise<void> {
    const { user } = await api<{ user: User }>(`/api/v1/users/${encodeURIComponent(username)}`, { method: 'PATCH', json: patch });
    users.value = users.value.map((u) => (u.username === username ? user : u));
  }

  /** Sets a new generated password (answered once); the user's sessions end. */
  async function resetPassword(username: string): Promise<string> {
    const answer = await api<{ password: string }>(`/api/v1/users/${encodeURIComponent(username)}/password`, { json: {} });
    return answer.password;
  }

  async function resetTotp(username: string): Promise<void> {
    await api(`/api/v1/users/${encodeURIComponent(username)}/totp`, { method: 'DELETE' });
    users.value = users.value.map((u) => (u.username === username ? { ...u, mfaEnrolled: false, recoveryCodesLeft: 0 } : u));
  }

  async function revokeSessions(username: string): Promise<number> {
    return (await api<{ revoked: number }>(`/api/v1/users/${encodeURIComponent(username)}/sessions`, { method: 'DELETE' })).revoked;
  }

  async function setRequiredRoles(roles: Role[]): Promise<void> {
    requiredRoles.value = (await api<{ requiredRoles: Role[] }>('/api/v1/mfa-policy', { method: 'PUT', json: { requiredRoles: roles } })).requiredRoles;
  }

  // --- matter members (users.manage: membership is people management, not matter content) ---
  async function loadMatters(): Promise<void> {
    matters.value = (await api<{ matters: AdminMatter[] }>('/api/v1/admin/matters')).matters;
  }

  async function setMatterMembers(id: string, members: readonly string[]): Promise<AdminMatter> {
    const answer = await api<{ id: string; name: string; members: string[] }>(`/api/v1/admin/matters/${encodeURIComponent(id)}/members`, { method: 'PUT', json: { members } });
    matters.value = matters.value.map((m) => (m.id === id ? { ...m, members: answer.members } : m));
    return matters.value.find((m) => m.id === id)!;
  }

  // --- ingest tokens ---
  async function loadTokens(): Promise<void> {
    tokens.value = (await api<{ tokens: IngestToken[] }>('/api/v1/ingest-tokens')).tokens;
  }

  /** Answers the token itself: the only time it is ever shown. */
  async function createToken(label: string): Promise<string> {
    const answer = await api<IngestToken & { token: string }>('/api/v1/ingest-tokens', { json: { label } });
    tokens.value = [...tokens.value, { id: answer.id, label: answer.label, createdAt: new Date().toISOString() }];
    return answer.token;
  }

  async function revokeToken(id: string): Promise<void> {
    await api(`/api/v1/ingest-tokens/${encodeURIComponent(id)}`, { method: 'DELETE' });
    tokens.value = tokens.value.filter((t) => t.id !== id);
  }

  // --- SMTP allow-list ---
  async function loadAllowList(): Promise<void> {
    const answer = await api<{ configured: string[]; entries: AllowEntry[] }>('/api/v1/smtp-allow');
    allowConfigured.value = answer.configured;
    allowEntries.value = answer.entries;
  }

  async function addAllowed(cidr: string, label: string): Promise<AllowEntry> {
    const { entry } = await api<{ entry: AllowEntry }>('/api/v1/smtp-allow', { json: { cidr, label } });
    allowEntries.value = [...allowEntries.value, entry];
    return entry;
  }

  async function removeAllowed(id: string): Promise<void> {
    await api(`/api/v1/smtp-allow/${encodeURIComponent(id)}`, { method: 'DELETE' });
    allowEntries.value = allowEntries.value.filter((e) => e.id !== id);
  }

  // --- alerts ---
  async function loadAlerts(openOnly: boolean): Promise<void> {
    const [a, b] = await Promise.all([
      api<{ alerts: Alert[] }>('/api/v1/alerts', { query: { open: openOnly ? 'true' : undefined, limit: 100 } }),
      api<{ blocked: BlockedAddress[] }>('/api/v1/alerts/blocked-addresses'),
    ]);
    alerts.value = a.alerts;
    blocked.value = b.blocked;
  }

  async function acknowledge(id: number): Promise<void> {
    await api(`/api/v1/alerts/${id}/ack`, { method: 'POST' });
    alerts.value = alerts.value.map((a) => (a.id === id ? { ...a, acknowledgedAt: new Date().toISOString(), acknowledgedBy: 'you' } : a));
  }

  async function unblock(address: string): Promise<void> {
    await api(`/api/v1/alerts/blocked-addresses/${encodeURIComponent(address)}`, { method: 'DELETE' });
    blocked.value = blocked.value.filter((b) => b.address !== address);
  }

  // --- health (public, answers 503 with the same body when a component is down) ---
  async function loadHealth(): Promise<void> {
    try {
      health.value = await api('/api/v1/health');
    } catch (err) {
      const body = err instanceof ApiError ? err.body : undefined;
      if (body && typeof body === 'object' && 'components' in body) health.value = body as typeof health.value;
      else throw err;
    }
  }

  return {
    users: readonly(users), requiredRoles: readonly(requiredRoles), tokens: readonly(tokens),
    allowConfigured: readonly(allowConfigured), allowEntries: readonly(allowEntries),
    alerts: readonly(alerts), blocked: readonly(blocked), health: readonly(health), matters: readonly(matters),
    loadUsers, createUser, updateUser, resetPassword, resetTotp, revokeSessions, setRequiredRoles, loadMatters, setMatterMembers,
    loadTokens, createToken, revokeToken, loadAllowList, addAllowed, removeAllowed,
    loadAlerts, acknowledge, unblock, loadHealth,
  };
});
