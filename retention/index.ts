// The retention capability's public API: the service, its vocabulary and offline certificate checks.
export { createRetention, Retention, type RetentionDeps } from './service.ts';
export { DEFAULT_OPTIONS, type RetentionOptions } from './context.ts';
export type { RetentionRecord } from './index-sync.ts';
export { verifyCertificate, renderCertificateHtml, certificateKey, CERTIFICATE_FORMAT, type Certificate, type CertificateCheck } from './certificate.ts';
export { EVENTS, categoryInput, ruleInput, holdInput, holdChange, decisionInput } from './model.ts';
export type { Batch, Category, Hold, Job, Rule, HoldScope, RuleMatch } from './model.ts';
export { DEFAULT_CATEGORY, DEFAULT_RETAIN_YEARS, addYears, retentionStart } from './classify.ts';
