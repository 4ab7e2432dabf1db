// Reading accounts: one user with their stores, and the keyset-paginated list with filters by
// role, active flag, store and a search over email and name. The page's store names and last
// sign-ins come from one extra query over the page's ids, not from per-row lookups.
import { eq, or, sql, ilike } from 'drizzle-orm';
import { users, userStores } from '../../db/schema/index.ts';
import { queryRows, intArray, type Db } from '../../db/client.ts';
import { allOf, likePattern, planKeyset, toPage, type Keyset, type Page } from '../../lib/list.ts';
import type { Role } from '../../db/schema/index.ts';

export interface UserDetail {
  id: number;
  email: string;
  fullName: string;
  role: Role;
  active: boolean;
  customerId: number | null;
  storeIds: number[];
  version: number;
  createdAt: Date | string;
}

// Written out with explicit qualifiers: Drizzle renders columns of a single-table select
// unqualified, and an unqualified "user_id" inside the subquery would mean user_stores.user_id.
const storeIdsSubquery = sql<number[]>`coalesce((select array_agg(us.store_id order by us.store_id) from user_stores us where us.user_id = "users"."user_id"), '{}')`;

export const userColumns = {
  id: users.userId,
  email: users.email,
  fullName: users.fullName,
  role: users.role,
  active: users.active,
  customerId: users.customerId,
  storeIds: storeIdsSubquery,
  version: users.version,
  createdAt: users.createdAt,
};

const fix = (u: UserDetail): UserDetail => ({ ...u, storeIds: (u.storeIds ?? []).map(Number) });

export async function findUser(db: Db, userId: number, opts: { lock?: boolean } = {}): Promise<UserDetail | null> {
  const query = db.select(userColumns).from(users).where(eq(users.userId, userId));
  // FOR UPDATE OF users: the store-id subquery must not try to lock user_stores rows.
  const rows = opts.lock ? await query.for('update', { of: users }) : await query;
  return rows[0] ? fix(rows[0]) : null;
}

export async function emailTaken(db: Db, email: string, exceptId?: number): Promise<boolean> {
  const rows = await db.select({ id: users.userId }).from(users)
    .where(allOf(sql`lower(${users.email}) = lower(${email})`, exceptId ? sql`${users.userId} <> ${exceptId}` : undefined)).limit(1);
  return rows.length > 0;
}

export type UserListRow = Omit<UserDetail, 'storeIds'> & { storeIds: number[] };

export const userKeyset: Keyset<UserListRow> = {
  sorts: {
    email: { expr: sql`lower(${users.email})`, value: (r) => r.email.toLowerCase() },
    fullName: { expr: sql`${users.fullName}`, value: (r) => r.fullName },
    role: { expr: sql`${users.role}`, value: (r) => r.role },
    createdAt: { expr: sql`${users.createdAt}`, value: (r) => new Date(r.createdAt).toISOString(), type: 'timestamptz' },
    id: { expr: sql`${users.userId}`, value: (r) => r.id, type: 'int' },
  },
  defaultSort: 'email',
  defaultOrder: 'asc',
  id: sql`${users.userId}`,
  idOf: (r) => r.id,
};

export interface UserFilters { q?: string; role?: Role; active?: boolean; storeId?: number }
export interface UserListQuery extends UserFilters { sort?: string; order?: 'asc' | 'desc'; cursor?: string; limit?: number }

export async function listUsers(db: Db, query: UserListQuery): Promise<Page<UserListRow>> {
  const plan = planKeyset(userKeyset, query);
  const q = query.q?.trim();
  const where = allOf(
    query.role ? eq(users.role, query.role) : undefined,
    query.active !== undefined ? eq(users.active, query.active) : undefined,
    query.storeId ? sql`exists (select 1 from ${userStores} where ${userStores.userId} = ${users.userId} and ${userStores.storeId} = ${query.storeId})` : undefined,
    q ? or(ilike(users.email, likePattern(q)), ilike(users.fullName, likePattern(q))) : undefined,
    plan.where,
  );
  const { storeIds: _s, ...base } = userColumns;
  const rows = await db.select(base).from(users).where(where).orderBy(...plan.orderBy).limit(plan.limit);
  return toPage(userKeyset, plan, rows.map((r) => ({ ...r, storeIds: [] })), !!query.cursor);
}

export interface UserExtras { stores: Array<{ storeId: number; storeName: string }>; lastLoginAt: string | null }

/** Store names and the last sign-in (from the audit log's per-record index) of a page of users. */
export async function userExtras(db: Db, userIds: number[]): Promise<Map<number, UserExtras>> {
  const out = new Map<number, UserExtras>();
  if (!userIds.length) return out;
  const rows = await queryRows<{ id: number; stores: Array<{ storeId: number; storeName: string }> | null; lastLoginAt: string | null }>(db, sql`
    select u.id,
      (select json_agg(json_build_object('storeId', s.store_id, 'storeName', s.store_name) order by s.store_name)
         from user_stores us join stores s on s.store_id = us.store_id where us.user_id = u.id) as "stores",
      (select a.created_at from audit_events a
         where a.entity = 'user' and a.entity_id = u.id::text and a.action = 'login'
         order by a.audit_id desc limit 1) as "lastLoginAt"
    from unnest(${intArray(userIds)}) as u(id)`);
  for (const r of rows) out.set(Number(r.id), { stores: r.stores ?? [], lastLoginAt: r.lastLoginAt });
  return out;
}

/** Store ids of a page of users, in one query over user_stores' primary key. */
export async function storeIdsOf(db: Db, userIds: number[]): Promise<Map<number, number[]>> {
  const out = new Map<number, number[]>();
  if (!userIds.length) return out;
  const rows = await queryRows<{ id: number; storeIds: number[] }>(db, sql`
    select user_id as id, array_agg(store_id order by store_id) as "storeIds"
    from user_stores where user_id = any(${intArray(userIds)}) group by user_id`);
  for (const r of rows) out.set(Number(r.id), r.storeIds.map(Number));
  return out;
}

/** Locks the active administrators' rows (in id order, the order every such transaction uses)
 * and returns their ids. A concurrent demotion that committed first drops out of the result
 * (PostgreSQL re-checks locked rows against the WHERE), so two demotions cannot both pass. */
export async function lockActiveAdmins(tx: Db): Promise<number[]> {
  const rows = await tx.select({ id: users.userId }).from(users)
    .where(allOf(eq(users.role, 'admin'), eq(users.active, true)))
    .orderBy(users.userId).for('update');
  return rows.map((r) => r.id);
}
