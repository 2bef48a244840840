// The export manifest's signature: Ed25519 (libsodium) over a domain-separated SHA-256 of the
// manifest bytes, as ledger checkpoints are signed, so it verifies offline with the public key.
import { createHash } from 'node:crypto';
import type { Sodium } from '../vault/index.ts';

export const MANIFEST_FORMAT = 'stele-export-manifest-v1';
export const SIGNATURE_FORMAT = 'stele-export-signature-v1';
export const MANIFEST_NAME = 'manifest.json';
export const SIGNATURE_NAME = 'manifest.sig';
export const CUSTODY_NAME = 'custody.txt';

export interface ManifestFile {
  path: string;
  part: string;
  bytes: number;
  sha256: string;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  exportId: string;
  matter: { id: string; name: string };
  source: { kind: 'search'; searchId: string; query: string } | { kind: 'selection' };
  exportedBy: string;
  requestedAt: string;
  completedAt: string;
  controlNumbers: { first: string; last: string; count: number };
  publicKey: string;
  files: ManifestFile[];
}

export interface ManifestSignature {
  format: typeof SIGNATURE_FORMAT;
  algorithm: 'Ed25519';
  publicKey: string;
  manifestSha256: string;
  signature: string;
}

/** A distinct prefix, so a manifest signature can never pass for a checkpoint or a certificate. */
const signedMessage = (manifestSha256: string) => Buffer.from(`${MANIFEST_FORMAT}\n${manifestSha256}`);

export function signManifest(sodium: Sodium, keys: { publicKey: Uint8Array; secretKey: Uint8Array }, manifestSha256: string): ManifestSignature {
  const sig = sodium.crypto_sign_detached(signedMessage(manifestSha256), keys.secretKey);
  return {
    format: SIGNATURE_FORMAT, algorithm: 'Ed25519', publicKey: Buffer.from(keys.publicKey).toString('base64'),
    manifestSha256, signature: Buffer.from(sig).toString('base64'),
  };
}

export function manifestSignatureValid(sodium: Sodium, sig: ManifestSignature, manifestSha256: string, publicKey: Uint8Array): boolean {
  if (sig.manifestSha256 !== manifestSha256) return false;
  try {
    return sodium.crypto_sign_verify_detached(Buffer.from(sig.signature, 'base64'), signedMessage(manifestSha256), publicKey);
  } catch {
    return false;
  }
}

export const sha256Hex = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
