// The ledger read side: movement history with a running balance, the movements of one transfer,
// and the movement a service call just wrote. Staff scope is part of every WHERE clause.
import { and, desc, eq, sql, type SQL } from 'drizzle-orm';
import { inventory, products, stockMovements, stores, users, type MovementKind } from '../../db/schema/index.ts';
import { queryRows, type Db } from '../../db/client.ts';
import { allOf, planKeyset, toPage, type Keyset, type Page, likePattern } from '../../lib/list.ts';
import { dayStart, inScope, rowColumns, type Scope, type StockRow } from './repository.ts';

const m = stockMovements;

export interface MovementRow {
  movementId: number;
  storeId: number;
  storeName: string;
  productId: number;
  sku: string;
  productName: string;
  quantity: number;
  kind: MovementKind;
  reason: string | null;
  reference: string | null;
  orderId: number | null;
  shipmentId: number | null;
  transferId: string | null;
  createdAt: Date;
  createdKey: string;
  actorId: number | null;
  actor: string | null;
  /** On hand at the store right after this movement (filled in by listMovements). */
  balance?: number;
}

export interface MovementQuery {
  storeId?: number;
  productId?: number;
  kind?: MovementKind;
  from?: string;
  to?: string;
  actor?: string;
  transferId?: string;
  /** The product's SKU or name, or the movement's reference. */
  q?: string;
  sort?: string;
  order?: 'asc' | 'desc';
  cursor?: string;
  limit?: number;
}

const columns = {
  movementId: m.movementId,
  storeId: m.storeId,
  storeName: stores.storeName,
  productId: m.productId,
  sku: products.sku,
  productName: products.productName,
  quantity: m.quantity,
  kind: m.kind,
  reason: m.reason,
  reference: m.reference,
  orderId: m.orderId,
  shipmentId: m.shipmentId,
  transferId: m.transferId,
  createdAt: m.createdAt,
  createdKey: sql<string>`${m.createdAt}::text`,
  actorId: m.actorId,
  actor: users.email,
};

/** A movement just posted, with the stock row it moved, in one round trip (the answer of every
 * single-row stock use case). */
export async function movementWithStock(db: Db, movementId: number): Promise<{ movement: MovementRow; row: StockRow }> {
  const [found] = await db.select({ ...columns, row: rowColumns }).from(m)
    .innerJoin(stores, eq(stores.storeId, m.storeId))
    .innerJoin(products, eq(products.productId, m.productId))
    .innerJoin(inventory, and(eq(inventory.storeId, m.storeId), eq(inventory.productId, m.productId)))
    .leftJoin(users, eq(users.userId, m.actorId))
    .where(eq(m.movementId, movementId));
  const { row, ...movement } = found!;
  return { movement, row };
}

/** Newest first by default. Movement ids grow with time, and (store, product, movement_id) is
 * indexed, so the default order is also the cheap one for one product's history. */
export const movementKeyset: Keyset<MovementRow> = {
  sorts: {
    movementId: { expr: sql`${m.movementId}`, value: (r) => r.movementId, type: 'int' },
    createdAt: { expr: sql`${m.createdAt}`, value: (r) => r.createdKey, type: 'timestamptz' },
    quantity: { expr: sql`${m.quantity}`, value: (r) => r.quantity, type: 'int' },
  },
  defaultSort: 'movementId',
  defaultOrder: 'desc',
  id: sql`${m.movementId}`,
  idOf: (r) => r.movementId,
};

function actorFilter(actor: string | undefined): SQL | undefined {
  const a = actor?.trim();
  if (!a) return undefined;
  if (/^\d{1,9}$/.test(a)) return eq(m.actorId, Number(a));
  return sql`${m.actorId} = (select ${users.userId} from ${users} where lower(${users.email}) = lower(${a}))`;
}

