// Generated mail shaped like real journaling traffic: median about 12 KB, 80% multipart with
// HTML, 5% over 100 KB, 0.5% over 1 MB with attachments. Deterministic for a given seed.
import { buildMail } from '../test/fixtures/mail.ts';

const WORDS = 'patient results appointment referral billing claim invoice schedule therapy discharge summary lab imaging cardiology follow-up insurance authorization prescription dosage allergy vaccine clinic ward nurse physician consent record privacy meeting agenda quarterly budget'.split(' ');
const DOMAINS = ['clinic.example', 'hospital.example', 'insurer.example', 'lab.example', 'partner.example', 'gmail.example'];

/** mulberry32: small, fast, and unlike a bare LCG its first outputs for seeds 1, 2, 3 are unrelated. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function sentence(r: () => number, n: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(WORDS[Math.floor(r() * WORDS.length)]);
  return out.join(' ');
}

function paragraphs(r: () => number, bytes: number): string {
  const lines: string[] = [];
  let size = 0;
  while (size < bytes) {
    const line = `${sentence(r, 10 + Math.floor(r() * 8))}.`;
    lines.push(line);
    size += line.length + 2;
  }
  return lines.join('\r\n');
}

export function generateMessage(i: number, seed = 1): Buffer {
  const r = rng(Math.imul(seed, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca77));
  const roll = r();
  // Text size: log-normal-ish around 5 KB so that with headers and HTML the median is ~12 KB.
  const textBytes = Math.floor(2600 + Math.exp(r() * 2.2) * 1150);
  const person = () => `${WORDS[Math.floor(r() * WORDS.length)]}.${Math.floor(r() * 500)}@${DOMAINS[Math.floor(r() * DOMAINS.length)]}`;
  const text = paragraphs(r, textBytes);
  const multipart = roll < 0.76; // attachments add the rest: about 80% multipart in all
  const attachments: Array<{ filename: string; contentType: string; content: Buffer }> = [];
  if (roll >= 0.945 && roll < 0.995) attachments.push({ filename: `report-${i}.pdf`, contentType: 'application/pdf', content: noise(r, 90_000 + Math.floor(r() * 200_000)) });
  if (roll >= 0.995) attachments.push({ filename: `scan-${i}.tiff`, contentType: 'image/tiff', content: noise(r, 1_100_000 + Math.floor(r() * 1_500_000)) });
  return buildMail({
    from: person(),
    to: [person(), ...(r() < 0.3 ? [person()] : [])],
    cc: r() < 0.2 ? [person()] : [],
    subject: sentence(r, 3 + Math.floor(r() * 5)),
    date: new Date(Date.UTC(2020, 0, 1) + Math.floor(r() * 6 * 365 * 86_400_000)).toUTCString(),
    messageId: `<bench-${seed}-${i}@${DOMAINS[i % DOMAINS.length]}>`,
    text,
    html: multipart ? `<html><body><div style="font-family:Arial">${text.split('\r\n').map((l) => `<p>${l}</p>`).join('\r\n')}</div></body></html>` : undefined,
    attachments,
  });
}

/** Bytes that do not compress, like real scans and PDFs. */
function noise(r: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i += 4) b.writeUInt32LE(Math.floor(r() * 2 ** 32), Math.min(i, n - 4));
  return b;
}
