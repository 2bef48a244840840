// The chain-of-custody report: what was produced, from where, by whom, when, and how anyone can
// check it. Plain text, for people; manifest.json carries the same facts for machines.
import type { ExportRecord, Matter } from './model.ts';

export function custodyReport(input: {
  exp: ExportRecord; matter: Matter; completedAt: string; count: number; first: string; last: string;
  parts: string[]; publicKey: string; archive: string; mbox?: string | null;
}): string {
  const { exp, matter } = input;
  const source = exp.source.kind === 'search'
    ? [`Source:          saved search ${exp.source.searchId}`, `Query (exact):   ${exp.source.query}`]
    : [`Source:          a selection of ${exp.source.count} message id(s)`];
  const lines = [
    'CHAIN OF CUSTODY: ELECTRONIC MAIL PRODUCTION',
    '=============================================',
    '',
    `Archive:         ${input.archive}`,
    `Matter:          ${matter.name} (${matter.id})`,
    `Custodians:      ${matter.custodians.join('; ') || '(none listed)'}`,
    `Export:          ${exp.id}`,
    `Requested by:    ${exp.requestedBy}`,
    `Requested at:    ${exp.requestedAt}`,
    `Completed at:    ${input.completedAt}`,
    ...source,
    `Documents:       ${input.count} (control numbers ${input.first} to ${input.last})`,
    `Volumes:         ${input.parts.join(', ')}`,
    '',
    'HOW THE MESSAGES WERE COLLECTED',
    '- Each message was read from the write-once archive vault (sealed, stored in two regions).',
    '- Its bytes were hashed (SHA-256) and compared with the archive id, which is the SHA-256',
    '  computed when the message was journaled; a mismatch would have stopped the export.',
    '- NATIVES/<control>.eml holds those exact bytes, unaltered. TEXT/<control>.txt holds the',
    '  text extracted by the archive index (body, then attachments), for review platforms.',
    ...(input.mbox ? [`- ${input.mbox} holds the same messages in control-number order (mboxrd: lines`, '  starting with ">*From " carry one more ">"); the natives remain the evidence.'] : []),
    '- The request and the completion of this export are events on the archive\'s hash-chained',
    '  ledger, with the SHA-256 of every volume.',
    '',
    'HOW TO VERIFY',
    '- manifest.json lists every file with its SHA-256 and size; manifest.sig is an Ed25519',
    '  signature over "stele-export-manifest-v1\\n" followed by the SHA-256 (hex) of manifest.json.',
    `- Signing public key (base64): ${input.publicKey}`,
    '- Offline: stele export verify <every volume .zip> [--public-key <base64>]',
    '- With standard tools: unzip the volumes into one directory, then compare `sha256sum` of',
    '  each file with manifest.json.',
    '',
  ];
  return lines.join('\r\n');
}
