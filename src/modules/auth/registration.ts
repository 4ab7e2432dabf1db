// Self-registration that proves the mailbox before anything exists. The form's answer is the same
// for every address; afterwards (after the answer) the address gets one of two mails:
//  - no login has it: a single-use, expiring link to finish creating the account, which links the
//    customer record staff already keep for that address, if any ("claim"), or creates one;
//  - a login has it (customer, staff or admin): a note that someone tried, and nothing is created.
// Using the link needs the password chosen when registering, so the owner of a mailbox who opens a
// stranger's link creates nothing (and never an account whose password the stranger knows).
import { and, eq, gt, isNull, lt, sql } from 'drizzle-orm';
import { users, customers, pendingRegistrations } from '../../db/schema/index.ts';
import type { Db } from '../../db/client.ts';
import type { Config } from '../../config.ts';
import type { Mailer } from '../../lib/mail.ts';
import { hashPassword, verifyPassword } from '../../lib/password.ts';
import { anonymousHashing } from '../../lib/argon2-gate.ts';
import { randomToken, hashToken } from '../../lib/tokens.ts';
import { recordAudit, type Actor } from '../../lib/audit.ts';
import { pgErrorCode } from '../../lib/errors.ts';
import { findUserByEmail } from './repository.ts';
import { bump } from './service.ts';
import { publicUser } from '../users/service.ts';

export const registrationSent = (config: Config) =>
  `Check your mail: we sent a link to finish creating your account. It is valid for ${hoursOf(config.registrationTtlSeconds)}.`;
const hoursOf = (seconds: number) => {
  const hours = Math.round(seconds / 3600);
  return seconds >= 3600 ? `${hours} hour${hours === 1 ? '' : 's'}` : `${Math.round(seconds / 60)} minutes`;
};

export interface RegistrationInput { email: string; fullName: string; password: string }

/** The customer record kept for an address, and whether a login already uses it. */
async function customerByEmail(db: Db, email: string) {
  const rows = await db.select({ id: customers.customerId, email: customers.emailAddress, loginId: users.userId })
    .from(customers).leftJoin(users, eq(users.customerId, customers.customerId))
    .where(sql`lower(${customers.emailAddress}) = lower(${email})`);
  return rows[0] ?? null;
}

/** Runs after the answer: mails the address its link (or its warning). Silent when over the
 * per-address mail limit, so nobody can bomb one mailbox through this form. */
export async function requestRegistration(db: Db, config: Config, mailer: Mailer, input: RegistrationInput, actor: Actor): Promise<void> {
  const email = input.email.trim();
  const sent = await bump(db, `register-mail:${email.toLowerCase()}`, config.login.windowSeconds);
  if (sent > config.login.maxPerAccount) return;
  await db.delete(pendingRegistrations).where(lt(pendingRegistrations.expiresAt, sql`now() - interval '7 days'`));

  const login = await findUserByEmail(db, email);
  const record = await customerByEmail(db, email);
  if (login || record?.loginId) {
    if (login && !login.active) return;
    await mailer.send({
      to: login?.email ?? email,
      subject: 'Someone tried to create an Order Inventory account with your address',
      text: `Hello,\n\nSomeone tried to create an account with your address (${email}) at Order Inventory, but you already have one, so nothing was created.\n\nSign in at ${config.baseUrl}/login, or if you forgot your password, choose a new one at ${config.baseUrl}/forgot-password.\n\nIf it was not you, you can ignore this message.\n`,
    });
    return;
  }

  const passwordHash = await anonymousHashing(config.anonymousHashing).run(() => hashPassword(input.password, config.argon2), { mustRun: true });
  const token = randomToken();
  await db.transaction(async (tx) => {
    await tx.insert(pendingRegistrations).values({
      tokenHash: hashToken(token), email, fullName: input.fullName.trim().slice(0, 200) || email.split('@')[0]!, passwordHash,
      expiresAt: sql`now() + make_interval(secs => ${config.registrationTtlSeconds})`,
    });
    await recordAudit(tx, { ...actor, email }, { action: 'registration_requested', entity: 'customer', entityId: record?.id ?? null });
  });
  const link = `${config.baseUrl}/register/confirm?token=${encodeURIComponent(token)}`;
  const valid = hoursOf(config.registrationTtlSeconds);
  await mailer.send({
    to: email,
    subject: record ? 'Claim your Order Inventory customer account' : 'Finish creating your Order Inventory account',
    text: record
      ? `Hello,\n\nSomeone (we hope you) asked to create an Order Inventory account for ${email}. This address already has a customer record with us, from an order placed in a store or by phone.\nTo claim it, open this link within ${valid} and enter the password you chose when registering:\n\n${link}\n\nYour account will then show your orders and deliveries.\n\nIf it was not you, ignore this message: nothing happens without the link and that password.\n`
      : `Hello,\n\nSomeone (we hope you) asked to create an Order Inventory account for ${email}.\nTo finish, open this link within ${valid} and enter the password you chose when registering:\n\n${link}\n\nIf it was not you, ignore this message: nothing happens without the link and that password.\n`,
  });
}

