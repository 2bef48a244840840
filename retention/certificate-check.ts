// Checks a destruction certificate held by the archive, for the "Verify" button: the same
// offline check `stele certificate verify` runs (verifyCertificate: canonical form and the
// Ed25519 signature under the archive's key) on the catalog copy and on every region's copy,
// then that the ledger tells the same story (issued with this file's hash, every message
// destroyed in this batch, the same approvers). Findings, not a boolean (cf. `stele verify`).
import { createHash } from 'node:crypto';
import { isSteleError } from '../core/errors.ts';
import { certificateKey, verifyCertificate, type Certificate } from './certificate.ts';
import type { RetentionContext } from './context.ts';
import { EVENTS } from './model.ts';

export interface CertificateCheckItem {
  /** Stable name: signature, region:<name>, ledger.issued, ledger.destroyed, ledger.approvals. */
  name: string;
  ok: boolean;
  detail: string;
}

export interface CertificateVerification {
  id: string;
  valid: boolean;
  /** SHA-256 of the catalog copy (the file the UI downloads). */
  sha256?: string;
  publicKey: string;
  checks: CertificateCheckItem[];
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Verifies certificate `id` against the archive's key, its stored copies and the ledger. */
export async function checkArchivedCertificate(ctx: RetentionContext, id: string, catalogCopy: Buffer): Promise<CertificateVerification> {
  const publicKey = ctx.vault.keyring.signing.publicKey;
  const checks: CertificateCheckItem[] = [];
  const main = verifyCertificate(ctx.sodium, catalogCopy, publicKey);
  checks.push(main.ok
    ? { name: 'signature', ok: true, detail: 'canonical form and Ed25519 signature valid under the archive\'s public key' }
    : { name: 'signature', ok: false, detail: main.reason });
  const fileSha = sha(catalogCopy);
  for (const store of ctx.vault.regions) checks.push(await checkRegionCopy(ctx, store.region, () => store.get(certificateKey(id)), fileSha));
  checks.push(...checkLedger(ctx, id, fileSha, main.ok ? main.certificate : null));
  return {
    id, valid: checks.every((c) => c.ok), sha256: fileSha,
    publicKey: Buffer.from(publicKey).toString('base64'), checks,
  };
}

async function checkRegionCopy(ctx: RetentionContext, region: string, read: () => Promise<Buffer>, fileSha: string): Promise<CertificateCheckItem> {
  const name = `region:${region}`;
  let bytes: Buffer;
  try {
    bytes = await read();
  } catch (err) {
    if (isSteleError(err, 'not_found')) return { name, ok: false, detail: `region ${region} holds no copy` };
    return { name, ok: false, detail: `region ${region} could not be read: ${(err as Error).message}` };
  }
  const check = verifyCertificate(ctx.sodium, bytes, ctx.vault.keyring.signing.publicKey);
  if (!check.ok) return { name, ok: false, detail: check.reason };
  if (check.sha256 !== fileSha) return { name, ok: false, detail: `region ${region} holds a different signed file (SHA-256 ${check.sha256})` };
  return { name, ok: true, detail: `region ${region} holds the identical signed file` };
}

function checkLedger(ctx: RetentionContext, id: string, fileSha: string, cert: Certificate | null): CertificateCheckItem[] {
  const out: CertificateCheckItem[] = [];
  const issued = ctx.ledger.first(EVENTS.certificateIssued, id);
  const issuedSha = issued ? String((issued.data as Record<string, unknown>).sha256) : null;
  out.push(!issued ? { name: 'ledger.issued', ok: false, detail: 'the ledger has no certificate.issued event for this batch' }
    : issuedSha !== fileSha ? { name: 'ledger.issued', ok: false, detail: `the ledger recorded SHA-256 ${issuedSha}, the file has ${fileSha}` }
      : { name: 'ledger.issued', ok: true, detail: `ledger entry #${issued.seq} recorded this file's SHA-256` });
  if (!cert) return out;
  const missing = cert.items.filter((i) => {
    const e = ctx.ledger.first(EVENTS.messageDestroyed, i.sha256);
    return !e || (e.data as Record<string, unknown>).batchId !== id;
  });
  out.push(missing.length === 0
    ? { name: 'ledger.destroyed', ok: true, detail: `all ${cert.items.length} destroyed message(s) have a message.destroyed entry for this batch` }
    : { name: 'ledger.destroyed', ok: false, detail: `${missing.length} message(s) have no matching message.destroyed entry, e.g. ${missing[0].sha256}` });
  const approved = new Set(ctx.ledger.query({ types: [EVENTS.batchApproved], subject: id }).map((e) => e.actor));
  const named = cert.approvers.map((a) => a.actor);
  const same = named.length === approved.size && named.every((a) => approved.has(a));
  out.push(same
    ? { name: 'ledger.approvals', ok: true, detail: `approved on the ledger by ${named.join(', ')}` }
    : { name: 'ledger.approvals', ok: false, detail: `the certificate names ${named.join(', ') || 'nobody'}; the ledger has approvals by ${[...approved].join(', ') || 'nobody'}` });
  return out;
}
