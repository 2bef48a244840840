// Reads the archive's Ed25519 public key given on a command line: the base64 text itself, or
// a file holding it. Offline verifiers (certificates, exports) pin their signatures to it.
import { readFile } from 'node:fs/promises';
import { SteleError } from '../../core/errors.ts';

const PUBLIC_KEY_BYTES = 32;

export async function readPublicKey(value: string): Promise<Uint8Array> {
  let text = value.trim();
  if (!/^[A-Za-z0-9+/]{43}=$/.test(text)) {
    try {
      text = (await readFile(value, 'utf8')).trim();
    } catch {
      throw new SteleError('bad_request', `--public-key: neither a base64 Ed25519 key nor a readable file: ${value}`);
    }
  }
  const key = Buffer.from(text, 'base64');
  if (key.length !== PUBLIC_KEY_BYTES) throw new SteleError('bad_request', `--public-key: expected ${PUBLIC_KEY_BYTES} bytes, got ${key.length}`);
  return new Uint8Array(key);
}
