// Sign-in, throttling and password reset. Answers never reveal whether an email has an account:
// unknown emails cost the same password check and get the same message.
import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import { users, passwordResets, loginThrottle, apiTokens } from '../../db/schema/index.ts';
import type { Db } from '../../db/client.ts';
import type { Config } from '../../config.ts';
import { verifyPassword, burnPasswordCheck, hashPassword } from '../../lib/password.ts';
import { randomToken, hashToken } from '../../lib/tokens.ts';
import { anonymousHashing } from '../../lib/argon2-gate.ts';
import { recordAudit, type Actor } from '../../lib/audit.ts';
import { tooManyRequests } from '../../lib/errors.ts';
import type { Mailer } from '../../lib/mail.ts';
import { findUserByEmail } from './repository.ts';
import { isEmailAddress } from '../../lib/email.ts';
import { applyPasswordHash } from '../users/service.ts';

export const BAD_CREDENTIALS = 'The email or password is not correct.';
export const RESET_SENT = 'If an account exists for that email, we have sent a link to reset its password. It expires in 30 minutes.';

/** Counts a failure against a throttle key and returns the count inside the current window. */
export async function bump(db: Db, key: string, windowSeconds: number): Promise<number> {
  const window = sql`make_interval(secs => ${windowSeconds})`;
  const rows = await db.insert(loginThrottle).values({ key, failures: 1 })
    .onConflictDoUpdate({
      target: loginThrottle.key,
      set: {
        failures: sql`case when ${loginThrottle.windowStartedAt} < now() - ${window} then 1 else ${loginThrottle.failures} + 1 end`,
        windowStartedAt: sql`case when ${loginThrottle.windowStartedAt} < now() - ${window} then now() else ${loginThrottle.windowStartedAt} end`,
      },
    }).returning({ failures: loginThrottle.failures });
  return rows[0]!.failures;
}

/** Gives back a slot taken by bump (a sign-in that succeeded). */
async function unbump(db: Db, key: string): Promise<void> {
  await db.update(loginThrottle).set({ failures: sql`greatest(${loginThrottle.failures} - 1, 0)` }).where(eq(loginThrottle.key, key));
}

const tooManyFailures = (windowSeconds: number) =>
  tooManyRequests(`Too many failed sign-in attempts. Wait ${Math.ceil(windowSeconds / 60)} minutes and try again, or reset your password.`);

export type AuthResult = { ok: true; user: typeof users.$inferSelect } | { ok: false };

/** Checks credentials with per-IP and per-account throttling; audits success and failure.
 * Every attempt takes a slot of both budgets before any password is checked (one atomic
 * statement each), so guesses sent at once cannot all pass a check made before any of them
 * counted; a success gives its slots back. The account's budget is keyed on the account itself,
 * or on the lower-cased email when there is none (the answers must not tell them apart). */
export async function authenticate(db: Db, config: Config, email: string, password: string, actor: Actor): Promise<AuthResult> {
  const ip = actor.ip ?? 'unknown';
  const { windowSeconds, maxPerAccount, maxPerIp } = config.login;
  // Only an address registration would accept names an account: `pt-admİn@…` would otherwise
  // find pt-admin through PostgreSQL's lower() under a spelling of its own.
  const user = isEmailAddress(email) ? await findUserByEmail(db, email) : null;
  const ipKey = `ip:${ip}`;
  const accountKey = user ? `account:user:${user.userId}` : `account:email:${email.toLowerCase()}`;
  const [byIp, byAccount] = await Promise.all([bump(db, ipKey, windowSeconds), bump(db, accountKey, windowSeconds)]);
  if (byIp > maxPerIp || byAccount > maxPerAccount) throw tooManyFailures(windowSeconds);
  const gate = anonymousHashing(config.anonymousHashing);
  const ok = user ? await gate.run(() => verifyPassword(user.passwordHash, password)) : (await gate.run(() => burnPasswordCheck(password, config.argon2)), false);
  if (!ok || !user || !user.active) {
    await recordAudit(db, { ...actor, userId: user?.userId ?? null, email }, { action: 'login_failed', entity: 'user', entityId: user?.userId ?? null });
    return { ok: false };
  }
  await db.delete(loginThrottle).where(eq(loginThrottle.key, accountKey));
  await unbump(db, ipKey);
  await recordAudit(db, { ...actor, userId: user.userId, email: user.email }, { action: 'login', entity: 'user', entityId: user.userId });
  return { ok: true, user };
}

