// Retention for records managers and admins: categories and rules (with a dry run of a change),
// the chart figures, the disposition queue (review, search inside a batch, approve, reject,
// propose now) and destruction certificates (read, verify, download the signed file).
import { defineStore } from 'pinia';
import { readonly, ref } from 'vue';
import { api, url } from '../api.ts';

// Payload types are the server's own (retention/), imported as types only, so they cannot drift.
import type { DeepReadonly } from 'vue';
import type * as Model from '../../../retention/model.ts';
import type * as Policy from '../../../retention/policy.ts';
import type * as Service from '../../../retention/service.ts';
import type * as Cert from '../../../retention/certificate.ts';
import type * as CertCheck from '../../../retention/certificate-check.ts';

export type Category = DeepReadonly<Model.Category>;
/** All given conditions must hold; lists match when any entry does. */
export type RuleMatch = Model.RuleMatch;
export type Rule = Model.Rule;
export type DryRunReport = DeepReadonly<Policy.DryRunReport>;
export type RetentionStats = DeepReadonly<Service.RetentionStats>;
export type Batch = DeepReadonly<Model.Batch>;

export interface BatchReview {
  batch: Batch;
  byRule: Array<{ rule: string; count: number }>;
  oldestRetainUntil?: string;
  sample: Array<{ sha256: string; subject?: string; from?: string; date?: string; retainUntil: string; rule: string; state: string; held: boolean }>;
  matches?: number;
  /** Due mail of the batch's category that holds keep out (or, placed since, will keep). */
  excluded: { held: number; holds: Array<{ holdId: string; name: string; matter: string; due: number; inBatch: number }> };
}

export interface CertificateSummary {
  id: string;
  issuedAt: string;
  category: string;
  count: number;
  sha256: string;
}

export type Certificate = DeepReadonly<Cert.Certificate>;
export type Verification = DeepReadonly<CertCheck.CertificateVerification>;

const enc = encodeURIComponent;

export const useRetention = defineStore('retention', () => {
  const categories = ref<Category[]>([]);
  const rules = ref<Rule[]>([]);
  const stats = ref<RetentionStats | null>(null);
  const dryRunReport = ref<DryRunReport | null>(null);
  const batches = ref<Batch[]>([]);
  const review = ref<BatchReview | null>(null);
  const certificates = ref<CertificateSummary[]>([]);
  const publicKey = ref('');
  const certificate = ref<{ certificate: Certificate; sha256: string } | null>(null);
  const verification = ref<Verification | null>(null);

  async function loadPolicy(): Promise<void> {
    const [c, r] = await Promise.all([
      api<{ categories: Category[] }>('/api/v1/retention/categories'),
      api<{ rules: Rule[] }>('/api/v1/retention/rules'),
    ]);
    categories.value = c.categories;
    rules.value = r.rules;
  }

  async function loadStats(months = 24): Promise<void> {
    stats.value = await api<RetentionStats>('/api/v1/retention/stats', { query: { months } });
  }

  async function saveCategory(name: string, input: { retainYears: number; retainDays: number; description: string; reason: string }): Promise<void> {
    await api(`/api/v1/retention/categories/${enc(name)}`, { method: 'PUT', json: input });
    await loadPolicy();
  }

  async function saveRule(id: string | null, input: Omit<Rule, 'id'> & { reason: string }): Promise<void> {
    await api(id ? `/api/v1/retention/rules/${enc(id)}` : '/api/v1/retention/rules', { method: id ? 'PUT' : 'POST', json: input });
    await loadPolicy();
  }

  async function deleteRule(id: string, reason: string): Promise<void> {
    await api(`/api/v1/retention/rules/${enc(id)}`, { method: 'DELETE', json: { reason } });
    await loadPolicy();
  }

  /** What the current rules plus (or with one replaced by) `rule` would do; changes nothing. */
  async function dryRun(rule: Rule): Promise<void> {
    dryRunReport.value = null;
    const proposal = [...rules.value.filter((r) => r.id !== rule.id), rule];
    dryRunReport.value = await api<DryRunReport>('/api/v1/retention/rules/dry-run', { json: { rules: proposal } });
  }

  function clearDryRun(): void {
    dryRunReport.value = null;
  }

  async function loadBatches(): Promise<void> {
    batches.value = (await api<{ batches: Batch[] }>('/api/v1/disposition/batches')).batches;
  }

  async function loadReview(id: string, q?: string): Promise<void> {
    review.value = await api<BatchReview>(`/api/v1/disposition/batches/${enc(id)}`, { query: { q, sample: 50 } });
  }

  /** Proposes due mail now (normally the daily schedule does); answers the new batches. */
  async function proposeNow(): Promise<Batch[]> {
    const { batches: made } = await api<{ batches: Batch[] }>('/api/v1/disposition/run', { method: 'POST' });
    await loadBatches();
    return made;
  }

  async function decide(id: string, decision: 'approve' | 'reject', reason: string): Promise<Batch> {
    const batch = await api<Batch>(`/api/v1/disposition/batches/${enc(id)}/${decision}`, { json: { reason } });
    await Promise.all([loadBatches(), loadReview(id)]);
    return batch;
  }

  async function loadCertificates(): Promise<void> {
    const answer = await api<{ certificates: CertificateSummary[]; publicKey: string }>('/api/v1/certificates');
    certificates.value = answer.certificates;
    publicKey.value = answer.publicKey;
  }

  async function loadCertificate(id: string): Promise<void> {
    certificate.value = null;
    verification.value = null;
    certificate.value = await api<{ certificate: Certificate; sha256: string }>(`/api/v1/certificates/${enc(id)}`);
  }

  async function verify(id: string): Promise<Verification> {
    verification.value = null;
    verification.value = await api<Verification>(`/api/v1/certificates/${enc(id)}/verify`, { method: 'POST' });
    return verification.value;
  }

  /** The signed file as stored (what `stele certificate verify` checks), for a plain download link. */
  function downloadUrl(id: string): string {
    return url(`/api/v1/certificates/${enc(id)}`, { download: true });
  }

  return {
    categories: readonly(categories), rules: readonly(rules), stats: readonly(stats), dryRunReport: readonly(dryRunReport),
    batches: readonly(batches), review: readonly(review), certificates: readonly(certificates), publicKey: readonly(publicKey),
    certificate: readonly(certificate), verification: readonly(verification),
    loadPolicy, loadStats, saveCategory, saveRule, deleteRule, dryRun, clearDryRun,
    loadBatches, loadReview, proposeNow, decide, loadCertificates, loadCertificate, verify, downloadUrl,
  };
});
