// Managing accounts (admins only): create staff and admins, edit them with optimistic locking,
// change roles and store scope, deactivate and reactivate. Deactivation ends the user's sessions
// and API tokens in the same transaction. The last active administrator can be neither demoted
// nor deactivated: the active admins' rows are locked first, so concurrent changes queue up and
// the later one sees the earlier one's result.
import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import { users, userStores, stores, apiTokens, passwordResets, type Role } from '../../db/schema/index.ts';
import type { Db } from '../../db/client.ts';
import type { Config } from '../../config.ts';
import type { Mailer } from '../../lib/mail.ts';
import { recordAudit, type Actor } from '../../lib/audit.ts';
import { conflict, notFound, unprocessable, type FieldError } from '../../lib/errors.ts';
import { VersionConflict } from '../../lib/versioned.ts';
import { randomToken } from '../../lib/tokens.ts';
import { createUser, EMAIL_RE } from './service.ts';
import { sendPasswordLink } from './links.ts';
import { endUserSessions } from '../auth/repository.ts';
import { emailTaken, findUser, lockActiveAdmins, type UserDetail } from './repository.ts';
import { EMAIL_MESSAGE, NAME_MESSAGE, NO_STORES_FOR_ADMINS, ROLE_MESSAGE, STORES_FOR_STAFF, USER_NAME_MAX } from './schema.ts';

export const LAST_ADMIN = 'This is the last active administrator: make another user an administrator first.';
export const NOT_YOURSELF = 'You cannot deactivate your own account. Ask another administrator.';
export const OWN_ROLE = 'You cannot change your own role. Ask another administrator.';
export const CUSTOMER_ACCOUNT = 'Customer accounts keep the customer role; their name and email are edited on the customer record.';
export const EMAIL_TAKEN = 'An account with this email already exists.';

export interface UserChanges {
  email?: string;
  fullName?: string;
  role?: Role;
  storeIds?: number[];
  active?: boolean;
}

const invalid = (errors: FieldError[]) => unprocessable(errors.map((e) => e.message).join(' '), errors);

/** The rules on the fields a user ends up with (after a create or an edit). */
function fieldErrors(v: { email: string; fullName: string; role: Role; storeIds: number[] }): FieldError[] {
  const errors: FieldError[] = [];
  if (v.email.length > 254 || !EMAIL_RE.test(v.email)) errors.push({ field: 'email', message: EMAIL_MESSAGE });
  if (!v.fullName.trim() || v.fullName.length > USER_NAME_MAX) errors.push({ field: 'fullName', message: NAME_MESSAGE });
  if (v.role === 'staff' && !v.storeIds.length) errors.push({ field: 'storeIds', message: STORES_FOR_STAFF });
  if (v.role !== 'staff' && v.storeIds.length) errors.push({ field: 'storeIds', message: NO_STORES_FOR_ADMINS });
  return errors;
}

async function assertStoresExist(tx: Db, storeIds: number[]) {
  if (!storeIds.length) return;
  const found = await tx.select({ id: stores.storeId }).from(stores).where(inArray(stores.storeId, storeIds));
  if (found.length !== storeIds.length) throw invalid([{ field: 'storeIds', message: 'One of the stores does not exist.' }]);
}

export interface NewAccount { email: string; fullName: string; role: Role; storeIds?: number[]; password?: string }

/** Creates a staff member or administrator. Without a password, the account gets a random one
 * nobody knows and the person is mailed a link to choose theirs. */
export async function createAccount(db: Db, config: Config, mailer: Mailer, input: NewAccount, actor: Actor): Promise<{ user: UserDetail; invited: boolean }> {
  const storeIds = [...new Set(input.storeIds ?? [])];
  const email = input.email.trim();
  const fullName = input.fullName.trim();
  if (input.role === 'customer') throw invalid([{ field: 'role', message: ROLE_MESSAGE }]);
  const errors = fieldErrors({ email, fullName, role: input.role, storeIds });
  if (errors.length) throw invalid(errors);
  const invited = !input.password;
  const created = await createUser(db, { email, fullName, role: input.role, storeIds, password: input.password ?? randomToken(32) }, actor, config.argon2);
  if (invited) await sendPasswordLink(db, config, mailer, created.id, actor, 'invite');
  return { user: (await findUser(db, created.id))!, invited };
}

const snapshot = (u: UserDetail) => ({
  id: u.id, email: u.email, fullName: u.fullName, role: u.role, active: u.active, customerId: u.customerId, storeIds: u.storeIds, version: u.version,
});

