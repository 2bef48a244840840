// Encrypts small secrets kept in the catalog (TOTP seeds) with AES-256-GCM under a key derived
// from the vault keyring's master key, so a copy of catalog.db alone does not yield them.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { SteleError } from '../../core/errors.ts';
import type { Keyring } from '../../vault/index.ts';

/** HKDF info: a key for this purpose only, never the key that wraps message data keys. */
const INFO = 'stele/catalog-secret/v1';
const IV_BYTES = 12; // NIST SP 800-38D §8.2: 96-bit IVs for GCM

export class SecretBox {
  private readonly keys = new Map<string, Buffer>();

  constructor(private readonly keyring: Keyring) {}

  private key(id: string): Buffer {
    let k = this.keys.get(id);
    if (!k) {
      const master = this.keyring.masterKeys.get(id);
      if (!master) throw new SteleError('integrity', `catalog secret sealed with unknown key ${id}`);
      k = Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), INFO, 32));
      this.keys.set(id, k);
    }
    return k;
  }

  /** `context` (the user name) is bound as associated data: a sealed value moved to another row does not open. */
  seal(plain: Buffer, context: string): string {
    const id = this.keyring.currentKeyId;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key(id), iv);
    cipher.setAAD(Buffer.from(context));
    const ct = Buffer.concat([cipher.update(plain), cipher.final()]);
    return ['v1', id, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
  }

  open(sealed: string, context: string): Buffer {
    const [v, id, iv, tag, ct] = sealed.split('.');
    if (v !== 'v1' || !id || !iv || !tag || ct === undefined) throw new SteleError('integrity', 'malformed sealed catalog secret');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key(id), Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]);
    } catch (err) {
      throw new SteleError('integrity', 'a sealed catalog secret failed authentication', { cause: err });
    }
  }
}
