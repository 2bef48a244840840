// A seeded MIME mutation fuzzer: it damages real messages (boundaries, transfer encodings,
// line ends, bytes) and builds hostile ones (deep nesting, header floods, huge lines, zip bombs,
// 100k recipients). Same seed, same messages: a failure reproduces with STELE_FUZZ_SEED.
import { docxBomb, nestedZipBomb, zipBomb } from './zip-bomb.ts';

/** mulberry32: a tiny, fast PRNG with a 32-bit state; quality is ample for fuzzing. */
export function prng(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (xs) => xs[Math.floor(next() * xs.length)],
  };
}

export interface Rng {
  next(): number;
  int(n: number): number;
  pick<T>(xs: readonly T[]): T;
}

export interface FuzzCase {
  name: string;
  raw: Buffer;
  envelopeTo?: string[];
  /** Refused as oversize (552 / 413) rather than archived. */
  oversize?: boolean;
}

const CRLF = '\r\n';
const latin1 = (s: string) => Buffer.from(s, 'latin1');

type Mutation = (raw: Buffer, rng: Rng) => Buffer;

/** Each mutation is a kind of damage seen in real mail (or in attacks on mail parsers). */
const MUTATIONS: Record<string, Mutation> = {
  flipBytes: (raw, rng) => {
    const out = Buffer.from(raw);
    for (let i = rng.int(8) + 1; i > 0 && out.length; i--) out[rng.int(out.length)] = rng.int(256);
    return out;
  },
  truncate: (raw, rng) => raw.subarray(0, 1 + rng.int(Math.max(1, raw.length))),
  duplicateSlice: (raw, rng) => {
    const a = rng.int(raw.length + 1);
    const b = Math.min(raw.length, a + rng.int(4096));
    return Buffer.concat([raw.subarray(0, b), raw.subarray(a, b), raw.subarray(b)]);
  },
  dropBoundaryLines: (raw, rng) => latin1(raw.toString('latin1').split(/(?<=\n)/).filter((l) => !(l.startsWith('--') && rng.next() < 0.6)).join('')),
  duplicateBoundaryLines: (raw) => latin1(raw.toString('latin1').replace(/^(--[^\r\n]+\r?\n)/gm, '$1$1')),
  breakBoundaryParam: (raw, rng) =>
    latin1(raw.toString('latin1').replace(/boundary=("?)([^";\r\n]*)\1/gi, () => rng.pick(['boundary=""', 'boundary=', 'boundary="x"', 'boundary="--"', 'boundary="a"; boundary="b"', 'boundary="' + 'z'.repeat(5000) + '"']))),
  removeBoundaryParam: (raw) => latin1(raw.toString('latin1').replace(/;\s*boundary=("?)[^";\r\n]*\1/gi, '')),
  wrongTransferEncoding: (raw, rng) =>
    latin1(raw.toString('latin1').replace(/^Content-Transfer-Encoding:[^\r\n]*/gim, () => `Content-Transfer-Encoding: ${rng.pick(['base64', 'quoted-printable', 'x-uuencode', '7bit', 'binary', 'bogus', ''])}`)),
  base64Garbage: (raw, rng) => insert(raw, rng, `${CRLF}Content-Transfer-Encoding: base64${CRLF}${CRLF}!!@@==##${'A'.repeat(rng.int(200))}=Q=${CRLF}`),
  qpSoftBreaks: (raw, rng) => latin1(raw.toString('latin1').replace(/(.{1,40})/g, (m) => (rng.next() < 0.2 ? `${m}=${CRLF}` : rng.next() < 0.05 ? `${m}=Z` : m))),
  eightBitAndNul: (raw, rng) => {
    const junk = Buffer.from(Array.from({ length: rng.int(64) + 1 }, () => rng.pick([0, 0, 0x80, 0xff, 0xc3, 0x28, 0x1b, 0x0d])));
    const at = rng.int(raw.length + 1);
    return Buffer.concat([raw.subarray(0, at), junk, raw.subarray(at)]);
  },
  bareLf: (raw) => latin1(raw.toString('latin1').replace(/\r\n/g, '\n')),
  bareCr: (raw) => latin1(raw.toString('latin1').replace(/\r\n/g, '\r')),
  duplicateContentType: (raw, rng) => {
    const i = raw.indexOf(CRLF);
    if (i < 0) return raw;
    return Buffer.concat([raw.subarray(0, i + 2), latin1(`Content-Type: multipart/${rng.pick(['mixed', 'alternative', 'related'])}; boundary="dup${rng.int(9)}"${CRLF}`), raw.subarray(i + 2)]);
  },
  longLine: (raw, rng) => insert(raw, rng, 'L'.repeat(rng.int(200_000) + 1000)),
  nest: (raw, rng) => nestMultipart(raw, rng.int(60) + 2),
};

export const MUTATION_NAMES = Object.keys(MUTATIONS);

function insert(raw: Buffer, rng: Rng, text: string): Buffer {
  const at = rng.int(raw.length + 1);
  return Buffer.concat([raw.subarray(0, at), latin1(text), raw.subarray(at)]);
}

/** Applies 1 to 3 random mutations; the name says which, for the failure message. */
export function mutate(seed: Buffer, rng: Rng): { name: string; raw: Buffer } {
  const names: string[] = [];
  let raw = seed;
  for (let i = rng.int(3) + 1; i > 0; i--) {
    const name = rng.pick(MUTATION_NAMES);
    names.push(name);
    raw = MUTATIONS[name](raw, rng);
  }
  return { name: names.join('+'), raw };
}

