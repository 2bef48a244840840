// Who is signed in, at which stage (password only, second factor due, enrolment due, full),
// and which actions the server grants them: the views show only what a role may do.
import { defineStore } from 'pinia';
import { api, ApiError } from '../api.ts';

export interface SessionUser {
  username: string;
  roles: string[];
  mfaEnrolled: boolean;
}

export type Stage = 'full' | 'mfa' | 'enroll';

interface SessionAnswer {
  user: SessionUser;
  stage: Stage;
  csrfToken: string;
  actions?: string[];
}

export const useSession = defineStore('session', {
  state: () => ({
    user: null as SessionUser | null,
    stage: null as Stage | null,
    actions: [] as string[],
    /** Set when a request answered 401 after we were signed in: the views say so kindly. */
    expired: false,
    loaded: false,
  }),
  getters: {
    signedIn: (s) => s.user !== null && s.stage === 'full',
  },
  actions: {
    can(action: string): boolean {
      return this.actions.includes(action);
    },
    apply(answer: SessionAnswer) {
      this.user = answer.user;
      this.stage = answer.stage;
      this.actions = answer.actions ?? [];
      this.expired = false;
      this.loaded = true;
    },
    /** Asks the server who we are (after a reload); a 401 just means signed out. */
    async refresh(): Promise<void> {
      try {
        this.apply(await api<SessionAnswer>('/api/v1/auth/me'));
      } catch (err) {
        if (!(err instanceof ApiError) || err.status !== 401) throw err;
        this.clear();
      }
      this.loaded = true;
    },
    async login(username: string, password: string, totp?: string): Promise<Stage> {
      const answer = await api<SessionAnswer>('/api/v1/auth/login', { json: { username, password, ...(totp ? { totp } : {}) } });
      this.apply(answer);
      return answer.stage;
    },
    /** The second factor for a session at stage 'mfa'. */
    async verify(second: { code: string } | { recoveryCode: string }): Promise<void> {
      this.apply(await api<SessionAnswer>('/api/v1/auth/totp/verify', { json: second }));
      if (this.stage === 'full' && this.actions.length === 0) await this.refresh();
    },
    async logout(): Promise<void> {
      try {
        await api('/api/v1/auth/logout', { method: 'POST' });
      } finally {
        this.clear();
      }
    },
    clear() {
      this.user = null;
      this.stage = null;
      this.actions = [];
    },
    markExpired() {
      if (this.user) this.expired = true;
      this.clear();
    },
  },
});
