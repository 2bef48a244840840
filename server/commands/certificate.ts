// `stele certificate verify <file> [--public-key <base64|file>] [--json]`: checks a destruction
// certificate offline, with nothing but the file and the archive's public key.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { SteleError } from '../../core/errors.ts';
import type { Logger } from '../../core/log.ts';
import { verifyCertificate } from '../../retention/certificate.ts';
import { loadSodium } from '../../vault/sodium.ts';
import type { Config } from '../config.ts';

const USAGE = 'usage: stele certificate verify <file> [--public-key <base64 | file>] [--json]';
/** An Ed25519 public key is 32 bytes. */
const PUBLIC_KEY_BYTES = 32;

export async function certificateCommand(args: string[], ctx: { config: Config; log: Logger; print?: (line: string) => void }): Promise<number> {
  const print = ctx.print ?? ((l: string) => console.log(l));
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { 'public-key': { type: 'string' }, json: { type: 'boolean' } } });
  const [sub, file] = positionals;
  if (sub !== 'verify' || !file) {
    print(USAGE);
    return 2;
  }
  const sodium = await loadSodium();
  const key = values['public-key'] ? await readPublicKey(values['public-key']) : undefined;
  const check = verifyCertificate(sodium, await readFile(file), key);
  if (values.json) {
    print(JSON.stringify(check.ok ? { ok: true, keySource: check.keySource, sha256: check.sha256, batchId: check.certificate.batchId, destroyed: check.certificate.items.length } : check, null, 2));
    return check.ok ? 0 : 1;
  }
  if (!check.ok) {
    print(`certificate: INVALID: ${check.reason}`);
    return 1;
  }
  const c = check.certificate;
  print(`certificate ${c.batchId}: ${c.items.length} message(s) of category ${c.category} destroyed, issued ${c.issuedAt}`);
  print(`approved by ${c.approvers.map((a) => a.actor).join(', ')}; file SHA-256 ${check.sha256}`);
  print(check.keySource === 'given'
    ? 'certificate: OK (signed by the given public key)'
    : `certificate: OK under the key it names (${c.publicKey}); pass --public-key to prove it is the archive's`);
  return 0;
}

/** Base64 of the 32-byte key, or a file holding that base64 text. */
async function readPublicKey(value: string): Promise<Uint8Array> {
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
