// Signing in: throttle check, password, second factor, session; every outcome on the ledger,
// alerts on repeated failures, blocked addresses and sign-ins from an address not seen before.
import { SteleError } from '../../core/errors.ts';
import type { Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/log.ts';
import type { Ledger } from '../../vault/index.ts';
import type { Accounts } from '../accounts/accounts.ts';
import type { SessionRow, SessionStage, SqliteCatalog, UserRow } from '../catalog/sqlite-catalog.ts';
import type { Alerts } from './alerts.ts';
import type { Mfa, SecondFactor } from './mfa.ts';
import type { Sessions } from './sessions.ts';
import { LOGIN_LIMITS, type LoginThrottle, type Refusal } from './throttle.ts';

export const LOGIN = 'auth.login';
export const LOGIN_FAILED = 'auth.login.failed';
export const MFA_CHALLENGED = 'auth.mfa.challenged';

export interface Origin {
  ip: string;
  userAgent?: string;
}

export interface SignedIn {
  user: UserRow;
  session: SessionRow;
  /** The cookie value: handed to the client once, never stored or logged. */
  token: string;
}

export interface LoginFlowDeps {
  catalog: SqliteCatalog;
  accounts: Accounts;
  mfa: Mfa;
  sessions: Sessions;
  throttle: LoginThrottle;
  alerts: Alerts;
  ledger: Ledger;
  log: Logger;
  clock: Clock;
}

const invalidCredentials = () => new SteleError('unauthorized', 'invalid username or password');

export class LoginFlow {
  constructor(private readonly deps: LoginFlowDeps) {}

  /** Password (and, in one step, the second factor if given). Throws after auditing a failure. */
  async login(input: { username: string; password: string; totp?: string; recoveryCode?: string }, from: Origin): Promise<SignedIn> {
    const username = input.username.trim().toLowerCase();
    await this.refuseIfThrottled(username, from);
    const { user, reason } = await this.deps.accounts.checkPassword(username, input.password);
    if (!user) {
      await this.failed(username, reason!, from);
      throw invalidCredentials();
    }
    let factor: SecondFactor | null = null;
    if (user.totpSecret && (input.totp || input.recoveryCode)) {
      factor = this.deps.mfa.verify(user, { code: input.totp, recoveryCode: input.recoveryCode });
      if (!factor) {
        await this.failed(username, 'bad_second_factor', from);
        throw new SteleError('unauthorized', 'invalid or already used second-factor code');
      }
    }
    const stage: SessionStage = user.totpSecret ? (factor ? 'full' : 'mfa') : this.deps.mfa.mustEnrol(user) ? 'enroll' : 'full';
    const { token, row } = this.deps.sessions.create(user.username, stage, from.ip);
    if (stage === 'mfa') {
      await this.deps.ledger.append({ type: MFA_CHALLENGED, actor: user.username, data: { ip: from.ip, session: row.id.slice(0, 16) } });
    } else {
      await this.succeeded(user, row, from, factor);
    }
    return { user, session: row, token };
  }

  /** Completes a sign-in waiting for its second factor; the session is replaced by a new one. */
  async secondFactor(user: UserRow, session: SessionRow, input: { code?: string; recoveryCode?: string }, from: Origin): Promise<SignedIn> {
    await this.refuseIfThrottled(user.username, from);
    const factor = this.deps.mfa.verify(user, input);
    if (!factor) {
      await this.failed(user.username, 'bad_second_factor', from);
      throw new SteleError('unauthorized', 'invalid or already used second-factor code');
    }
    const { token, row } = this.deps.sessions.rotate(session, 'full', from.ip);
    await this.succeeded(user, row, from, factor);
    return { user, session: row, token };
  }

  private async refuseIfThrottled(username: string, from: Origin): Promise<void> {
    const refusal = this.deps.throttle.check(username, from.ip);
    if (!refusal) return;
    // Knocking during a back-off still counts against the address, so a flood ends in a block.
    const outcome = refusal.reason === 'address_blocked' ? null : this.deps.throttle.recordFailure(null, from.ip);
    await this.audit(username, refusal.reason, from, { retryAfterSeconds: refusal.retryAfterSeconds });
    if (outcome?.addressBlocked) await this.addressBlocked(from.ip, outcome.addressFailures);
    throw refusalError(refusal);
  }

  private async failed(username: string, reason: string, from: Origin): Promise<void> {
    // Unknown names are counted too, so a lock looks the same whether or not the account exists.
    const outcome = this.deps.throttle.recordFailure(username, from.ip);
    await this.audit(username, reason, from, { accountFailures: outcome.accountFailures, addressFailures: outcome.addressFailures });
    if (outcome.accountLockedForMs !== undefined && outcome.accountFailures === LOGIN_LIMITS.accountFreeFailures) {
      await this.deps.alerts.raise({
        kind: 'login.repeated_failures', severity: 'warning', subject: username,
        summary: `${outcome.accountFailures} failed sign-ins for ${username}; the account is delayed`,
        data: { username, ip: from.ip, failures: outcome.accountFailures, lockedForSeconds: Math.round(outcome.accountLockedForMs / 1000) },
      });
    }
    if (outcome.addressBlocked) await this.addressBlocked(from.ip, outcome.addressFailures);
  }

  private async audit(username: string, reason: string, from: Origin, extra: Record<string, unknown>): Promise<void> {
    const known = this.deps.accounts.get(username) !== null;
    // An unknown name may be a password typed into the wrong field: it goes to the ledger only.
    await this.deps.ledger.append({
      type: LOGIN_FAILED,
      actor: known ? username : 'anonymous',
      data: { ...(known ? {} : { attemptedUsername: username.slice(0, 64) }), reason, ip: from.ip, userAgent: from.userAgent?.slice(0, 200), ...extra },
    });
    this.deps.log.info('sign-in refused', { reason, ip: from.ip });
  }

  private async addressBlocked(ip: string, failures: number): Promise<void> {
    await this.deps.alerts.raise({
      kind: 'address.blocked', severity: 'critical', subject: ip,
      summary: `address ${ip} blocked for ${LOGIN_LIMITS.addressBlockMs / 3_600_000} h after ${failures} failed sign-ins`,
      data: { ip, failures },
    });
  }

  private async succeeded(user: UserRow, session: SessionRow, from: Origin, factor: SecondFactor | null): Promise<void> {
    this.deps.throttle.recordSuccess(user.username);
    const known = this.deps.catalog.knownAddresses(user.username);
    const isNew = !known.includes(from.ip);
    if (isNew) this.deps.catalog.addAddress(user.username, from.ip, this.deps.clock.now().toISOString());
    const mfa = factor ?? (session.stage === 'enroll' ? 'enrolment_required' : 'none');
    this.deps.log.info('signed in', { user: user.username, ip: from.ip, mfa });
    await this.deps.ledger.append({
      type: LOGIN, actor: user.username,
      data: { ip: from.ip, userAgent: from.userAgent?.slice(0, 200), mfa, newAddress: isNew && known.length > 0, session: session.id.slice(0, 16) },
    });
    // The first sign-in ever sets the baseline; after that an unseen address is worth a look.
    if (isNew && known.length > 0) {
      await this.deps.alerts.raise({
        kind: 'login.new_address', severity: 'warning', actor: user.username, subject: user.username,
        summary: `${user.username} signed in from ${from.ip}, an address not seen for this account before`,
        data: { username: user.username, ip: from.ip, knownAddresses: known.length },
      });
    }
    if (factor === 'recovery_code') {
      const left = this.deps.accounts.get(user.username)?.recoveryCodes?.length ?? 0;
      await this.deps.alerts.raise({
        kind: 'mfa.recovery_code_used', severity: 'info', actor: user.username, subject: user.username,
        summary: `${user.username} signed in with a recovery code (${left} left)`, data: { username: user.username, ip: from.ip, left },
      });
    }
  }
}

function refusalError(r: Refusal): SteleError {
  if (r.reason === 'address_blocked') {
    return new SteleError('forbidden', 'this address is blocked after repeated failed sign-ins', { details: { reason: r.reason } });
  }
  return new SteleError('rate_limited', `too many failed sign-ins; retry in ${r.retryAfterSeconds} s`, { details: { reason: r.reason, retryAfterSeconds: r.retryAfterSeconds } });
}
