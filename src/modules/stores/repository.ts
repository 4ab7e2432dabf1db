// Store reads: the keyset-paginated list (scoped to the viewer's stores in SQL), per-store
// aggregates for one page of stores, and the detail page's stock summary and recent orders.
import { and, eq, or, sql, ilike } from 'drizzle-orm';
import { stores } from '../../db/schema/index.ts';
import { queryRows, intArray, type Db } from '../../db/client.ts';
import { planKeyset, toPage, allOf, likePattern, type Keyset, type Page } from '../../lib/list.ts';

export type StoreRow = Pick<typeof stores.$inferSelect,
  'storeId' | 'storeName' | 'webAddress' | 'physicalAddress' | 'latitude' | 'longitude' | 'version'>;

export const storeColumns = {
  storeId: stores.storeId,
  storeName: stores.storeName,
  webAddress: stores.webAddress,
  physicalAddress: stores.physicalAddress,
  latitude: stores.latitude,
  longitude: stores.longitude,
  version: stores.version,
};

export const storeKeyset: Keyset<StoreRow> = {
  sorts: {
    storeName: { expr: sql`${stores.storeName}`, value: (r) => r.storeName },
    storeId: { expr: sql`${stores.storeId}`, value: (r) => r.storeId, type: 'int' },
    webAddress: { expr: sql`coalesce(${stores.webAddress}, '')`, value: (r) => r.webAddress ?? '' },
    physicalAddress: { expr: sql`coalesce(${stores.physicalAddress}, '')`, value: (r) => r.physicalAddress ?? '' },
  },
  defaultSort: 'storeName',
  defaultOrder: 'asc',
  id: sql`${stores.storeId}`,
  idOf: (r) => r.storeId,
};

export interface StoreListQuery { q?: string; sort?: string; order?: 'asc' | 'desc'; cursor?: string; limit?: number }

/** One page of stores. `scope` is 'all' or the store ids the viewer works in. */
export async function listStores(db: Db, query: StoreListQuery, scope: 'all' | number[]): Promise<Page<StoreRow>> {
  const plan = planKeyset(storeKeyset, query);
  const q = query.q?.trim();
  const where = allOf(
    scope !== 'all' && sql`${stores.storeId} = any(${intArray(scope)})`,
    q ? or(ilike(stores.storeName, likePattern(q)), ilike(stores.webAddress, likePattern(q)), ilike(stores.physicalAddress, likePattern(q))) : undefined,
    plan.where,
  );
  const rows = await db.select(storeColumns).from(stores).where(where).orderBy(...plan.orderBy).limit(plan.limit);
  return toPage(storeKeyset, plan, rows, !!query.cursor);
}

export interface StoreCounts { stockUnits: number; productsStocked: number; openOrders: number }

/** Stock units, products in stock and open orders for the given stores, in one round trip.
 * Inventory is read through its primary key (store first); open orders through the status index
 * (few orders are OPEN at any time). */
export async function storeCounts(db: Db, storeIds: number[]): Promise<Map<number, StoreCounts>> {
  const result = new Map<number, StoreCounts>();
  if (!storeIds.length) return result;
  const rows = await queryRows<{ storeId: number; stockUnits: number; productsStocked: number; openOrders: number }>(db, sql`
    select s.id as "storeId",
      coalesce(i.units, 0)::bigint as "stockUnits", coalesce(i.stocked, 0)::int as "productsStocked",
      coalesce(o.open, 0)::int as "openOrders"
    from unnest(${intArray(storeIds)}) as s(id)
    left join (select store_id, sum(on_hand) as units, count(*) filter (where on_hand > 0) as stocked
               from inventory where store_id = any(${intArray(storeIds)}) group by store_id) i on i.store_id = s.id
    left join (select store_id, count(*) as open from orders
               where order_status = 'OPEN' and store_id = any(${intArray(storeIds)}) group by store_id) o on o.store_id = s.id`);
  for (const r of rows) {
    result.set(Number(r.storeId), { stockUnits: Number(r.stockUnits), productsStocked: Number(r.productsStocked), openOrders: Number(r.openOrders) });
  }
  return result;
}

