// The reference system's stock queries, kept: the lines of one order; the products a store sold
// with the statuses of their orders; the units sold in delivered shipments. Aggregates are
// computed in SQL per product id (names are joined afterwards, so the grouping stays narrow) and
// paginated by keyset over the aggregated rows; staff scope is in the WHERE.
import { asc, eq, sql, type SQL } from 'drizzle-orm';
import { customers, orderItems, orders, orderStatuses, products, shipments, stores } from '../../db/schema/index.ts';
import { queryRows, type Db } from '../../db/client.ts';
import { allOf, likePattern, planKeyset, toPage, type Keyset, type Page } from '../../lib/list.ts';
import { dayStart, inScope, type Scope } from './repository.ts';

export async function orderLines(db: Db, scope: Scope, orderId: number) {
  return db.select({
    orderId: orders.orderId, lineItemId: orderItems.lineItemId, orderStatus: orders.orderStatus, orderTimestamp: orders.orderTms,
    productId: orderItems.productId, sku: products.sku, productName: products.productName,
    storeId: orders.storeId, storeName: stores.storeName,
    customerId: orders.customerId, customerName: customers.fullName, emailAddress: customers.emailAddress,
    quantity: orderItems.quantity, unitPrice: orderItems.unitPrice,
    lineTotal: sql<string>`(${orderItems.quantity} * ${orderItems.unitPrice})::numeric(12,2)::text`,
    shipmentId: orderItems.shipmentId, shipmentStatus: shipments.shipmentStatus,
  }).from(orderItems)
    .innerJoin(orders, eq(orders.orderId, orderItems.orderId))
    .innerJoin(products, eq(products.productId, orderItems.productId))
    .innerJoin(stores, eq(stores.storeId, orders.storeId))
    .innerJoin(customers, eq(customers.customerId, orders.customerId))
    .leftJoin(shipments, eq(shipments.shipmentId, orderItems.shipmentId))
    .where(allOf(eq(orderItems.orderId, orderId), inScope(scope, orders.storeId)))
    .orderBy(asc(orderItems.lineItemId));
}
export type OrderLine = Awaited<ReturnType<typeof orderLines>>[number];

/** `q` on the per-product reports: the product's SKU or name. */
interface ReportQuery { from?: string; to?: string; sort?: string; order?: 'asc' | 'desc'; cursor?: string; limit?: number; q?: string }

const productSearch = (q?: string): SQL | undefined =>
  (q?.trim() ? sql`(p.sku ilike ${likePattern(q.trim())} or p.product_name ilike ${likePattern(q.trim())})` : undefined);

export interface StoreProductRow {
  productId: number; sku: string; productName: string;
  open: number; paid: number; shipped: number; complete: number; cancelled: number; refunded: number;
  orders: number; units: number; salesValue: string;
}

const productSorts = <Row extends { productId: number; sku: string; productName: string }>() => ({
  product: { expr: sql`p.product_name`, value: (r: Row) => r.productName, type: 'text' as const },
  sku: { expr: sql`p.sku`, value: (r: Row) => r.sku, type: 'text' as const },
});

const storeProductsKeyset: Keyset<StoreProductRow> = {
  sorts: {
    ...productSorts<StoreProductRow>(),
    orders: { expr: sql`x.orders`, value: (r) => r.orders, type: 'int' },
    units: { expr: sql`x.units`, value: (r) => r.units, type: 'int' },
    salesValue: { expr: sql`x.sales_value`, value: (r) => r.salesValue, type: 'numeric' },
  },
  defaultSort: 'orders', defaultOrder: 'desc', id: sql`x.product_id`, idOf: (r) => r.productId,
};
export const STORE_PRODUCT_SORTS = Object.keys(storeProductsKeyset.sorts);

const tmsRange = (col: SQL, q: ReportQuery, timeZone: string) => allOf(
  !!q.from && sql`${col} >= ${dayStart(q.from, timeZone)}`,
  !!q.to && sql`${col} < ${dayStart(q.to, timeZone, 1)}`,
);

