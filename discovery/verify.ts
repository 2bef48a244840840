// Offline verification of an export: the manifest's Ed25519 signature (against the key in the
// manifest, or a pinned one), then every listed file's SHA-256 and size in the given volumes.
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { loadSodium } from '../vault/index.ts';
import { MANIFEST_NAME, SIGNATURE_NAME, manifestSignatureValid, type Manifest, type ManifestSignature } from './manifest.ts';
import { openEntry, readZipDirectory, type ZipEntry } from './zip-read.ts';

export type ExportFindingKind =
  | 'no_manifest' | 'bad_signature' | 'key_mismatch' | 'missing_volume' | 'missing_file' | 'hash_mismatch' | 'size_mismatch' | 'unreadable' | 'unlisted_file';

export interface ExportFinding {
  kind: ExportFindingKind;
  /** The volume (ZIP file name) and the path inside it, where one applies. */
  part?: string;
  path?: string;
  detail: string;
}

export interface ExportVerifyReport {
  ok: boolean;
  exportId: string | null;
  publicKey: string | null;
  files: number;
  bytes: number;
  findings: ExportFinding[];
}

interface Volume { path: string; entries: Map<string, ZipEntry> }

async function entryBytes(path: string, e: ZipEntry): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await openEntry(path, e)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function hashEntry(path: string, e: ZipEntry): Promise<{ sha256: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const c of await openEntry(path, e)) {
    h.update(c as Buffer);
    bytes += (c as Buffer).length;
  }
  return { sha256: h.digest('hex'), bytes };
}

/** Reads manifest.json and manifest.sig from whichever volume holds them; checks the signature. */
async function readSigned(volumes: Map<string, Volume>, pinned: Uint8Array | undefined, findings: ExportFinding[]): Promise<Manifest | null> {
  const holder = [...volumes.entries()].find(([, v]) => v.entries.has(MANIFEST_NAME) && v.entries.has(SIGNATURE_NAME));
  if (!holder) {
    findings.push({ kind: 'no_manifest', detail: `no volume holds ${MANIFEST_NAME} and ${SIGNATURE_NAME}` });
    return null;
  }
  const [part, vol] = holder;
  const manifestBytes = await entryBytes(vol.path, vol.entries.get(MANIFEST_NAME)!);
  const manifest = JSON.parse(manifestBytes.toString('utf8')) as Manifest;
  const sig = JSON.parse((await entryBytes(vol.path, vol.entries.get(SIGNATURE_NAME)!)).toString('utf8')) as ManifestSignature;
  const sha = createHash('sha256').update(manifestBytes).digest('hex');
  const sodium = await loadSodium();
  const inManifest = Buffer.from(manifest.publicKey ?? '', 'base64');
  if (pinned && (!Buffer.from(pinned).equals(inManifest) || sig.publicKey !== manifest.publicKey)) {
    findings.push({ kind: 'key_mismatch', part, path: MANIFEST_NAME, detail: 'the manifest names a different public key than the one pinned' });
  }
  if (sig.publicKey !== manifest.publicKey) findings.push({ kind: 'key_mismatch', part, path: SIGNATURE_NAME, detail: 'the signature and the manifest name different keys' });
  if (!manifestSignatureValid(sodium, sig, sha, pinned ?? new Uint8Array(inManifest))) {
    findings.push({ kind: 'bad_signature', part, path: MANIFEST_NAME, detail: `the Ed25519 signature does not match manifest.json (SHA-256 ${sha})` });
  }
  return manifest;
}

export async function verifyExport(zipPaths: string[], opts: { publicKey?: Uint8Array; onProgress?: (done: number, total: number) => void } = {}): Promise<ExportVerifyReport> {
  const findings: ExportFinding[] = [];
  const volumes = new Map<string, Volume>();
  for (const p of zipPaths) {
    try {
      volumes.set(basename(p), { path: p, entries: new Map((await readZipDirectory(p)).map((e) => [e.name, e])) });
    } catch (err) {
      findings.push({ kind: 'unreadable', part: basename(p), detail: (err as Error).message });
    }
  }
  const manifest = await readSigned(volumes, opts.publicKey, findings);
  const report: ExportVerifyReport = { ok: false, exportId: manifest?.exportId ?? null, publicKey: manifest?.publicKey ?? null, files: 0, bytes: 0, findings };
  if (!manifest) return report;
  const listed = new Set<string>([MANIFEST_NAME, SIGNATURE_NAME]);
  const missingVolumes = new Set<string>();
  for (const f of manifest.files) {
    listed.add(f.path);
    const vol = volumes.get(f.part);
    if (!vol) {
      if (!missingVolumes.has(f.part)) findings.push({ kind: 'missing_volume', part: f.part, detail: `volume ${f.part} was not given` });
      missingVolumes.add(f.part);
      continue;
    }
    const entry = vol.entries.get(f.path);
    if (!entry) {
      findings.push({ kind: 'missing_file', part: f.part, path: f.path, detail: 'listed in the manifest, absent from the volume' });
      continue;
    }
    try {
      const got = await hashEntry(vol.path, entry);
      if (got.sha256 !== f.sha256) findings.push({ kind: 'hash_mismatch', part: f.part, path: f.path, detail: `SHA-256 ${got.sha256}, manifest says ${f.sha256}` });
      else if (got.bytes !== f.bytes) findings.push({ kind: 'size_mismatch', part: f.part, path: f.path, detail: `${got.bytes} bytes, manifest says ${f.bytes}` });
      report.files++;
      report.bytes += got.bytes;
    } catch (err) {
      findings.push({ kind: 'unreadable', part: f.part, path: f.path, detail: (err as Error).message });
    }
    opts.onProgress?.(report.files, manifest.files.length);
  }
  for (const [part, vol] of volumes) {
    for (const name of vol.entries.keys()) if (!listed.has(name)) findings.push({ kind: 'unlisted_file', part, path: name, detail: 'in the volume but not in the manifest' });
  }
  report.ok = findings.length === 0;
  return report;
}
