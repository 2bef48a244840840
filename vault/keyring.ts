// The keys Stele keeps outside the vault: master keys that wrap each object's data key
// (by id, so they can rotate) and the Ed25519 pair that signs ledger checkpoints and
// certificates. Generated on first run into a 0600 file under the key directory.
import { chmod, mkdir, readFile, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SteleError } from '../core/errors.ts';
import { loadSodium } from './sodium.ts';

export interface Keyring {
  /** Id of the master key new objects are sealed with. */
  currentKeyId: string;
  masterKeys: Map<string, Uint8Array>;
  signing: { publicKey: Uint8Array; secretKey: Uint8Array };
}

interface KeyringFile {
  version: 1;
  current: string;
  master: Record<string, string>;
  signing: { publicKey: string; secretKey: string };
}

const FILE = 'keyring.json';

/** Loads the keyring, creating it on first run. `created` tells the caller to announce it once. */
export async function loadOrCreateKeyring(dir: string): Promise<{ keyring: Keyring; created: boolean }> {
  const path = join(dir, FILE);
  try {
    return { keyring: decode(JSON.parse(await readFile(path, 'utf8')) as KeyringFile), created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new SteleError('bad_request', `cannot read keyring ${path}: ${(err as Error).message}`);
    }
  }
  const sodium = await loadSodium();
  const pair = sodium.crypto_sign_keypair();
  const id = newKeyId();
  const file: KeyringFile = {
    version: 1,
    current: id,
    master: { [id]: Buffer.from(sodium.crypto_aead_xchacha20poly1305_ietf_keygen()).toString('base64') },
    signing: {
      publicKey: Buffer.from(pair.publicKey).toString('base64'),
      secretKey: Buffer.from(pair.privateKey).toString('base64'),
    },
  };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp`;
  await writeFile(tmp, JSON.stringify(file, null, 2), { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
  return { keyring: decode(file), created: true };
}

/** Adds a new master key and makes it current; old keys stay to open old objects. */
export async function rotateMasterKey(dir: string): Promise<string> {
  const path = join(dir, FILE);
  const file = JSON.parse(await readFile(path, 'utf8')) as KeyringFile;
  const sodium = await loadSodium();
  const id = newKeyId();
  file.master[id] = Buffer.from(sodium.crypto_aead_xchacha20poly1305_ietf_keygen()).toString('base64');
  file.current = id;
  await writeFile(`${path}.tmp`, JSON.stringify(file, null, 2), { mode: 0o600 });
  await rename(`${path}.tmp`, path);
  return id;
}

/** k<yyyymmdd>-<random>: sortable by date, unique. */
function newKeyId(): string {
  return `k${new Date().toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(3).toString('hex')}`;
}

function decode(file: KeyringFile): Keyring {
  const masterKeys = new Map(Object.entries(file.master).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))]));
  if (!masterKeys.has(file.current)) throw new SteleError('bad_request', 'keyring: current key id has no key');
  return {
    currentKeyId: file.current,
    masterKeys,
    signing: {
      publicKey: new Uint8Array(Buffer.from(file.signing.publicKey, 'base64')),
      secretKey: new Uint8Array(Buffer.from(file.signing.secretKey, 'base64')),
    },
  };
}

/** The serialisable form, for handing keys to worker threads of the same process. */
export function keyringToTransfer(k: Keyring): KeyringFile {
  return {
    version: 1,
    current: k.currentKeyId,
    master: Object.fromEntries([...k.masterKeys].map(([id, key]) => [id, Buffer.from(key).toString('base64')])),
    signing: { publicKey: Buffer.from(k.signing.publicKey).toString('base64'), secretKey: Buffer.from(k.signing.secretKey).toString('base64') },
  };
}

export function keyringFromTransfer(file: unknown): Keyring {
  return decode(file as KeyringFile);
}
