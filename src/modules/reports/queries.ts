// The report figures, read from the rollups (kept current by refresh.ts). The dashboard page, its
// CSV downloads and the reports API all call these, so they always show the same numbers.
// Definitions (see the README section): order counts count every order placed in the period,
// whatever its status; units and revenue only count orders that are not CANCELLED or REFUNDED.
import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { queryRows, intArray } from '../../db/client.ts';
import { orderStatuses, shipmentStatuses, type OrderStatus, type ShipmentStatus } from '../../db/schema/index.ts';
import type { Period, StoreSelection } from './params.ts';

const COUNTED = sql.raw(`order_status not in ('CANCELLED', 'REFUNDED')`);
export const NOT_COUNTED: OrderStatus[] = ['CANCELLED', 'REFUNDED'];

/** Rollup rows of the selection: one pre-summed store id (0 = all stores) or several to add up. */
function rollupStores(sel: StoreSelection, col = 'store_id'): SQL {
  return 'single' in sel ? sql`${sql.raw(col)} = ${sel.single}` : sql`${sql.raw(col)} = any(${intArray(sel.many)})`;
}

/** The same selection over real store ids (stores, inventory). */
function rawStores(sel: StoreSelection, col: string): SQL {
  if ('single' in sel) return sel.single === 0 ? sql`true` : sql`${sql.raw(col)} = ${sel.single}`;
  return sql`${sql.raw(col)} = any(${intArray(sel.many)})`;
}

const grainOf = (g: string) => sql.raw(`'${g === 'Y' ? 'Y' : g === 'M' ? 'M' : 'D'}'`);
const n = (v: unknown) => Number(v ?? 0);

export interface SalesRow { period: string; orders: number; units: number; revenue: string }

/** Orders, units and revenue per month of the year, or per day of the month, zeros included. */
export async function salesSeries(db: Db, sel: StoreSelection, p: Period): Promise<SalesRow[]> {
  const monthly = p.seriesGrain === 'M';
  const rows = await queryRows<SalesRow>(db, sql`
    with s as (
      select period, sum(orders) as orders,
        sum(units) filter (where ${COUNTED}) as units, sum(revenue) filter (where ${COUNTED}) as revenue
      from rollup_sales
      where grain = ${grainOf(p.seriesGrain)} and period between ${p.start}::date and ${p.end}::date and ${rollupStores(sel)}
      group by period)
    select to_char(g, ${monthly ? 'YYYY-MM' : 'YYYY-MM-DD'}) as period, coalesce(s.orders, 0)::int as orders,
      coalesce(s.units, 0)::bigint as units, coalesce(s.revenue, 0)::numeric(16,2)::text as revenue
    from generate_series(${p.start}::timestamp, ${p.end}::timestamp, ${monthly ? '1 month' : '1 day'}::interval) g
    left join s on s.period = g::date
    order by g`);
  return rows.map((r) => ({ period: r.period, orders: n(r.orders), units: n(r.units), revenue: r.revenue }));
}

export interface Totals { orders: number; notCounted: number; units: number; revenue: string; byStatus: Record<OrderStatus, number> }

const emptyStatus = () => Object.fromEntries(orderStatuses.map((s) => [s, 0])) as Record<OrderStatus, number>;

