// `stele export verify <zip...> [--public-key <base64|file>] [--json]`: checks an export's
// manifest signature and every file's SHA-256 offline; exits 1 naming each failing file.
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { verifyExport } from '../../discovery/index.ts';
import { readPublicKey } from './public-key.ts';

const USAGE = 'usage: stele export verify <volume.zip...> [--public-key <base64 | file>] [--json]';
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

// Runnable on its own (`node --import tsx server/commands/export.ts verify ...`) until cli.ts lists it.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  exportCommand(process.argv.slice(2)).then((code) => (process.exitCode = code), (err: Error) => {
    console.error(`stele export: ${err.message}`);
    process.exitCode = 1;
  });
}