/** Applies changes to an account if it is still at `version` (when given). */
export async function updateUser(db: Db, userId: number, changes: UserChanges, version: number | undefined, actor: Actor): Promise<UserDetail> {
  return db.transaction(async (tx) => {
    const seen = await findUser(tx, userId);
    if (!seen) throw notFound(`User #${userId}`);
    const lowersAdmins = (u: UserDetail) => u.role === 'admin' && u.active
      && ((changes.role !== undefined && changes.role !== 'admin') || changes.active === false);
    // Lock order: active admins (by id) first, then the account itself.
    let admins = lowersAdmins(seen) ? await lockActiveAdmins(tx) : null;
    const current = (await findUser(tx, userId, { lock: true }))!;
    if (version !== undefined && current.version !== version) throw new VersionConflict(current, 'user');
    if (!admins && lowersAdmins(current)) admins = await lockActiveAdmins(tx);

    const next = {
      email: changes.email?.trim() ?? current.email,
      fullName: changes.fullName?.trim() ?? current.fullName,
      role: changes.role ?? current.role,
      active: changes.active ?? current.active,
      storeIds: changes.storeIds ? [...new Set(changes.storeIds)].sort((a, b) => a - b) : (changes.role === 'admin' ? [] : current.storeIds),
    };
    const emailChanged = next.email !== current.email;
    const storesChanged = next.storeIds.join() !== current.storeIds.join();
    const roleChanged = next.role !== current.role;
    if (current.role === 'customer' || next.role === 'customer') {
      if (roleChanged) throw invalid([{ field: 'role', message: CUSTOMER_ACCOUNT }]);
      if (emailChanged || next.fullName !== current.fullName || storesChanged) throw invalid([{ field: 'email', message: CUSTOMER_ACCOUNT }]);
    } else {
      // Only what changes is judged, so deactivating an old account never trips a newer rule.
      const errors = fieldErrors(next).filter((e) => (e.field === 'email' ? emailChanged
        : e.field === 'fullName' ? next.fullName !== current.fullName : storesChanged || roleChanged));
      if (errors.length) throw invalid(errors);
    }
    if (actor.userId === userId && roleChanged) throw conflict(OWN_ROLE, [{ field: 'role', message: OWN_ROLE }]);
    if (actor.userId === userId && !next.active && current.active) throw conflict(NOT_YOURSELF);
    if (admins && lowersAdmins(current) && (next.role !== 'admin' || !next.active) && admins.filter((id) => id !== userId).length === 0) {
      throw conflict(LAST_ADMIN, [{ field: changes.active === false ? 'active' : 'role', message: LAST_ADMIN }]);
    }
    if (emailChanged && await emailTaken(tx, next.email, userId)) throw conflict(EMAIL_TAKEN, [{ field: 'email', message: EMAIL_TAKEN }]);
    if (storesChanged) await assertStoresExist(tx, next.storeIds);

    const deactivated = current.active && !next.active;
    const reactivated = !current.active && next.active;
    if (!emailChanged && !storesChanged && !roleChanged && next.fullName === current.fullName && !deactivated && !reactivated) return current;

    await tx.update(users).set({
      email: next.email, fullName: next.fullName, role: next.role, active: next.active,
      version: sql`${users.version} + 1`, updatedAt: sql`now()`,
    }).where(eq(users.userId, userId));
    if (storesChanged) {
      await tx.delete(userStores).where(eq(userStores.userId, userId));
      if (next.storeIds.length) await tx.insert(userStores).values(next.storeIds.map((storeId) => ({ userId, storeId })));
    }
    if (deactivated) await endAccess(tx, userId);
    const after = (await findUser(tx, userId))!;
    await recordAudit(tx, actor, {
      action: deactivated ? 'deactivate' : reactivated ? 'reactivate' : 'update',
      entity: 'user', entityId: userId, before: snapshot(current), after: snapshot(after),
    });
    return after;
  });
}

/** Signs the user out everywhere at once: web sessions, API tokens and pending reset links. */
async function endAccess(tx: Db, userId: number) {
  await endUserSessions(tx, userId);
  await tx.update(apiTokens).set({ revokedAt: sql`now()` }).where(and(eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)));
  await tx.update(passwordResets).set({ usedAt: sql`now()` }).where(and(eq(passwordResets.userId, userId), isNull(passwordResets.usedAt)));
}

export const deactivateUser = (db: Db, userId: number, actor: Actor) => updateUser(db, userId, { active: false }, undefined, actor);
export const reactivateUser = (db: Db, userId: number, actor: Actor) => updateUser(db, userId, { active: true }, undefined, actor);
