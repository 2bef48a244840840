// `stele certificate verify <file> [--public-key <base64|file>] [--json]`: checks a destruction
// certificate offline, with nothing but the file and the archive's public key.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Logger } from '../../core/log.ts';
import { verifyCertificate } from '../../retention/certificate.ts';
import { loadSodium } from '../../vault/sodium.ts';
import type { Config } from '../config.ts';
import { readPublicKey } from './public-key.ts';

const USAGE = 'usage: stele certificate verify <file> [--public-key <base64 | file>] [--json]';
/** An Ed25519 public key is 32 bytes. */

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
