// Sealing: every object is compressed, then encrypted with XChaCha20-Poly1305 under a fresh
// data key, which is itself wrapped by a master key kept outside the vault (key id recorded,
// so master keys can rotate). The object key is bound in as associated data, so a sealed
// object copied under another name fails to open.
//
// Layout: "STL1" | u16 header length | header JSON | nonce (24) | ciphertext+tag
import { randomFillSync } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { SteleError } from '../core/errors.ts';
import type { Keyring } from './keyring.ts';
import type { Sodium } from './sodium.ts';

const MAGIC = Buffer.from('STL1');
/** Level 1 keeps sealing far cheaper than the fsyncs it sits beside; mail still shrinks ~3x. */
const DEFLATE_LEVEL = 1;

interface SealHeader {
  v: 1;
  kid: string;
  wk: string; // wrapped data key, base64
  wn: string; // wrap nonce, base64
  z: 'deflate-raw';
}

export function seal(sodium: Sodium, keyring: Keyring, objectKey: string, plain: Buffer): Buffer {
  const master = keyring.masterKeys.get(keyring.currentKeyId)!;
  // One call for all the randomness a seal needs: key (32), wrap nonce (24), data nonce (24).
  // Node's CSPRNG, not sodium.randombytes_buf: libsodium.js draws that 4 bytes per syscall.
  const random = randomFillSync(new Uint8Array(80));
  const dataKey = random.subarray(0, 32);
  const wn = random.subarray(32, 56);
  const nonce = random.subarray(56, 80);
  const wk = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(dataKey, keyring.currentKeyId, null, wn, master);
  const header: SealHeader = {
    v: 1,
    kid: keyring.currentKeyId,
    wk: Buffer.from(wk).toString('base64'),
    wn: Buffer.from(wn).toString('base64'),
    z: 'deflate-raw',
  };
  const headerBytes = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(6);
  MAGIC.copy(prefix);
  prefix.writeUInt16BE(headerBytes.length, 4);
  const ad = Buffer.concat([Buffer.from(objectKey), headerBytes]);
  const compressed = deflateRawSync(plain, { level: DEFLATE_LEVEL });
  const cipher = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(compressed, ad, null, nonce, dataKey);
  sodium.memzero(dataKey);
  return Buffer.concat([prefix, headerBytes, nonce, cipher]);
}

/** Opens a sealed object; any tampering or a wrong object key fails with `integrity`. */
export function unseal(sodium: Sodium, keyring: Keyring, objectKey: string, sealed: Buffer): Buffer {
  const fail = (why: string) => new SteleError('integrity', `object ${objectKey} cannot be opened: ${why}`);
  if (sealed.length < 6 || !sealed.subarray(0, 4).equals(MAGIC)) throw fail('not a sealed object');
  const hlen = sealed.readUInt16BE(4);
  const headerBytes = sealed.subarray(6, 6 + hlen);
  let header: SealHeader;
  try {
    header = JSON.parse(headerBytes.toString('utf8')) as SealHeader;
  } catch {
    throw fail('damaged header');
  }
  const master = keyring.masterKeys.get(header.kid);
  if (!master) throw fail(`unknown master key ${header.kid}`);
  const npub = sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  const nonce = sealed.subarray(6 + hlen, 6 + hlen + npub);
  const cipher = sealed.subarray(6 + hlen + npub);
  let dataKey: Uint8Array;
  let compressed: Uint8Array;
  try {
    dataKey = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
      null, Buffer.from(header.wk, 'base64'), header.kid, Buffer.from(header.wn, 'base64'), master,
    );
    const ad = Buffer.concat([Buffer.from(objectKey), headerBytes]);
    compressed = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, cipher, ad, nonce, dataKey);
  } catch {
    throw fail('authentication failed');
  }
  return inflateRawSync(compressed);
}