/** `depth` multiparts inside each other around `inner` (each level with its own boundary). */
export function nestMultipart(inner: Buffer, depth: number): Buffer {
  const open: string[] = [];
  const close: string[] = [];
  for (let d = 0; d < depth; d++) {
    open.push(`Content-Type: multipart/mixed; boundary="n${d}"${CRLF}${CRLF}--n${d}${CRLF}`);
    close.unshift(`${CRLF}--n${d}--${CRLF}`);
  }
  const head = `From: nest@fuzz.example${CRLF}To: deep@fuzz.example${CRLF}Subject: nested ${depth}${CRLF}MIME-Version: 1.0${CRLF}`;
  return Buffer.concat([latin1(head + open.join('')), inner, latin1(close.join(''))]);
}

function mail(headers: string[], body: string | Buffer): Buffer {
  const head = latin1([`From: hostile@fuzz.example`, `Date: Tue, 03 Nov 2026 09:14:00 +0000`, 'MIME-Version: 1.0', ...headers].join(CRLF) + CRLF + CRLF);
  return Buffer.concat([head, typeof body === 'string' ? latin1(body) : body]);
}

function withAttachment(subject: string, filename: string, contentType: string, content: Buffer): Buffer {
  const b64 = content.toString('base64').replace(/.{76}/g, `$&${CRLF}`);
  return mail(
    [`To: bombs@fuzz.example`, `Subject: ${subject}`, `Message-ID: <${subject.replace(/\W/g, '')}@fuzz.example>`, 'Content-Type: multipart/mixed; boundary="att"'],
    `--att${CRLF}Content-Type: text/plain${CRLF}${CRLF}see attached${CRLF}--att${CRLF}Content-Type: ${contentType}; name="${filename}"${CRLF}` +
      `Content-Disposition: attachment; filename="${filename}"${CRLF}Content-Transfer-Encoding: base64${CRLF}${CRLF}${b64}${CRLF}--att--${CRLF}`,
  );
}

/**
 * The hostile messages issue 9 names. `scale` 1 is the quick run; the long run uses more
 * (bigger bombs, deeper nesting). `maxBytes` is the server's limit, for the oversize case.
 */
export function hostileCases(opts: { scale: number; maxBytes: number }): Array<() => FuzzCase> {
  const { scale, maxBytes } = opts;
  const leaf = latin1(`Content-Type: text/plain${CRLF}${CRLF}bottom of the well${CRLF}`);
  const rcpts = Array.from({ length: 100_000 }, (_, i) => `r${i}@fuzz.example`);
  const bombMib = 1024 * scale;
  // Built one at a time when asked, so the test holds one big message, not all of them.
  return [
    () => ({ name: 'multipart nested 500 deep', raw: nestMultipart(leaf, 500 * scale) }),
    () => ({ name: '10k headers', raw: mail([...Array.from({ length: 10_000 * scale }, (_, i) => `X-Flood-${i}: ${i}`), 'Subject: flood'], `body${CRLF}`) }),
    () => ({ name: 'a 1 MB header', raw: mail([`Subject: ${'S'.repeat(1 << 20)}`], `body${CRLF}`) }),
    () => ({ name: '1 MB header folded 20k times', raw: mail([`Subject: x${`${CRLF} ${'f'.repeat(50)}`.repeat(20_000)}`], `body${CRLF}`) }),
    () => ({ name: '8-bit bytes and NULs', raw: Buffer.concat([mail(['Subject: caf\xe9 \x00 nul', 'To: \xff\xfe@fuzz.example'], ''), Buffer.from([0, 0, 0xff, 0x80, 0x0d, 0x00, 0x0a, 0xc3, 0x28]), latin1(`${CRLF}`)]) }),
    () => ({ name: '6 MB single line without CRLF', raw: mail(['Subject: one line'], 'x'.repeat(6 * (1 << 20))) }),
    () => ({ name: 'zip bomb attachment', raw: withAttachment('zip bomb', 'bomb.zip', 'application/zip', zipBomb(bombMib)) }),
    () => ({ name: 'docx-shaped zip bomb with a lying size', raw: withAttachment('docx bomb', 'report.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', docxBomb(bombMib)) }),
    () => ({ name: 'zip bomb in zips 3 deep', raw: withAttachment('nested zips', 'nested.zip', 'application/octet-stream', nestedZipBomb(bombMib / 4, 3)) }),
    () => ({ name: '100k recipients in To', raw: mail([`To: ${rcpts.join(`,${CRLF} `)}`, 'Subject: everyone'], `hello${CRLF}`) }),
    () => ({ name: '100k envelope recipients', raw: mail(['To: list@fuzz.example', 'Subject: envelope flood', 'Message-ID: <envflood@fuzz.example>'], `hi${CRLF}`), envelopeTo: rcpts }),
    () => ({ name: 'base64 garbage body', raw: mail(['Subject: b64', 'Content-Transfer-Encoding: base64'], `!!!!****====\x00\xff${'@'.repeat(1000)}${CRLF}`) }),
    () => ({ name: 'QP soft breaks everywhere', raw: mail(['Subject: qp', 'Content-Transfer-Encoding: quoted-printable'], `${'=\r\n'.repeat(100_000)}=ZZ=4=${CRLF}`) }),
    () => ({ name: 'oversize', raw: mail(['Subject: too big'], 'y'.repeat(maxBytes + 1024)), oversize: true }),
  ];
}
