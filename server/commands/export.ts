// `stele export verify <zip...> [--public-key <base64|file>] [--json]`: checks an export's
// manifest signature and every file's SHA-256 offline; exits 1 naming each failing file.
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { SteleError } from '../../core/errors.ts';
import { verifyExport } from '../../discovery/index.ts';

const USAGE = 'usage: stele export verify <volume.zip...> [--public-key <base64 | file>] [--json]';
/** An Ed25519 public key is 32 bytes. */
const PUBLIC_KEY_BYTES = 32;

/** Needs no configuration or data directory: a recipient of the ZIPs runs it on their own machine. */
export async function exportCommand(args: string[], ctx: { print?: (line: string) => void; config?: unknown; log?: unknown } = {}): Promise<number> {
  const print = ctx.print ?? ((l: string) => console.log(l));
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { 'public-key': { type: 'string' }, json: { type: 'boolean' } } });
  const [sub, ...zips] = positionals;
  if (sub !== 'verify' || zips.length === 0) {
    print(USAGE);
    return 2;
  }
  const pinned = values['public-key'] ? await readPublicKey(values['public-key']) : undefined;
  const report = await verifyExport(zips, { publicKey: pinned });
  if (values.json) {
    print(JSON.stringify(report, null, 2));
    return report.ok ? 0 : 1;
  }
  for (const f of report.findings) print(`${f.kind.toUpperCase()}  ${[f.part, f.path].filter(Boolean).join(' : ')}  ${f.detail}`);
  print(`export ${report.exportId ?? '(unknown)'}: ${report.files} file(s) checked, ${(report.bytes / 1e6).toFixed(1)} MB`);
  if (!report.ok) {
    print(`export verify: FAILED, ${report.findings.length} finding(s)`);
    return 1;
  }
  print(pinned
    ? 'export verify: OK (signed by the given public key)'
    : `export verify: OK under the key the manifest names (${report.publicKey}); pass --public-key to prove it is the archive's`);
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

// Runnable on its own (`node --import tsx server/commands/export.ts verify ...`) until cli.ts lists it.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  exportCommand(process.argv.slice(2)).then((code) => (process.exitCode = code), (err: Error) => {
    console.error(`stele export: ${err.message}`);
    process.exitCode = 1;
  });
}
