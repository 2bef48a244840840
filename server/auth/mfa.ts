// The second factor: TOTP enrolment and verification with replay refusal, single-use recovery
// codes, and which roles must enrol (set by an admin, kept in the catalog).
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../../core/clock.ts';
import type { SqliteCatalog, UserRow } from '../catalog/sqlite-catalog.ts';
import type { Role } from './policy.ts';
import type { SecretBox } from './secret-box.ts';
import { base32Encode, generateTotpSecret, otpauthUri, verifyTotp } from './totp.ts';

/** Enough for a year of lost phones; each is 80 random bits, so a SHA-256 of it is safe to store. */
export const RECOVERY_CODE_COUNT = 10;
const RECOVERY_CODE_BYTES = 10;
const MFA_ROLES_SETTING = 'mfa_required_roles';
const ISSUER = 'Stele';

export type SecondFactor = 'totp' | 'recovery_code';

export class Mfa {
  constructor(
    private readonly catalog: SqliteCatalog,
    private readonly box: SecretBox,
    private readonly clock: Clock,
    private readonly defaultRequiredRoles: Role[],
  ) {}

  requiredRoles(): Role[] {
    return this.catalog.getSetting<Role[]>(MFA_ROLES_SETTING) ?? this.defaultRequiredRoles;
  }

  setRequiredRoles(roles: Role[]): void {
    this.catalog.setSetting(MFA_ROLES_SETTING, roles);
  }

  /** True when the user must have a second factor before doing anything. */
  mustEnrol(user: UserRow): boolean {
    const required = this.requiredRoles();
    return !user.totpSecret && user.roles.some((r) => (required as string[]).includes(r));
  }

  /** Starts (or restarts) enrolment: a new seed, sealed, kept pending until a code proves it. */
  begin(user: UserRow): { secret: string; otpauthUri: string } {
    const secret = generateTotpSecret();
    this.catalog.updateUser(user.username, { totpPending: this.box.seal(secret, user.username) });
    return { secret: base32Encode(secret), otpauthUri: otpauthUri(ISSUER, user.username, secret) };
  }

  /** Confirms enrolment with a code from the pending seed; returns fresh recovery codes, or null. */
  confirm(user: UserRow, code: string): string[] | null {
    if (!user.totpPending) return null;
    const step = verifyTotp(this.box.open(user.totpPending, user.username), code, this.clock.now(), user.totpLastStep ?? 0);
    if (step === null || !this.catalog.claimTotpStep(user.username, step)) return null;
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
    this.catalog.updateUser(user.username, { totpSecret: user.totpPending, totpPending: null, recoveryCodes: codes.map(hashRecoveryCode) });
    return codes;
  }

  /** Checks a TOTP code (each step usable once) or consumes a recovery code. */
  verify(user: UserRow, input: { code?: string; recoveryCode?: string }): SecondFactor | null {
    if (!user.totpSecret) return null;
    if (input.code) {
      const step = verifyTotp(this.box.open(user.totpSecret, user.username), input.code.trim(), this.clock.now(), user.totpLastStep ?? 0);
      return step !== null && this.catalog.claimTotpStep(user.username, step) ? 'totp' : null;
    }
    if (input.recoveryCode) {
      return this.catalog.consumeRecoveryCode(user.username, hashRecoveryCode(input.recoveryCode)) ? 'recovery_code' : null;
    }
    return null;
  }

  /** Removes the second factor (an admin's reset for a lost device): the user enrols again. */
  reset(username: string): void {
    this.catalog.updateUser(username, { totpSecret: null, totpPending: null, recoveryCodes: [] });
  }
}

function newRecoveryCode(): string {
  const s = base32Encode(randomBytes(RECOVERY_CODE_BYTES)).toLowerCase();
  return s.match(/.{4}/g)!.join('-');
}

/** Codes are compared without dashes, spaces or case, as people retype them. */
export function hashRecoveryCode(code: string): string {
  return createHash('sha256').update(code.replace(/[\s-]/g, '').toLowerCase()).digest('hex');
}
