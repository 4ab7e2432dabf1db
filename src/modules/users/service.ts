// Account creation and password changes. Used by the CLI, the first-start bootstrap and the
// users pages, so every path hashes, audits and scopes alike. Self-registration does not come
// here: it creates its login when the mailed link is used (auth/registration.ts).
import { eq, sql, inArray } from 'drizzle-orm';
import { users, userStores, customers, stores, apiTokens, passwordResets, type Role } from '../../db/schema/index.ts';
import type { Db } from '../../db/client.ts';
import type { Argon2Cost } from '../../config.ts';
import { hashPassword, passwordProblem } from '../../lib/password.ts';
import { recordAudit, type Actor } from '../../lib/audit.ts';
import { unprocessable, conflict } from '../../lib/errors.ts';
import { endUserSessions } from '../auth/repository.ts';
import { isEmailAddress } from '../../lib/email.ts';

export interface NewUser {
  email: string;
  password: string;
  fullName?: string;
  role: Role;
  storeIds?: number[];
}

export { EMAIL_RE } from '../../lib/email.ts';

export function publicUser(u: typeof users.$inferSelect, storeIds: number[] = []) {
  return { id: u.userId, email: u.email, fullName: u.fullName, role: u.role, active: u.active, customerId: u.customerId, storeIds };
}

/** Creates an account (and, for a customer, its customer record) in one transaction. */
export async function createUser(db: Db, input: NewUser, actor: Actor, cost: Argon2Cost) {
  const email = input.email.trim();
  if (!isEmailAddress(email)) throw unprocessable('Enter a valid email address.', [{ field: 'email', message: 'Enter a valid email address.' }]);
  const problem = passwordProblem(input.password, email, input.role);
  if (problem) throw unprocessable(problem, [{ field: 'password', message: problem }]);
  const storeIds = [...new Set(input.storeIds ?? [])];
  if (input.role !== 'staff' && storeIds.length) throw unprocessable('Only staff accounts are assigned to stores.', [{ field: 'storeIds', message: 'Only staff accounts are assigned to stores.' }]);
  const fullName = (input.fullName?.trim() || email.split('@')[0])!.slice(0, 200);
  const passwordHash = await hashPassword(input.password, cost);

  return db.transaction(async (tx) => {
    const taken = await tx.select({ id: users.userId }).from(users).where(sql`lower(${users.email}) = lower(${email})`);
    if (taken.length) throw conflict('An account with this email already exists.', [{ field: 'email', message: 'An account with this email already exists.' }]);
    if (storeIds.length) {
      const found = await tx.select({ id: stores.storeId }).from(stores).where(inArray(stores.storeId, storeIds));
      if (found.length !== storeIds.length) throw unprocessable('Unknown store.', [{ field: 'storeIds', message: 'One of the stores does not exist.' }]);
    }
    let customerId: number | null = null;
    if (input.role === 'customer') {
      // A customer record may already exist (created by staff); the account links to it. Only
      // trusted callers (the CLI, the first-start bootstrap) come here: self-registration links a
      // record only through its mailed link (auth/registration.ts), which proves the mailbox.
      const existing = await tx.select({ id: customers.customerId }).from(customers)
        .where(sql`lower(${customers.emailAddress}) = lower(${email})`);
      if (existing[0]) {
        customerId = existing[0].id;
      } else {
        const [c] = await tx.insert(customers).values({ emailAddress: email, fullName }).returning();
        customerId = c!.customerId;
        await recordAudit(tx, actor, { action: 'create', entity: 'customer', entityId: customerId, after: c });
      }
    }
    const [user] = await tx.insert(users).values({ email, passwordHash, fullName, role: input.role, customerId }).returning();
    if (storeIds.length) await tx.insert(userStores).values(storeIds.map((storeId) => ({ userId: user!.userId, storeId })));
    const result = publicUser(user!, storeIds);
    await recordAudit(tx, actor, { action: 'create', entity: 'user', entityId: user!.userId, after: result });
    return result;
  });
}

/** Stores a new password hash and ends every session, API token and pending reset or invite link
 * of the user (a password changed because the mailbox may be read by someone else must not leave
 * that someone a link). Runs inside the caller's transaction. */
export async function applyPasswordHash(tx: Db, userId: number, passwordHash: string, actor: Actor, action: string) {
  await tx.update(users).set({ passwordHash, passwordChangedAt: sql`now()`, updatedAt: sql`now()`, version: sql`${users.version} + 1` })
    .where(eq(users.userId, userId));
  await endUserSessions(tx, userId);
  await tx.update(apiTokens).set({ revokedAt: sql`now()` }).where(sql`${apiTokens.userId} = ${userId} and ${apiTokens.revokedAt} is null`);
  await tx.update(passwordResets).set({ usedAt: sql`now()` }).where(sql`${passwordResets.userId} = ${userId} and ${passwordResets.usedAt} is null`);
  await recordAudit(tx, actor, { action, entity: 'user', entityId: userId });
}

export async function setPassword(db: Db, userId: number, password: string, actor: Actor, cost: Argon2Cost, action = 'password_change') {
  const passwordHash = await hashPassword(password, cost);
  await db.transaction((tx) => applyPasswordHash(tx, userId, passwordHash, actor, action));
}
