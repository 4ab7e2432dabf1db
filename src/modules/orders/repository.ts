// Order reads for lists: the keyset-paginated list, the per-status counts of the same filters,
// and the per-store summary. Everything is scoped in SQL (filters.ts) and totals are summed in
// SQL (numeric), never in floating point.
//
// Scale (1M orders): the default order (order_tms desc, order_id desc) walks orders_tms_idx, or
// orders_store_tms_idx / orders_customer_tms_idx / orders_status_tms_idx when a filter narrows
// it, and the total is a correlated sum over order_items for the rows shown only. Sorting by
// total needs every matching order's total before the first row: one grouped pass over their
// lines (seconds at 1M unfiltered, fast once filtered); a maintained orders.total column with
// an index would make it an index walk. Sorting by store name sorts the matching orders (~1 s
// at 1M unfiltered).
import { sql, type SQL } from 'drizzle-orm';
import { queryRows, intArray, type Db } from '../../db/client.ts';
import { orderStatuses, type OrderStatus } from '../../db/schema/index.ts';
import { planKeyset, toPage, type Keyset, type KeysetPlan, type Page, type SortColumn } from '../../lib/list.ts';
import { filterWhere, isUnfiltered, type ListOptions, type OrderFilters, type OrderViewer } from './filters.ts';

export interface OrderListRow {
  orderId: number;
  orderTimestamp: Date;
  orderStatus: OrderStatus;
  customerId: number;
  customerName: string;
  emailAddress: string;
  storeId: number;
  storeName: string;
  lines: number;
  total: string;
  version: number;
}
type Keyed<T> = T & { sortKey: string };

// Sort values round-trip through text so the cursor keeps timestamps to the microsecond.
const col = (expr: SQL, type: SortColumn<Keyed<OrderListRow>>['type']): SortColumn<Keyed<OrderListRow>> => ({ expr, type, value: (r) => r.sortKey });

export const orderKeyset: Keyset<Keyed<OrderListRow>> = {
  sorts: {
    orderTimestamp: col(sql`o.order_tms`, 'timestamptz'),
    orderId: col(sql`o.order_id`, 'int'),
    total: col(sql`t.total`, 'numeric'),
    orderStatus: col(sql`o.order_status`, 'text'),
    customerName: col(sql`c.full_name`, 'text'),
    storeName: col(sql`st.store_name`, 'text'),
  },
  defaultSort: 'orderTimestamp',
  defaultOrder: 'desc',
  id: sql`o.order_id`,
  idOf: (r) => r.orderId,
};

export interface OrderPage extends Page<OrderListRow> { sort: string; order: 'asc' | 'desc' }

/** The same keyset over the per-order aggregate `a`, for the total sort (see totalsByAmount). */
const aggregateKeyset: Keyset<Keyed<OrderListRow>> = { ...orderKeyset, sorts: { total: col(sql`a.total`, 'numeric') }, defaultSort: 'total', id: sql`a.order_id` };

/** Lines and total per order for the rows shown: a correlated sum, evaluated for the ~50 rows
 * of the page only (the order walk comes from an index). */
const totalsPerRow = sql`cross join lateral (select count(*)::int as lines, coalesce(sum(i.quantity * i.unit_price), 0)::numeric(14,2) as total
  from order_items i where i.order_id = o.order_id) t`;

/** Sorting by total: one grouped pass over the lines of the matching orders, the page taken from
 * that aggregate (keyset inside it), then joined to the orders. The per-row sum would run a
 * million index probes before the first row; this is a single scan and hash aggregate. */
function totalsByAmount(plan: KeysetPlan, opts: ListOptions, where: SQL, unfiltered: boolean): SQL {
  const inner = planKeyset(aggregateKeyset, { ...opts, sort: 'total' });
  return sql`join (
    select a.order_id, a.lines, a.total from (
      select i.order_id, count(*)::int as lines, sum(i.quantity * i.unit_price)::numeric(14,2) as total
      from order_items i
      ${unfiltered ? sql`` : sql`where i.order_id in (select o.order_id from orders o where ${where})`}
      group by i.order_id) a
    ${inner.where ? sql`where ${inner.where}` : sql``}
    order by ${sql.join(inner.orderBy, sql`, `)}
    limit ${plan.limit}) t on t.order_id = o.order_id`;
}