function movementWhere(scope: Scope, f: MovementQuery, timeZone: string): SQL | undefined {
  return allOf(
    inScope(scope, m.storeId),
    f.storeId !== undefined && eq(m.storeId, f.storeId),
    f.productId !== undefined && eq(m.productId, f.productId),
    !!f.kind && eq(m.kind, f.kind),
    !!f.from && sql`${m.createdAt} >= ${dayStart(f.from, timeZone)}`,
    !!f.to && sql`${m.createdAt} < ${dayStart(f.to, timeZone, 1)}`,
    actorFilter(f.actor),
    !!f.transferId && eq(m.transferId, f.transferId),
    !!f.q?.trim() && sql`(${products.sku} ilike ${likePattern(f.q.trim())} or ${products.productName} ilike ${likePattern(f.q.trim())} or ${m.reference} ilike ${likePattern(f.q.trim())})`,
  );
}

function baseQuery(db: Db) {
  return db.select(columns).from(m)
    .innerJoin(stores, eq(stores.storeId, m.storeId))
    .innerJoin(products, eq(products.productId, m.productId))
    .leftJoin(users, eq(users.userId, m.actorId));
}

/** One page of movements, each with the balance on hand right after it. */
export async function listMovements(db: Db, scope: Scope, query: MovementQuery, timeZone: string): Promise<Page<MovementRow>> {
  const plan = planKeyset(movementKeyset, query);
  const rows = await baseQuery(db).where(allOf(movementWhere(scope, query, timeZone), plan.where))
    .orderBy(...plan.orderBy).limit(plan.limit);
  const page = toPage(movementKeyset, plan, rows, !!query.cursor);
  await addBalances(db, page.items);
  return page;
}

/**
 * The balance after a movement is on_hand minus every later movement of its (store, product),
 * whatever the page's filters left out. One windowed scan per pair on the page covers all its
 * rows: from the oldest movement shown up to the newest movement of the pair. The inventory row
 * and the ledger are read in one statement, so they are one consistent snapshot.
 */
async function addBalances(db: Db, rows: MovementRow[]): Promise<void> {
  if (!rows.length) return;
  const oldest = new Map<string, { storeId: number; productId: number; lo: number }>();
  for (const r of rows) {
    const k = `${r.storeId}:${r.productId}`;
    const seen = oldest.get(k);
    if (!seen || r.movementId < seen.lo) oldest.set(k, { storeId: r.storeId, productId: r.productId, lo: r.movementId });
  }
  const spans = [...oldest.values()];
  const list = (xs: number[]) => `{${xs.map((x) => Math.trunc(x)).join(',')}}`;
  const balances = await queryRows<{ movement_id: number | string; balance: number | string }>(db, sql`
    select movement_id, balance from (
      select n.movement_id, i.on_hand - coalesce(sum(n.quantity) over (
          partition by n.store_id, n.product_id order by n.movement_id desc
          rows between unbounded preceding and 1 preceding), 0) as balance
      from unnest(${list(spans.map((s) => s.storeId))}::int[], ${list(spans.map((s) => s.productId))}::int[],
                  ${list(spans.map((s) => s.lo))}::bigint[]) as span(store_id, product_id, lo)
      join ${stockMovements} n on n.store_id = span.store_id and n.product_id = span.product_id and n.movement_id >= span.lo
      join ${inventory} i on i.store_id = span.store_id and i.product_id = span.product_id
    ) b
    where movement_id = any(${list(rows.map((r) => r.movementId))}::bigint[])`);
  const byId = new Map(balances.map((b) => [Number(b.movement_id), Number(b.balance)]));
  for (const r of rows) r.balance = byId.get(r.movementId);
}

/** Both sides of a transfer, or [] when none of it is in the caller's stores. */
export async function transferMovements(db: Db, scope: Scope, transferId: string): Promise<MovementRow[]> {
  // Staff see a transfer that leaves or reaches one of their stores, both sides of it.
  const visible = scope === 'all' ? undefined
    : sql`exists (select 1 from ${stockMovements} x where x.transfer_id = ${transferId}::uuid and ${inScope(scope, sql`x.store_id`)})`;
  return baseQuery(db).where(allOf(eq(m.transferId, transferId), visible))
    .orderBy(desc(m.kind), m.productId);
}

/** The newest movement of a (store, product); right after a write the caller holds the row
 * lock, so it is the caller's own movement. */
export async function latestMovement(db: Db, storeId: number, productId: number): Promise<MovementRow> {
  const rows = await baseQuery(db).where(and(eq(m.storeId, storeId), eq(m.productId, productId)))
    .orderBy(desc(m.movementId)).limit(1);
  return rows[0]!;
}
