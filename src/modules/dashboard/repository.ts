import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { queryRows, intArray } from '../../db/client.ts';

export interface DashboardCounts { orders: number; products: number; customers: number; stockUnits: number; lowStock: number }

/** Headline counts in one round trip, limited to the given stores (null = all). */
export async function dashboardCounts(db: Db, storeIds: number[] | null): Promise<DashboardCounts> {
  const scope = storeIds === null ? sql`true` : sql`store_id = any(${intArray(storeIds)})`;
  const rows = await queryRows<DashboardCounts>(db, sql`select
      (select count(*) from orders where ${scope})::int as "orders",
      (select count(*) from products where active)::int as "products",
      (select count(*) from customers)::int as "customers",
      (select coalesce(sum(on_hand), 0) from inventory where ${scope})::bigint as "stockUnits",
      (select count(*) from inventory where ${scope} and on_hand - reserved <= reorder_point)::int as "lowStock"`);
  const r = rows[0]!;
  return { orders: Number(r.orders), products: Number(r.products), customers: Number(r.customers), stockUnits: Number(r.stockUnits), lowStock: Number(r.lowStock) };
}