/** Creates a single-use reset token and mails the link; silent when the email is unknown. */
export async function requestPasswordReset(db: Db, config: Config, mailer: Mailer, email: string, actor: Actor): Promise<void> {
  const ip = actor.ip ?? 'unknown';
  // Limits mail bombing of one address and scanning from one IP, without telling either apart.
  const sent = await bump(db, `reset:${email.toLowerCase()}`, config.login.windowSeconds);
  const fromIp = await bump(db, `reset-ip:${ip}`, config.login.windowSeconds);
  if (sent > config.login.maxPerAccount || fromIp > config.login.maxPerIp) return;
  const user = await findUserByEmail(db, email);
  if (!user || !user.active) return;
  const token = randomToken();
  await db.transaction(async (tx) => {
    // A new link voids the older ones.
    await tx.update(passwordResets).set({ usedAt: sql`now()` })
      .where(and(eq(passwordResets.userId, user.userId), isNull(passwordResets.usedAt)));
    await tx.insert(passwordResets).values({
      userId: user.userId, tokenHash: hashToken(token),
      expiresAt: sql`now() + make_interval(secs => ${config.resetTokenTtlSeconds})`,
    });
    await recordAudit(tx, { ...actor, email }, { action: 'password_reset_requested', entity: 'user', entityId: user.userId });
  });
  const link = `${config.baseUrl}/reset-password?token=${encodeURIComponent(token)}`;
  await mailer.send({
    to: user.email,
    subject: 'Reset your Order Inventory password',
    text: `Hello ${user.fullName},\n\nSomeone asked to reset the password of your Order Inventory account.\nOpen this link within ${Math.round(config.resetTokenTtlSeconds / 60)} minutes to choose a new one:\n\n${link}\n\nIf it was not you, ignore this message; your password stays as it is.\n`,
  });
}

/** The user a reset token belongs to, if it is unused and unexpired. */
export async function findValidReset(db: Db, token: string) {
  const rows = await db.select({ id: passwordResets.id, userId: passwordResets.userId, email: users.email, role: users.role }).from(passwordResets)
    .innerJoin(users, eq(users.userId, passwordResets.userId))
    .where(and(eq(passwordResets.tokenHash, hashToken(token)), isNull(passwordResets.usedAt),
      gt(passwordResets.expiresAt, sql`now()`), eq(users.active, true)));
  return rows[0] ?? null;
}

/** Uses a reset token exactly once: the conditional update wins for one request only, and it
 * commits together with the new password or not at all. */
export async function resetPassword(db: Db, config: Config, token: string, password: string, actor: Actor): Promise<boolean> {
  const passwordHash = await anonymousHashing(config.anonymousHashing).run(() => hashPassword(password, config.argon2));
  return db.transaction(async (tx) => {
    const used = await tx.update(passwordResets).set({ usedAt: sql`now()` })
      .where(and(eq(passwordResets.tokenHash, hashToken(token)), isNull(passwordResets.usedAt), gt(passwordResets.expiresAt, sql`now()`)))
      .returning({ userId: passwordResets.userId });
    const userId = used[0]?.userId;
    if (!userId) return false;
    await applyPasswordHash(tx, userId, passwordHash, { ...actor, userId }, 'password_reset');
    return true;
  });
}

/** Issues an API bearer token; only its hash is stored. */
export async function issueApiToken(db: Db, config: Config, userId: number) {
  const token = randomToken();
  const [row] = await db.insert(apiTokens).values({
    userId, tokenHash: hashToken(token), expiresAt: sql`now() + make_interval(secs => ${config.apiTokenTtlSeconds})`,
  }).returning({ expiresAt: apiTokens.expiresAt });
  return { token, expiresAt: new Date(row!.expiresAt) };
}
