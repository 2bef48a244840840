// The signed-in user's own account: starting a TOTP enrolment (secret, otpauth URI), confirming
// it with the first code (answers the recovery codes, shown once), and changing the password.
import { defineStore } from 'pinia';
import { readonly, ref } from 'vue';
import { api } from '../api.ts';
import { useSession } from './session.ts';

export interface Enrolment {
  secret: string;
  otpauthUri: string;
}

export const useAccount = defineStore('account', () => {
  const enrolment = ref<Enrolment | null>(null);

  async function startEnrolment(): Promise<Enrolment> {
    const started = await api<Enrolment>('/api/v1/auth/totp/enroll', { method: 'POST' });
    enrolment.value = { secret: started.secret, otpauthUri: started.otpauthUri };
    return enrolment.value;
  }

  /** Confirms the enrolment with the app's first code; answers the recovery codes. */
  async function confirmEnrolment(code: string): Promise<string[]> {
    const codes = await useSession().verify({ code });
    enrolment.value = null;
    return codes ?? [];
  }

  async function changePassword(currentPassword: string, newPassword: string): Promise<void> {
    await api('/api/v1/auth/password', { json: { currentPassword, newPassword } });
  }

  return { enrolment: readonly(enrolment), startEnrolment, confirmEnrolment, changePassword };
});
