// The password rules (NIST SP 800-63B §5.1.1.2): long enough, not a known common or breached
// password, not built on the user's own name. No composition rules: they do not add strength.
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { SteleError } from '../../core/errors.ts';

/** NIST SP 800-63B asks for at least 8; a regulated archive of patient mail asks for more. */
export const MIN_PASSWORD_CHARS = 12;
/** bcrypt reads only the first 72 bytes; a longer password would silently lose its tail. */
export const MAX_PASSWORD_BYTES = 72;

const LIST_PATH = fileURLToPath(new URL('./common-passwords.txt', import.meta.url));
let common: Set<string> | null = null;

/** The shipped list, loaded on first use (about 54,000 entries). */
function commonPasswords(): Set<string> {
  if (!common) {
    const lines = readFileSync(LIST_PATH, 'utf8').split('\n');
    common = new Set(lines.filter((l) => l && !l.startsWith('# ')).map((l) => l.toLowerCase()));
  }
  return common;
}

export function isCommonPassword(password: string): boolean {
  const p = password.toLowerCase();
  // A common password padded with spaces is still the common password.
  return commonPasswords().has(p) || commonPasswords().has(p.trim());
}

/** The rules a new password breaks, as sentences for the person choosing it; empty when fine. */
export function passwordProblems(password: string, username: string): string[] {
  const problems: string[] = [];
  if ([...password].length < MIN_PASSWORD_CHARS) problems.push(`must be at least ${MIN_PASSWORD_CHARS} characters`);
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) problems.push(`must be at most ${MAX_PASSWORD_BYTES} bytes`);
  if (isCommonPassword(password)) problems.push('is a commonly used or breached password');
  if (username.length >= 3 && password.toLowerCase().includes(username.toLowerCase())) problems.push('must not contain the user name');
  return problems;
}

/** Throws a bad_request naming every broken rule (never echoing the password). */
export function assertPasswordAcceptable(password: string, username: string): void {
  const problems = passwordProblems(password, username);
  if (problems.length) {
    throw new SteleError('bad_request', `password ${problems.join('; ')}`, { details: { field: 'password', problems } });
  }
}

/** A generated password: 128 bits, URL-safe, shown once to whoever asked for it. */
export function generatePassword(): string {
  return randomBytes(16).toString('base64url') + '-' + randomBytes(3).toString('hex');
}
