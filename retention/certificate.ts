// Destruction certificates: what was destroyed, why and on whose approval, signed with the
// archive's Ed25519 key. The file is canonical JSON, so any changed byte fails verification
// (either the signature or the canonical form), with only the public key needed to check it.
import { createHash } from 'node:crypto';
import type { Sodium } from '../vault/sodium.ts';
import { canonicalJson } from '../vault/ledger/canonical.ts';

export const CERTIFICATE_FORMAT = 'stele-destruction-certificate-v1';
const SIGNING_CONTEXT = 'stele-destruction-certificate-v1\n';
export const certificateKey = (batchId: string) => `certificates/${batchId}`;

export interface CertificateItem {
  id: string;
  sha256: string;
  messageId?: string;
  category: string;
  rule: string;
  retainUntil: string;
  destroyedAt: string;
}

export interface CertificateBody {
  format: typeof CERTIFICATE_FORMAT;
  batchId: string;
  category: string;
  proposedAt: string;
  issuedAt: string;
  approvers: Array<{ actor: string; at: string; reason: string }>;
  items: CertificateItem[];
  /** Messages of the batch not destroyed (a hold arrived, the vault refused), with why. */
  skipped: Array<{ sha256: string; note: string }>;
  regions: string[];
  publicKey: string;
}

export interface Certificate extends CertificateBody {
  signature: string;
}

/** Signs the body; the result's bytes (canonical JSON and a newline) are what is stored and verified. */
export function signCertificate(sodium: Sodium, secretKey: Uint8Array, body: CertificateBody): Buffer {
  const sig = sodium.crypto_sign_detached(Buffer.from(SIGNING_CONTEXT + canonicalJson(body)), secretKey);
  const cert: Certificate = { ...body, signature: Buffer.from(sig).toString('base64') };
  return Buffer.from(`${canonicalJson(cert)}\n`);
}

export type CertificateCheck =
  | { ok: true; certificate: Certificate; keySource: 'given' | 'embedded'; sha256: string }
  | { ok: false; reason: string };

/**
 * Checks a certificate file. With `publicKey` it proves the archive holding that key signed it;
 * without, it only proves the file is intact under the key it names (the caller says so).
 */
export function verifyCertificate(sodium: Sodium, bytes: Buffer, publicKey?: Uint8Array): CertificateCheck {
  let cert: Certificate;
  try {
    cert = JSON.parse(bytes.toString('utf8')) as Certificate;
  } catch {
    return { ok: false, reason: 'not a certificate: the file is not valid JSON' };
  }
  if (cert?.format !== CERTIFICATE_FORMAT || typeof cert.signature !== 'string') return { ok: false, reason: 'not a Stele destruction certificate' };
  // Canonical form only: a re-serialised or edited file is refused even where the JSON means the same.
  if (`${canonicalJson(cert)}\n` !== bytes.toString('utf8')) return { ok: false, reason: 'the file is not in canonical form: it was altered' };
  const { signature, ...body } = cert;
  const key = publicKey ?? new Uint8Array(Buffer.from(cert.publicKey ?? '', 'base64'));
  if (publicKey && Buffer.from(publicKey).toString('base64') !== cert.publicKey) return { ok: false, reason: 'signed by a different key than the one given' };
  let good = false;
  try {
    good = sodium.crypto_sign_verify_detached(Buffer.from(signature, 'base64'), Buffer.from(SIGNING_CONTEXT + canonicalJson(body)), key);
  } catch {
    good = false;
  }
  if (!good) return { ok: false, reason: 'the signature does not match the content: the certificate was altered or forged' };
  return { ok: true, certificate: cert, keySource: publicKey ? 'given' : 'embedded', sha256: createHash('sha256').update(bytes).digest('hex') };
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A printable page for the records file; the signed JSON remains the evidence. */
export function renderCertificateHtml(cert: Certificate, sha256: string): string {
  const rows = cert.items.map((i) => `<tr><td><code>${esc(i.sha256)}</code><br><small>${esc(i.messageId ?? '')}</small></td><td>${esc(i.category)}</td><td>${esc(i.rule)}</td><td>${esc(i.retainUntil)}</td><td>${esc(i.destroyedAt)}</td></tr>`).join('\n');
  const approvers = cert.approvers.map((a) => `<li>${esc(a.actor)}, ${esc(a.at)}: ${esc(a.reason)}</li>`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Destruction certificate ${esc(cert.batchId)}</title>
<style>body{font:12px/1.4 system-ui,sans-serif;margin:2em}table{border-collapse:collapse;width:100%}td,th{border:1px solid #999;padding:3px 5px;text-align:left;vertical-align:top}code{font-size:10px}@media print{a{display:none}}</style></head><body>
<h1>Certificate of destruction</h1>
<p>Batch <b>${esc(cert.batchId)}</b>, category <b>${esc(cert.category)}</b>, proposed ${esc(cert.proposedAt)}, issued ${esc(cert.issuedAt)}.</p>
<p>${cert.items.length} message(s) destroyed in regions ${esc(cert.regions.join(', '))}. ${cert.skipped.length} kept (not destroyed).</p>
<h2>Approved by</h2><ul>${approvers}</ul>
<h2>Messages</h2><table><thead><tr><th>SHA-256 / Message-ID</th><th>Category</th><th>Rule</th><th>Retain until</th><th>Destroyed</th></tr></thead><tbody>
${rows}</tbody></table>
<h2>Signature</h2><p>Ed25519 public key <code>${esc(cert.publicKey)}</code><br>signature <code>${esc(cert.signature)}</code><br>file SHA-256 <code>${esc(sha256)}</code></p>
<p>Verify offline: <code>stele certificate verify ${esc(cert.batchId)}.json --public-key &lt;key&gt;</code></p></body></html>`;
}
