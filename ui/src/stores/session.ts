// Who is signed in, at which stage (password only, second factor due, enrolment due, full),
// and which actions the server grants them: the views show only what a role may do.
import { defineStore } from 'pinia';
import { computed, readonly, ref } from 'vue';
import { api, ApiError } from '../api.ts';

export interface SessionUser {
  username: string;
  roles: string[];
  mfaEnrolled: boolean;
}

export type Stage = 'full' | 'mfa' | 'enroll';

export interface SessionAnswer {
  user: SessionUser;
  stage: Stage;
  csrfToken: string;
  actions?: string[];
  recoveryCodes?: string[];
}

export const useSession = defineStore('session', () => {
  const user = ref<SessionUser | null>(null);
  const stage = ref<Stage | null>(null);
  const actions = ref<string[]>([]);
  /** Set when a request answered 401 after we were signed in: the sign-in page says so kindly. */
  const expired = ref(false);
  const loaded = ref(false);
  const signedIn = computed(() => user.value !== null && stage.value === 'full');

  const can = (action: string) => actions.value.includes(action);

  function apply(answer: SessionAnswer) {
    user.value = answer.user;
    stage.value = answer.stage;
    actions.value = answer.actions ?? [];
    expired.value = false;
    loaded.value = true;
  }

  function clear() {
    user.value = null;
    stage.value = null;
    actions.value = [];
  }

  /** Asks the server who we are (after a reload); a 401 just means signed out. */
  async function refresh(): Promise<void> {
    try {
      apply(await api<SessionAnswer>('/api/v1/auth/me'));
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 401) throw err;
      clear();
    }
    loaded.value = true;
  }

  async function login(username: string, password: string, totp?: string): Promise<Stage> {
    const answer = await api<SessionAnswer>('/api/v1/auth/login', { json: { username, password, ...(totp ? { totp } : {}) } });
    apply(answer);
    return answer.stage;
  }

  /** The second factor for a session at stage 'mfa'; or the first code of an enrolment (answers recovery codes). */
  async function verify(second: { code: string } | { recoveryCode: string }): Promise<string[] | undefined> {
    const answer = await api<SessionAnswer>('/api/v1/auth/totp/verify', { json: second });
    apply(answer);
    if (stage.value === 'full' && actions.value.length === 0) await refresh();
    return answer.recoveryCodes;
  }

  async function logout(): Promise<void> {
    try {
      await api('/api/v1/auth/logout', { method: 'POST' });
    } finally {
      clear();
    }
  }

  function markExpired() {
    if (user.value) expired.value = true;
    clear();
  }

  return {
    user: readonly(user), stage: readonly(stage), actions: readonly(actions), expired: readonly(expired), loaded: readonly(loaded),
    signedIn, can, refresh, login, verify, logout, markExpired,
  };
});