/** Totals and the order-status breakdown of each period (its first day → totals). */
export async function periodTotals(db: Db, sel: StoreSelection, periods: Period[]): Promise<Map<string, Totals>> {
  const grain = periods[0]!.grain;
  const starts = periods.map((p) => p.start);
  const rows = await queryRows<{ period: string; status: OrderStatus | null; orders: number; units: number; revenue: string }>(db, sql`
    select period::text as period, order_status as status, sum(orders)::int as orders,
      coalesce(sum(units) filter (where ${COUNTED}), 0)::bigint as units,
      coalesce(sum(revenue) filter (where ${COUNTED}), 0)::numeric(16,2)::text as revenue
    from rollup_sales
    where grain = ${grainOf(grain)} and period = any(${`{${starts.join(',')}}`}::date[]) and ${rollupStores(sel)}
    group by grouping sets ((period, order_status), (period))`);
  const out = new Map<string, Totals>();
  for (const start of starts) out.set(start, { orders: 0, notCounted: 0, units: 0, revenue: '0.00', byStatus: emptyStatus() });
  for (const r of rows) {
    const t = out.get(r.period);
    if (!t) continue;
    if (r.status === null) Object.assign(t, { orders: n(r.orders), units: n(r.units), revenue: r.revenue });
    else {
      t.byStatus[r.status] = n(r.orders);
      if (NOT_COUNTED.includes(r.status)) t.notCounted += n(r.orders);
    }
  }
  return out;
}

/** Distinct customers who placed an order (any status) in each period at the selected stores. */
export async function customerCounts(db: Db, sel: StoreSelection, periods: Period[]): Promise<Map<string, number>> {
  const grain = grainOf(periods[0]!.grain);
  const starts = sql`${`{${periods.map((p) => p.start).join(',')}}`}::date[]`;
  const rows = await queryRows<{ period: string; customers: number }>(db, 'single' in sel
    ? sql`select period::text as period, customers from rollup_customer_counts
          where grain = ${grain} and period = any(${starts}) and store_id = ${sel.single}`
    : sql`select period::text as period, count(distinct customer_id)::int as customers from rollup_customers
          where grain = ${grain} and period = any(${starts}) and ${rollupStores(sel)} and orders > 0 group by period`);
  const out = new Map(periods.map((p) => [p.start, 0]));
  for (const r of rows) out.set(r.period, n(r.customers));
  return out;
}

export interface ProductSalesRow { productId: number; productName: string; orders: number; units: number; revenue: string }
export const productSorts = ['units', 'revenue', 'orders'] as const;
export type ProductSort = (typeof productSorts)[number];

/** The best-selling products of the period by units, revenue or orders (only those above zero). */
export async function productSales(db: Db, sel: StoreSelection, p: Period, by: ProductSort, limit: number): Promise<ProductSalesRow[]> {
  const col = sql.raw(by);
  const grain = grainOf(p.grain);
  const top = 'single' in sel
    // One store or all: a short scan of the (grain, period, store, measure desc) index.
    ? sql`select product_id, orders, units, revenue from rollup_product_sales
          where grain = ${grain} and period = ${p.start}::date and store_id = ${sel.single} and ${col} > 0
          order by ${col} desc, product_id limit ${limit}`
    : sql`select product_id, sum(orders)::int as orders, sum(units)::bigint as units, sum(revenue) as revenue
          from rollup_product_sales
          where grain = ${grain} and period = ${p.start}::date and ${rollupStores(sel)}
          group by product_id having sum(${col}) > 0
          order by sum(${col}) desc, product_id limit ${limit}`;
  const rows = await queryRows<ProductSalesRow>(db, sql`
    select t.product_id as "productId", p.product_name as "productName", t.orders::int as orders,
      t.units::bigint as units, t.revenue::numeric(16,2)::text as revenue
    from (${top}) t join products p on p.product_id = t.product_id
    order by t.${col} desc, t.product_id`);
  return rows.map((r) => ({ ...r, productId: n(r.productId), orders: n(r.orders), units: n(r.units) }));
}

export interface ShipmentStatusRow { shipmentStatus: ShipmentStatus; shipments: number }

/** Shipments created in the period, by their current status (every status listed). */
export async function shipmentStatus(db: Db, sel: StoreSelection, p: Period): Promise<ShipmentStatusRow[]> {
  const rows = await queryRows<{ status: ShipmentStatus; shipments: number }>(db, sql`
    select shipment_status as status, sum(shipments)::int as shipments from rollup_shipments
    where grain = ${grainOf(p.grain)} and period = ${p.start}::date and ${rollupStores(sel)}
    group by shipment_status`);
  const found = new Map(rows.map((r) => [r.status, n(r.shipments)]));
  return shipmentStatuses.map((s) => ({ shipmentStatus: s, shipments: found.get(s) ?? 0 }));
}

