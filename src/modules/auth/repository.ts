import { and, eq, sql, type SQL } from 'drizzle-orm';
import { users } from '../../db/schema/index.ts';
import type { Db } from '../../db/client.ts';
import type { CurrentUser } from '../../lib/access.ts';

/** The active user with their store scope, in one query; null when missing or inactive. */
export async function loadCurrentUser(db: Db, userId: number): Promise<{ user: CurrentUser; passwordChangedAt: Date } | null> {
  return loadUserWhere(db, eq(users.userId, userId));
}

/** The active user behind a live API token (not revoked, not expired), in one round trip: this
 * runs before every API request. */
export function loadUserByToken(db: Db, tokenHash: string): Promise<{ user: CurrentUser; passwordChangedAt: Date } | null> {
  return loadUserWhere(db, sql`${users.userId} = (select t.user_id from api_tokens t
    where t.token_hash = ${tokenHash} and t.revoked_at is null and t.expires_at > now())`);
}

async function loadUserWhere(db: Db, which: SQL): Promise<{ user: CurrentUser; passwordChangedAt: Date } | null> {
  const rows = await db.select({
    id: users.userId,
    email: users.email,
    fullName: users.fullName,
    role: users.role,
    customerId: users.customerId,
    passwordChangedAt: users.passwordChangedAt,
    // Spelled out with aliases: Drizzle renders a column of the selected table unqualified, and an
    // unqualified user_id inside this subquery would mean user_stores.user_id (every row).
    storeIds: sql<number[]>`coalesce((select array_agg(us.store_id order by us.store_id) from user_stores us where us.user_id = "users"."user_id"), '{}')`,
  }).from(users).where(and(which, eq(users.active, true)));
  const row = rows[0];
  if (!row) return null;
  const { passwordChangedAt, ...user } = row;
  return { user: { ...user, storeIds: (user.storeIds ?? []).map(Number) }, passwordChangedAt: new Date(passwordChangedAt) };
}

export async function findUserByEmail(db: Db, email: string) {
  const rows = await db.select().from(users).where(sql`lower(${users.email}) = lower(${email})`);
  return rows[0] ?? null;
}