/** Per product sold at one store: how many of its order lines are in each order status. */
export async function storeProducts(db: Db, scope: Scope, storeId: number, q: ReportQuery, timeZone: string): Promise<Page<StoreProductRow>> {
  const plan = planKeyset(storeProductsKeyset, q);
  const rows = await queryRows<StoreProductRow>(db, sql`
    select x.product_id as "productId", p.sku, p.product_name as "productName", x.open, x.paid, x.shipped, x.complete,
      x.cancelled, x.refunded, x.orders, x.units, x.sales_value::text as "salesValue"
    from (
      select i.product_id,
        ${sql.join(orderStatuses.map((s) => sql`count(*) filter (where o.order_status = ${s})::int as ${sql.identifier(s.toLowerCase())}`), sql`, `)},
        count(*)::int as orders, sum(i.quantity)::int as units,
        coalesce(sum(i.quantity * i.unit_price) filter (where o.order_status not in ('CANCELLED', 'REFUNDED')), 0)::numeric(14,2) as sales_value
      from ${orders} o
      join ${orderItems} i on i.order_id = o.order_id
      where ${allOf(sql`o.store_id = ${storeId}`, inScope(scope, sql`o.store_id`), tmsRange(sql`o.order_tms`, q, timeZone))}
      group by i.product_id
    ) x
    join ${products} p on p.product_id = x.product_id
    where ${allOf(plan.where, productSearch(q.q)) ?? sql`true`}
    order by ${sql.join(plan.orderBy, sql`, `)}
    limit ${plan.limit}`);
  return toPage(storeProductsKeyset, plan, rows.map(numbers), !!q.cursor);
}

/** Orders of one store by status (the summary above the per-product table). */
export async function storeStatusCounts(db: Db, scope: Scope, storeId: number, q: ReportQuery, timeZone: string) {
  const rows = await queryRows<{ status: string; orders: number }>(db, sql`
    select order_status as status, count(*)::int as orders from ${orders}
    where ${allOf(sql`store_id = ${storeId}`, inScope(scope, sql`store_id`), tmsRange(sql`order_tms`, q, timeZone))}
    group by order_status`);
  return orderStatuses.map((status) => ({ status, orders: Number(rows.find((r) => r.status === status)?.orders ?? 0) }));
}

export interface DeliveredRow { productId: number; sku: string; productName: string; units: number; returned: number; salesValue: string }

const deliveredKeyset: Keyset<DeliveredRow> = {
  sorts: {
    ...productSorts<DeliveredRow>(),
    units: { expr: sql`x.units`, value: (r) => r.units, type: 'int' },
    returned: { expr: sql`x.returned`, value: (r) => r.returned, type: 'int' },
    salesValue: { expr: sql`x.sales_value`, value: (r) => r.salesValue, type: 'numeric' },
  },
  defaultSort: 'units', defaultOrder: 'desc', id: sql`x.product_id`, idOf: (r) => r.productId,
};
export const DELIVERED_SORTS = Object.keys(deliveredKeyset.sorts);

/** Units per product in shipments that reached the customer (DELIVERED), optionally at one
 * store and delivered within a date range. */
export async function deliveredUnits(db: Db, scope: Scope, q: ReportQuery & { storeId?: number }, timeZone: string): Promise<Page<DeliveredRow>> {
  const plan = planKeyset(deliveredKeyset, q);
  const rows = await queryRows<DeliveredRow>(db, sql`
    select x.product_id as "productId", p.sku, p.product_name as "productName", x.units, x.returned, x.sales_value::text as "salesValue"
    from (
      select i.product_id, sum(i.quantity)::int as units, sum(i.returned_quantity)::int as returned,
        sum(i.quantity * i.unit_price)::numeric(14,2) as sales_value
      from ${shipments} s
      join ${orderItems} i on i.shipment_id = s.shipment_id
      where ${allOf(sql`s.shipment_status = 'DELIVERED'`, inScope(scope, sql`s.store_id`),
        q.storeId !== undefined && sql`s.store_id = ${q.storeId}`, tmsRange(sql`s.delivered_at`, q, timeZone))}
      group by i.product_id
    ) x
    join ${products} p on p.product_id = x.product_id
    where ${allOf(plan.where, productSearch(q.q)) ?? sql`true`}
    order by ${sql.join(plan.orderBy, sql`, `)}
    limit ${plan.limit}`);
  return toPage(deliveredKeyset, plan, rows.map(numbers), !!q.cursor);
}

/** Both drivers may hand back ints as strings in raw queries; the rows use numbers. */
function numbers<T extends object>(row: T): T {
  const out = { ...row } as Record<string, unknown>;
  for (const k of ['productId', 'open', 'paid', 'shipped', 'complete', 'cancelled', 'refunded', 'orders', 'units', 'returned']) {
    if (k in out) out[k] = Number(out[k]);
  }
  return out as T;
}
