// Set-password links sent by an administrator: an invitation for a new account, or a reset for
// an existing one. They reuse the self-service reset flow (password_resets, /reset-password) but
// skip its throttling, which protects against anonymous mail bombing, not against admins.
import { and, eq, isNull, sql } from 'drizzle-orm';
import { users, passwordResets } from '../../db/schema/index.ts';
import type { Db } from '../../db/client.ts';
import type { Config } from '../../config.ts';
import type { Mailer } from '../../lib/mail.ts';
import { recordAudit, type Actor } from '../../lib/audit.ts';
import { randomToken, hashToken } from '../../lib/tokens.ts';
import { conflict, notFound } from '../../lib/errors.ts';

/** An invitation stays valid longer than a self-service reset: people do not always read
 * their mail within the half hour. */
export const INVITE_TTL_SECONDS = 72 * 3600;

export type LinkKind = 'invite' | 'reset';

/** Issues a single-use link for the user (voiding older ones) and mails it. */
export async function sendPasswordLink(db: Db, config: Config, mailer: Mailer, userId: number, actor: Actor, kind: LinkKind): Promise<void> {
  const [user] = await db.select({ email: users.email, fullName: users.fullName, active: users.active }).from(users).where(eq(users.userId, userId));
  if (!user) throw notFound(`User #${userId}`);
  if (!user.active) throw conflict('This account is deactivated: reactivate it before sending a password link.');
  const ttl = kind === 'invite' ? INVITE_TTL_SECONDS : config.resetTokenTtlSeconds;
  const token = randomToken();
  await db.transaction(async (tx) => {
    await tx.update(passwordResets).set({ usedAt: sql`now()` })
      .where(and(eq(passwordResets.userId, userId), isNull(passwordResets.usedAt)));
    await tx.insert(passwordResets).values({
      userId, tokenHash: hashToken(token), expiresAt: sql`now() + make_interval(secs => ${ttl})`,
    });
    await recordAudit(tx, actor, { action: 'password_link_sent', entity: 'user', entityId: userId, after: { kind } });
  });
  const link = `${config.baseUrl}/reset-password?token=${encodeURIComponent(token)}`;
  const hours = Math.round(ttl / 3600);
  const valid = ttl >= 3600 ? `${hours} hour${hours === 1 ? '' : 's'}` : `${Math.round(ttl / 60)} minutes`;
  await mailer.send(kind === 'invite'
    ? {
      to: user.email,
      subject: 'Your Order Inventory account',
      text: `Hello ${user.fullName},\n\nAn administrator created an Order Inventory account for you (${user.email}).\nOpen this link within ${valid} to choose your password:\n\n${link}\n\nAfterwards, sign in at ${config.baseUrl}/login.\n`,
    }
    : {
      to: user.email,
      subject: 'Reset your Order Inventory password',
      text: `Hello ${user.fullName},\n\nAn administrator asked for your Order Inventory password to be reset.\nOpen this link within ${valid} to choose a new one:\n\n${link}\n\nUntil then your current password keeps working.\n`,
    });
}