export interface OrderStatusRow { orderStatus: OrderStatus; orders: number }

export function orderStatusRows(t: Totals): OrderStatusRow[] {
  return orderStatuses.map((s) => ({ orderStatus: s, orders: t.byStatus[s] }));
}

export interface StockRow { storeId: number; storeName: string; items: number; units: number; value: string; lowStock: number }

/** Stock now, per store of the selection (stores without stock included), and the total. */
export async function stockByStore(db: Db, sel: StoreSelection): Promise<{ items: StockRow[]; totals: Omit<StockRow, 'storeId' | 'storeName'> }> {
  const rows = await queryRows<StockRow & { total: boolean }>(db, sql`
    select s.store_id as "storeId", s.store_name as "storeName", grouping(s.store_id) = 1 as total,
      coalesce(sum(r.items), 0)::bigint as items, coalesce(sum(r.units), 0)::bigint as units,
      coalesce(sum(r.value), 0)::numeric(18,2)::text as value, coalesce(sum(r.low_stock), 0)::bigint as "lowStock"
    from stores s left join rollup_stock r on r.store_id = s.store_id
    where ${rawStores(sel, 's.store_id')}
    group by grouping sets ((s.store_id, s.store_name), ())
    order by total, s.store_name, s.store_id`);
  const norm = (r: StockRow) => ({ items: n(r.items), units: n(r.units), value: r.value, lowStock: n(r.lowStock) });
  const total = rows.find((r) => r.total);
  return {
    items: rows.filter((r) => !r.total).map((r) => ({ storeId: n(r.storeId), storeName: r.storeName, ...norm(r) })),
    totals: total ? norm(total) : { items: 0, units: 0, value: '0.00', lowStock: 0 },
  };
}

export interface LowStockRow { storeId: number; storeName: string; productId: number; productName: string; onHand: number; reserved: number; available: number; reorderPoint: number }

/** The most urgent low-stock rows (largest shortfall below the reorder point first). */
export async function lowStockList(db: Db, sel: StoreSelection, limit: number): Promise<LowStockRow[]> {
  const rows = await queryRows<LowStockRow>(db, sql`
    select l.store_id as "storeId", s.store_name as "storeName", l.product_id as "productId", p.product_name as "productName",
      l.on_hand as "onHand", l.reserved, l.on_hand - l.reserved as available, l.reorder_point as "reorderPoint"
    from (select * from rollup_low_stock where ${rawStores(sel, 'store_id')}
          order by shortfall desc, store_id, product_id limit ${limit}) l
    join stores s on s.store_id = l.store_id join products p on p.product_id = l.product_id
    order by l.shortfall desc, l.store_id, l.product_id`);
  return rows.map((r) => ({ ...r, storeId: n(r.storeId), productId: n(r.productId), onHand: n(r.onHand), reserved: n(r.reserved), available: n(r.available), reorderPoint: n(r.reorderPoint) }));
}

/** Active products in the (shared) catalogue. */
export async function activeProducts(db: Db): Promise<number> {
  const [r] = await queryRows<{ n: number }>(db, sql`select coalesce(sum(active_products), 0)::bigint as n from rollup_products`);
  return n(r?.n);
}

/** Years in which the selected stores have orders, newest first. */
export async function orderYears(db: Db, sel: StoreSelection): Promise<number[]> {
  const rows = await queryRows<{ year: number }>(db, sql`
    select distinct extract(year from period)::int as year from rollup_sales
    where grain = 'Y' and ${rollupStores(sel)} and orders > 0 order by 1 desc`);
  return rows.map((r) => n(r.year));
}