/** The pending registration behind a token while it can still be used: unused, unexpired, and
 * no login has taken its address since. */
export async function findValidRegistration(db: Db, token: string) {
  if (token.length < 10 || token.length > 200) return null;
  const rows = await db.select({ id: pendingRegistrations.id, email: pendingRegistrations.email, fullName: pendingRegistrations.fullName, passwordHash: pendingRegistrations.passwordHash })
    .from(pendingRegistrations)
    .where(and(eq(pendingRegistrations.tokenHash, hashToken(token)), isNull(pendingRegistrations.usedAt), gt(pendingRegistrations.expiresAt, sql`now()`),
      sql`not exists (select 1 from users u where lower(u.email) = lower(${pendingRegistrations.email}))`));
  return rows[0] ?? null;
}

export type Completion = { ok: true; userId: number } | { ok: false; reason: 'invalid' | 'password' };

class LinkVoid extends Error {}

/** Uses a registration link exactly once: the conditional update wins for one request only and
 * commits together with the login (and the customer record it creates or claims) or not at all. */
export async function completeRegistration(db: Db, config: Config, token: string, password: string, actor: Actor): Promise<Completion> {
  const pending = await findValidRegistration(db, token);
  if (!pending) return { ok: false, reason: 'invalid' };
  const matches = await anonymousHashing(config.anonymousHashing).run(() => verifyPassword(pending.passwordHash, password));
  if (!matches) return { ok: false, reason: 'password' };
  try {
    return await db.transaction(async (tx) => {
      const [used] = await tx.update(pendingRegistrations).set({ usedAt: sql`now()` })
        .where(and(eq(pendingRegistrations.id, pending.id), isNull(pendingRegistrations.usedAt), gt(pendingRegistrations.expiresAt, sql`now()`)))
        .returning({ email: pendingRegistrations.email, fullName: pendingRegistrations.fullName, passwordHash: pendingRegistrations.passwordHash });
      if (!used) throw new LinkVoid();
      const { email, fullName } = used;
      if (await findUserByEmail(tx, email)) throw new LinkVoid();
      const who = { ...actor, email };
      // Two links racing for one record: users_customer_key lets one login have it (23505 below).
      const record = await customerByEmail(tx, email);
      if (record?.loginId) throw new LinkVoid();
      let customerId = record?.id;
      if (!customerId) {
        const [c] = await tx.insert(customers).values({ emailAddress: email, fullName }).returning();
        customerId = c!.customerId;
        await recordAudit(tx, who, { action: 'create', entity: 'customer', entityId: customerId, after: c });
      }
      const [user] = await tx.insert(users).values({ email, passwordHash: used.passwordHash, fullName, role: 'customer', customerId }).returning();
      await recordAudit(tx, { ...who, userId: user!.userId }, {
        action: record ? 'registration_claimed' : 'registration_confirmed', entity: 'user', entityId: user!.userId, after: publicUser(user!),
      });
      return { ok: true as const, userId: user!.userId };
    });
  } catch (err) {
    // A void link, or a race lost to another link of the same address (unique email or record).
    if (err instanceof LinkVoid || pgErrorCode(err) === '23505') return { ok: false, reason: 'invalid' };
    throw err;
  }
}
