// People who sign in: creation, roles, disabling, passwords (bcrypt) and the views of them that
// may leave the server. The HTTP routes and the login flow both go through here.
import bcrypt from 'bcrypt';
import { z } from 'zod';
import { SteleError } from '../../core/errors.ts';
import type { Clock } from '../../core/clock.ts';
import type { SqliteCatalog, UserRow } from '../catalog/sqlite-catalog.ts';
import { isRole, type Role } from '../auth/policy.ts';
import { assertPasswordAcceptable, generatePassword } from './password-policy.ts';

/** Lower-case names so "Alice" and "alice" cannot be two accounts; safe in URLs and logs. */
export const usernameSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9._@-]{1,63}$/, 'must be 2-64 characters: letters, digits, . _ @ -');

export const rolesSchema = z.array(z.string().refine(isRole, 'unknown role')).max(8).transform((r) => [...new Set(r)] as Role[]);

/** What the API shows of a user: never a hash, a seed or a recovery code. */
export interface UserView {
  username: string;
  roles: string[];
  disabled: boolean;
  mfaEnrolled: boolean;
  recoveryCodesLeft: number;
  matters: string[] | null;
  createdAt: string;
  passwordChangedAt: string | null;
}

export function viewOf(u: UserRow): UserView {
  return {
    username: u.username, roles: u.roles, disabled: !!u.disabled, mfaEnrolled: !!u.totpSecret, recoveryCodesLeft: u.recoveryCodes?.length ?? 0,
    matters: u.matters ?? null, createdAt: u.createdAt, passwordChangedAt: u.passwordChangedAt ?? null,
  };
}

export class Accounts {
  /** Compared against when the user does not exist, so a miss costs as long as a wrong password. */
  private dummyHash: Promise<string> | null = null;

  constructor(
    private readonly catalog: SqliteCatalog,
    private readonly clock: Clock,
    private readonly bcryptCost: number,
  ) {}

  get(username: string): UserRow | null {
    return this.catalog.getUser(username.toLowerCase());
  }

  list(): UserRow[] {
    return this.catalog.listUsers();
  }

  /** Creates a user; without a password one is generated and returned (to be shown once). */
  async create(input: { username: string; roles: Role[]; password?: string; matters?: string[] | null }): Promise<{ user: UserRow; generatedPassword?: string }> {
    const parsed = usernameSchema.safeParse(input.username);
    if (!parsed.success) throw new SteleError('bad_request', `invalid username: ${parsed.error.issues[0]?.message}`, { details: { field: 'username' } });
    const username = parsed.data;
    if (this.catalog.getUser(username)) throw new SteleError('conflict', `user ${username} already exists`);
    const password = input.password ?? generatePassword();
    assertPasswordAcceptable(password, username);
    const now = this.clock.now().toISOString();
    const user: UserRow = {
      username, passwordHash: await bcrypt.hash(password, this.bcryptCost), roles: input.roles, createdAt: now,
      matters: input.matters ?? null, passwordChangedAt: now,
    };
    this.catalog.addUser(user);
    return { user: this.catalog.getUser(username)!, generatedPassword: input.password ? undefined : password };
  }

  /** Sets a new password after checking the policy; without one a password is generated and returned. */
  async setPassword(username: string, password?: string): Promise<string | undefined> {
    const user = this.mustGet(username);
    const next = password ?? generatePassword();
    assertPasswordAcceptable(next, user.username);
    this.catalog.updateUser(user.username, { passwordHash: await bcrypt.hash(next, this.bcryptCost), passwordChangedAt: this.clock.now().toISOString() });
    return password ? undefined : next;
  }

  /** The user when the password is right and the account enabled; null otherwise, in similar time. */
  async checkPassword(username: string, password: string): Promise<{ user: UserRow | null; reason?: 'unknown_user' | 'bad_password' | 'disabled' }> {
    const user = this.get(username);
    this.dummyHash ??= bcrypt.hash('stele-dummy-password-for-timing', this.bcryptCost);
    const ok = await bcrypt.compare(password, user?.passwordHash ?? (await this.dummyHash));
    if (!user) return { user: null, reason: 'unknown_user' };
    if (!ok) return { user: null, reason: 'bad_password' };
    if (user.disabled) return { user: null, reason: 'disabled' };
    return { user };
  }

  /** Changes roles, the disabled flag or matter scoping; refuses to leave no enabled admin. */
  update(username: string, patch: { roles?: Role[]; disabled?: boolean; matters?: string[] | null }): { before: UserRow; after: UserRow } {
    const before = this.mustGet(username);
    const losesAdmin = before.roles.includes('admin') && !before.disabled && ((patch.roles && !patch.roles.includes('admin')) || patch.disabled === true);
    if (losesAdmin && this.enabledAdmins().length <= 1) {
      throw new SteleError('conflict', 'this is the last enabled admin: make another admin first');
    }
    this.catalog.updateUser(before.username, patch);
    return { before, after: this.catalog.getUser(before.username)! };
  }

  mustGet(username: string): UserRow {
    const u = this.get(username);
    if (!u) throw new SteleError('not_found', `no user ${username}`);
    return u;
  }

  private enabledAdmins(): UserRow[] {
    return this.catalog.listUsers().filter((u) => u.roles.includes('admin') && !u.disabled);
  }
}