export async function findStore(db: Db, storeId: number): Promise<StoreRow | null> {
  const rows = await db.select(storeColumns).from(stores).where(eq(stores.storeId, storeId));
  return rows[0] ?? null;
}

/** Another store already uses this name (compared case-insensitively). */
export async function storeNameTaken(db: Db, storeName: string, exceptId?: number): Promise<boolean> {
  const rows = await db.select({ id: stores.storeId }).from(stores)
    .where(and(sql`lower(${stores.storeName}) = lower(${storeName})`, exceptId ? sql`${stores.storeId} <> ${exceptId}` : undefined))
    .limit(1);
  return rows.length > 0;
}

export interface StockSummary { onHand: number; reserved: number; available: number; lowStock: number; productsStocked: number; stockValue: string }

/** One pass over the store's inventory rows (primary key prefix), joined to prices. Low stock is
 * what the dashboard counts: available at or below the reorder point. */
export async function stockSummary(db: Db, storeId: number): Promise<StockSummary> {
  const [r] = await queryRows<StockSummary>(db, sql`
    select coalesce(sum(i.on_hand), 0)::bigint as "onHand", coalesce(sum(i.reserved), 0)::bigint as "reserved",
      coalesce(sum(i.on_hand - i.reserved), 0)::bigint as "available",
      (count(*) filter (where i.on_hand - i.reserved <= i.reorder_point))::int as "lowStock",
      (count(*) filter (where i.on_hand > 0))::int as "productsStocked",
      coalesce(sum(i.on_hand * p.unit_price), 0)::numeric(16,2)::text as "stockValue"
    from inventory i join products p on p.product_id = i.product_id
    where i.store_id = ${storeId}`);
  return {
    onHand: Number(r!.onHand), reserved: Number(r!.reserved), available: Number(r!.available),
    lowStock: Number(r!.lowStock), productsStocked: Number(r!.productsStocked), stockValue: r!.stockValue,
  };
}

export interface RecentOrder { orderId: number; orderTms: string; orderStatus: string; customerId: number; customerName: string; total: string; lines: number }

/** The store's newest orders (orders_store_tms_idx read backwards), with totals. */
export async function recentOrders(db: Db, storeId: number, limit = 20): Promise<RecentOrder[]> {
  const rows = await queryRows<RecentOrder>(db, sql`
    select o.order_id as "orderId", o.order_tms as "orderTms", o.order_status as "orderStatus",
      o.customer_id as "customerId", c.full_name as "customerName",
      coalesce(t.total, 0)::numeric(14,2)::text as "total", coalesce(t.lines, 0)::int as "lines"
    from (select order_id, order_tms, order_status, customer_id from orders
          where store_id = ${storeId} order by order_tms desc, order_id desc limit ${limit}) o
    join customers c on c.customer_id = o.customer_id
    left join lateral (select sum(oi.unit_price * oi.quantity) as total, count(*) as lines
                       from order_items oi where oi.order_id = o.order_id) t on true
    order by o.order_tms desc, o.order_id desc`);
  return rows.map((r) => ({ ...r, orderId: Number(r.orderId), customerId: Number(r.customerId) }));
}

export interface StoreUsage { inventoryRows: number; orders: boolean; shipments: boolean; staff: number }

/** What keeps a store from being deleted. */
export async function storeUsage(db: Db, storeId: number): Promise<StoreUsage> {
  const [r] = await queryRows<StoreUsage>(db, sql`select
      (select count(*) from inventory where store_id = ${storeId})::int as "inventoryRows",
      exists (select 1 from orders where store_id = ${storeId}) as "orders",
      exists (select 1 from shipments where store_id = ${storeId}) as "shipments",
      (select count(*) from user_stores where store_id = ${storeId})::int as "staff"`);
  return { inventoryRows: Number(r!.inventoryRows), orders: !!r!.orders, shipments: !!r!.shipments, staff: Number(r!.staff) };
}

/** All stores by name, for pickers (store assignment of staff); small by nature. */
export async function allStoreNames(db: Db): Promise<Array<{ storeId: number; storeName: string }>> {
  return db.select({ storeId: stores.storeId, storeName: stores.storeName }).from(stores).orderBy(stores.storeName, stores.storeId);
}