export async function listOrders(db: Db, viewer: OrderViewer, filters: OrderFilters, opts: ListOptions, timeZone: string): Promise<OrderPage> {
  // Newest first by default; any other column ascending unless asked otherwise.
  const plan = planKeyset(orderKeyset, opts);
  const where = filterWhere(viewer, filters, timeZone);
  const totals = plan.sort === 'total' ? totalsByAmount(plan, opts, where, isUnfiltered(viewer, filters)) : totalsPerRow;
  const rows = await queryRows<Keyed<OrderListRow>>(db, sql`
    select o.order_id as "orderId", o.order_tms as "orderTimestamp", o.order_status as "orderStatus",
      o.customer_id as "customerId", c.full_name as "customerName", c.email_address as "emailAddress",
      o.store_id as "storeId", st.store_name as "storeName", o.version, t.lines, t.total::text as total,
      (${orderKeyset.sorts[plan.sort]!.expr})::text as "sortKey"
    from orders o
    join customers c on c.customer_id = o.customer_id
    join stores st on st.store_id = o.store_id
    ${totals}
    where ${where} ${plan.where ? sql`and ${plan.where}` : sql``}
    order by ${sql.join(plan.orderBy, sql`, `)}
    limit ${plan.limit}`);
  const items = rows.map((r) => ({
    ...r, orderId: Number(r.orderId), customerId: Number(r.customerId), storeId: Number(r.storeId),
    lines: Number(r.lines), version: Number(r.version), orderTimestamp: new Date(r.orderTimestamp),
  }));
  return { ...toPage(orderKeyset, plan, items, !!opts.cursor), sort: plan.sort, order: plan.order };
}

export interface StatusCount { status: OrderStatus; count: number }

/** Counts above this show as "1,000+": exact small counts are what a user acts on, and an exact
 * big one would cost a scan of every matching order on every view (300 ms at a million orders,
 * seconds under load). Exact figures at any size are on the dashboard and reports (rollups). */
export const STATUS_COUNT_CAP = 1000;

/** Orders per status for the filters other than the status itself, each counted up to the cap
 * (so at most CAP+1 index entries per status: a short walk of orders_status_tms_idx or
 * orders_store_status_tms_idx); every status is listed, zeros included, so the chips do not
 * jump around. `total` is capped the same way; `capped` tells the page to add a "+". */
export async function statusCounts(db: Db, viewer: OrderViewer, filters: OrderFilters, timeZone: string, cap = STATUS_COUNT_CAP): Promise<{ total: number; statuses: StatusCount[]; cap: number }> {
  const where = filterWhere(viewer, filters, timeZone, { withStatus: false });
  const limit = cap + 1;
  const rows = await queryRows<{ status: OrderStatus | null; count: number }>(db, sql`
    select s.status, (select count(*)::int from (select 1 from orders o where o.order_status = s.status and ${where} limit ${limit}) x) as count
    from unnest(${sql.raw(`array[${orderStatuses.map((st) => `'${st}'`).join(',')}]`)}::text[]) s(status)
    union all
    select null, (select count(*)::int from (select 1 from orders o where ${where} limit ${limit}) x)`);
  const found = new Map(rows.map((r) => [r.status, Number(r.count)]));
  const statuses = orderStatuses.map((s) => ({ status: s, count: found.get(s) ?? 0 }));
  return { total: found.get(null) ?? 0, statuses, cap };
}

export interface StoreSummaryRow {
  storeId: number;
  storeName: string;
  orders: number;
  byStatus: Record<OrderStatus, number>;
  /** Sum of the lines of orders that were not cancelled or refunded. */
  revenue: string;
}

export const BY_STORE_SORTS = ['storeName', 'orders', 'revenue'] as const;

/** Exact cents of a numeric(…,2) text, for sums and comparisons without floating point. */
const cents = (money: string): bigint => BigInt(money.replace('.', ''));
const money = (c: bigint): string => `${c / 100n}.${String(c % 100n).padStart(2, '0')}`;

/** "Orders by store": per store in the viewer's scope, the orders matching the filters, their
 * counts per status and the revenue (orders not CANCELLED or REFUNDED). Stores without
 * matching orders are listed with zeros. Two set-based passes (counts from orders, revenue from
 * orders joined to their lines), not a per-order subquery: at a million orders that is the
 * difference between seconds and tens of seconds. */
export async function ordersByStore(db: Db, viewer: OrderViewer, filters: OrderFilters, timeZone: string,
  sort: (typeof BY_STORE_SORTS)[number] = 'storeName', order: 'asc' | 'desc' = 'asc'): Promise<{ rows: StoreSummaryRow[]; totals: Omit<StoreSummaryRow, 'storeId' | 'storeName'> }> {
  const where = filterWhere(viewer, filters, timeZone);
  const storeWhere = sql.join([
    viewer.stores === 'all' ? sql`true` : sql`store_id = any(${intArray(viewer.stores)})`,
    filters.storeId !== undefined ? sql`store_id = ${filters.storeId}` : sql`true`,
  ], sql` and `);
  const [storeRows, countRows, revenueRows] = await Promise.all([
    queryRows<{ storeId: number; storeName: string }>(db, sql`select store_id as "storeId", store_name as "storeName" from stores where ${storeWhere} order by store_name, store_id`),
    queryRows<{ storeId: number; status: OrderStatus; n: number }>(db, sql`
      select o.store_id as "storeId", o.order_status as status, count(*)::int as n from orders o where ${where} group by 1, 2`),
    queryRows<{ storeId: number; revenue: string }>(db, sql`
      select o.store_id as "storeId", sum(i.quantity * i.unit_price)::numeric(16,2)::text as revenue
      from orders o join order_items i on i.order_id = o.order_id
      where ${where} and o.order_status not in ('CANCELLED', 'REFUNDED')
      group by 1`),
  ]);
  const revenue = new Map(revenueRows.map((r) => [Number(r.storeId), r.revenue]));
  const rows: StoreSummaryRow[] = storeRows.map((st) => {
    const id = Number(st.storeId);
    const byStatus = Object.fromEntries(orderStatuses.map((s) => [s, 0])) as Record<OrderStatus, number>;
    for (const c of countRows) if (Number(c.storeId) === id) byStatus[c.status] = Number(c.n);
    return { storeId: id, storeName: st.storeName, orders: Object.values(byStatus).reduce((a, b) => a + b, 0), byStatus, revenue: revenue.get(id) ?? '0.00' };
  });
  // A handful of stores: sorting them here keeps the SQL simple.
  const sign = order === 'desc' ? -1 : 1;
  const compare: Record<typeof sort, (a: StoreSummaryRow, b: StoreSummaryRow) => number> = {
    storeName: (a, b) => (a.storeName < b.storeName ? -1 : a.storeName > b.storeName ? 1 : 0),
    orders: (a, b) => a.orders - b.orders,
    revenue: (a, b) => { const d = cents(a.revenue) - cents(b.revenue); return d < 0n ? -1 : d > 0n ? 1 : 0; },
  };
  rows.sort((a, b) => sign * compare[sort](a, b) || a.storeId - b.storeId);
  const totals = {
    orders: rows.reduce((n, r) => n + r.orders, 0),
    byStatus: Object.fromEntries(orderStatuses.map((s) => [s, rows.reduce((n, r) => n + r.byStatus[s], 0)])) as Record<OrderStatus, number>,
    revenue: money(rows.reduce((n, r) => n + cents(r.revenue), 0n)),
  };
  return { rows, totals };
}

/** The stores a viewer may filter by or place orders at, by name. */
export async function storesFor(db: Db, viewer: OrderViewer): Promise<Array<{ storeId: number; storeName: string }>> {
  const where = viewer.stores === 'all' ? sql`true` : sql`store_id = any(${intArray(viewer.stores)})`;
  const rows = await queryRows<{ storeId: number; storeName: string }>(db, sql`
    select store_id as "storeId", store_name as "storeName" from stores where ${where} order by store_name limit 1000`);
  return rows.map((r) => ({ storeId: Number(r.storeId), storeName: r.storeName }));
}
