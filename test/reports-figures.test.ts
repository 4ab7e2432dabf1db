// Every report figure, recomputed here from the raw tables with independent SQL and compared with
// what the reports API (and so the dashboard, which reads the same functions) answers: after the
// first build, across month and year boundaries in a non-UTC time zone, for an empty period,
// and after orders, shipments, stock and products change underneath the rollups.
import t, { type Test } from 'tap';
import { sql, type SQL } from 'drizzle-orm';
import { buildTestApp, makeUser, apiLogin } from './helper.ts';
import { seedData } from '../src/db/seed.ts';
import { queryRows, type Db } from '../src/db/client.ts';
import { applyStockChanges } from '../src/modules/inventory/stock.ts';
import { systemActor } from '../src/lib/audit.ts';
import { ensureRollups, refreshRollups } from '../src/modules/reports/refresh.ts';
import { customerCounts } from '../src/modules/reports/queries.ts';
import { makePeriod } from '../src/modules/reports/params.ts';

const TZ = 'America/New_York';
const { app } = await buildTestApp(t, { timeZone: TZ });
const db = app.db;
await seedData(db, { stores: 3, products: 40, customers: 60, orders: 400, now: new Date('2026-06-15T12:00:00Z') });
const storeIds = (await queryRows<{ id: number }>(db, sql`select store_id as id from stores order by store_id`)).map((r) => Number(r.id));
const [s1, s2, s3] = storeIds as [number, number, number];
const admin = await makeUser(app, 'admin');
const staff = await makeUser(app, 'staff', { storeIds: [s1, s2] });
const adminToken = await apiLogin(app, admin.email, admin.password);
const staffToken = await apiLogin(app, staff.email, staff.password);

const pad = (n: number) => String(n).padStart(2, '0');
const lastDay = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();
const ids = (xs: number[]) => sql`${`{${xs.join(',')}}`}::int[]`;

/** An order written straight into the tables (as the lifecycle would leave it), at a local time. */
async function insertOrder(o: { local: string; storeId: number; status: string; lines: Array<[number, number]>; updatedAt?: string }) {
  const [row] = await queryRows<{ id: number }>(db, sql`
    insert into orders (order_tms, customer_id, store_id, order_status, updated_at)
    values ((${o.local}::timestamp at time zone ${TZ}), (select min(customer_id) from customers), ${o.storeId}, ${o.status},
            ${o.updatedAt ? sql`${o.updatedAt}::timestamptz` : sql`now()`})
    returning order_id as id`);
  let line = 0;
  for (const [productId, quantity] of o.lines) {
    await db.execute(sql`insert into order_items (order_id, line_item_id, product_id, unit_price, quantity)
      select ${row!.id}, ${++line}, product_id, unit_price, ${quantity} from products where product_id = ${productId}`);
  }
  return Number(row!.id);
}

const productIds = (await queryRows<{ id: number }>(db, sql`select product_id as id from products order by product_id limit 3`)).map((r) => Number(r.id));
// Around midnight at month and year ends, local time: UTC already shows the next month (or year).
await insertOrder({ local: '2026-03-31 23:30', storeId: s1, status: 'COMPLETE', lines: [[productIds[0]!, 3], [productIds[1]!, 1]] });
await insertOrder({ local: '2026-04-01 00:30', storeId: s1, status: 'CANCELLED', lines: [[productIds[0]!, 2]] });
await insertOrder({ local: '2025-12-31 23:45', storeId: s2, status: 'REFUNDED', lines: [[productIds[2]!, 5]] });
await insertOrder({ local: '2026-01-01 00:15', storeId: s2, status: 'SHIPPED', lines: [[productIds[2]!, 4]] });

// An OPEN order holding its reservation (as placing it would), cancelled further down.
const openOrder = await db.transaction(async (tx) => {
  const [row] = await queryRows<{ productId: number }>(tx, sql`
    select product_id as "productId" from inventory where store_id = ${s1} and on_hand - reserved >= 2 order by product_id limit 1`);
  await applyStockChanges(tx as unknown as Db, [{ storeId: s1, productId: row!.productId, reserved: 2 }], systemActor);
  const [o] = await queryRows<{ id: number }>(tx, sql`
    insert into orders (order_tms, customer_id, store_id, order_status) values (now(), (select max(customer_id) from customers), ${s1}, 'OPEN')
    returning order_id as id`);
  await tx.execute(sql`insert into order_items (order_id, line_item_id, product_id, unit_price, quantity)
    select ${o!.id}, 1, product_id, unit_price, 2 from products where product_id = ${row!.productId}`);
  return Number(o!.id);
});

/** What every report should say, straight from the raw tables. */
async function expected(year: number, month: number | null, stores: number[] | null, tz = TZ) {
  const from = month ? `${year}-${pad(month)}-01` : `${year}-01-01`;
  const to = month ? `${year}-${pad(month)}-${pad(lastDay(year, month))}` : `${year}-12-31`;
  const inStores = (col: string): SQL => (stores ? sql`${sql.raw(col)} = any(${ids(stores)})` : sql`true`);
  const local = sql`(o.order_tms at time zone ${tz})::date`;
  const ok = sql`o.order_status not in ('CANCELLED', 'REFUNDED')`;
  const lines = sql`(select order_id, sum(quantity) as units, sum(quantity * unit_price) as revenue from order_items group by order_id)`;
  const [totals] = await queryRows<{ orders: number; units: number; revenue: string; customers: number }>(db, sql`
    select count(*)::int as orders, coalesce(sum(l.units) filter (where ${ok}), 0)::int as units,
      coalesce(sum(l.revenue) filter (where ${ok}), 0)::numeric(16,2)::text as revenue, count(distinct o.customer_id)::int as customers
    from orders o left join ${lines} l on l.order_id = o.order_id
    where ${local} between ${from}::date and ${to}::date and ${inStores('o.store_id')}`);
  const series = await queryRows<{ period: string; orders: number; units: number; revenue: string }>(db, sql`
    select to_char(${local}, ${month ? 'YYYY-MM-DD' : 'YYYY-MM'}) as period, count(*)::int as orders,
      coalesce(sum(l.units) filter (where ${ok}), 0)::int as units, coalesce(sum(l.revenue) filter (where ${ok}), 0)::numeric(16,2)::text as revenue
    from orders o left join ${lines} l on l.order_id = o.order_id
    where ${local} between ${from}::date and ${to}::date and ${inStores('o.store_id')}
    group by 1 order by 1`);
  const statuses = await queryRows<{ orderStatus: string; orders: number }>(db, sql`
    select o.order_status as "orderStatus", count(*)::int as orders from orders o
    where ${local} between ${from}::date and ${to}::date and ${inStores('o.store_id')} group by 1`);
  const measure = (by: 'units' | 'revenue') => sql.raw(by === 'units' ? 'i.quantity' : 'i.quantity * i.unit_price');
  const products = (by: 'units' | 'revenue') => queryRows<{ productId: number; productName: string; orders: number; units: number; revenue: string }>(db, sql`
    select i.product_id as "productId", p.product_name as "productName", count(*)::int as orders,
      coalesce(sum(i.quantity) filter (where ${ok}), 0)::int as units,
      coalesce(sum(i.quantity * i.unit_price) filter (where ${ok}), 0)::numeric(16,2)::text as revenue
    from orders o join order_items i on i.order_id = o.order_id join products p on p.product_id = i.product_id
    where ${local} between ${from}::date and ${to}::date and ${inStores('o.store_id')}
    group by 1, 2 having coalesce(sum(${measure(by)}) filter (where ${ok}), 0) > 0
    order by coalesce(sum(${measure(by)}) filter (where ${ok}), 0) desc, 1 limit 10`);
  const shipments = await queryRows<{ shipmentStatus: string; shipments: number }>(db, sql`
    select s.shipment_status as "shipmentStatus", count(*)::int as shipments from shipments s
    where (s.created_at at time zone ${tz})::date between ${from}::date and ${to}::date and ${inStores('s.store_id')} group by 1`);
  return { totals: totals!, series, statuses, byUnits: await products('units'), byRevenue: await products('revenue'), shipments };
}

async function expectedStock(stores: number[] | null) {
  const where = stores ? sql`s.store_id = any(${ids(stores)})` : sql`true`;
  return queryRows<{ storeId: number; storeName: string; items: number; units: number; value: string; lowStock: number }>(db, sql`
    select s.store_id as "storeId", s.store_name as "storeName", count(i.product_id)::int as items, coalesce(sum(i.on_hand), 0)::int as units,
      coalesce(sum(i.on_hand * p.unit_price), 0)::numeric(18,2)::text as value,
      (count(*) filter (where i.on_hand - i.reserved <= i.reorder_point))::int as "lowStock"
    from stores s left join inventory i on i.store_id = s.store_id left join products p on p.product_id = i.product_id
    where ${where} group by 1, 2 order by 2, 1`);
}

async function api(url: string, token = adminToken) {
  const res = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
  if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
  return res.json();
}

const nonZero = <R extends { orders: number }>(rows: R[]) => rows.filter((r) => r.orders !== 0);
const sortBy = <R>(rows: R[], key: keyof R) => [...rows].sort((a, b) => String(a[key]).localeCompare(String(b[key])));

/** Compares every report for every period and scope with the raw tables. */
async function compareAll(t: Test, label: string) {
  const periods: Array<[number, number | null]> = [[2026, null], [2025, null], [2026, 3], [2026, 4], [2025, 12], [2026, 1], [2019, null], [2019, 2]];
  // [query string, token, stores the figures cover]
  const scopes: Array<[string, string, number[] | null]> = [
    ['', adminToken, null], [`&storeId=${s1}`, adminToken, [s1]], [`&storeId=${s3}`, adminToken, [s3]],
    ['', staffToken, [s1, s2]], [`&storeId=${s2}`, staffToken, [s2]],
  ];
  for (const [year, month] of periods) {
    for (const [q, token, stores] of scopes) {
      const qs = `year=${year}${month ? `&month=${month}` : ''}${q}`;
      const where = `${label} ${qs} ${token === staffToken ? 'staff' : 'admin'}`;
      const e = await expected(year, month, stores);
      const sales = await api(`/api/v1/reports/sales?${qs}`, token);
      t.same(sales.totals, { orders: e.totals.orders, units: e.totals.units, revenue: e.totals.revenue }, `sales totals ${where}`);
      t.same(nonZero(sales.items), e.series, `sales series ${where}`);
      t.equal(sales.items.length, month ? lastDay(year, month) : 12, `one row per ${month ? 'day' : 'month'} ${where}`);
      const status = await api(`/api/v1/reports/order-status?${qs}`, token);
      t.same(sortBy(status.items.filter((r: { orders: number }) => r.orders), 'orderStatus'), sortBy(e.statuses, 'orderStatus'), `order status ${where}`);
      t.equal(status.totals.orders, e.totals.orders, `order status total ${where}`);
      t.same((await api(`/api/v1/reports/product-sales?${qs}&limit=10`, token)).items, e.byUnits, `top products by units ${where}`);
      t.same((await api(`/api/v1/reports/product-sales?${qs}&limit=10&sort=revenue`, token)).items, e.byRevenue, `top products by revenue ${where}`);
      const ship = await api(`/api/v1/reports/shipment-status?${qs}`, token);
      t.same(sortBy(ship.items.filter((r: { shipments: number }) => r.shipments), 'shipmentStatus'), sortBy(e.shipments, 'shipmentStatus'), `shipment status ${where}`);
      const sel = stores === null ? { single: 0 } : stores.length === 1 ? { single: stores[0]! } : { many: stores };
      const customers = await customerCounts(db, sel, [makePeriod(year, month)]);
      t.equal(customers.get(makePeriod(year, month).start), e.totals.customers, `customers ${where}`);
    }
  }
  for (const [q, token, stores] of [['', adminToken, null], [`?storeId=${s2}`, adminToken, [s2]], ['', staffToken, [s1, s2]]] as const) {
    const stock = await api(`/api/v1/reports/stock-value${q}`, token);
    t.same(stock.items, await expectedStock(stores as number[] | null), `${label} stock value ${q} ${token === staffToken ? 'staff' : 'admin'}`);
  }
  const [active] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from products where active`);
  const [rolled] = await queryRows<{ n: number }>(db, sql`select coalesce(sum(active_products), 0)::int as n from rollup_products`);
  t.equal(rolled!.n, active!.n, `${label} active products`);
}

/** The rollup tables' contents, zero rows left out (a difference can leave a coarse row at 0). */
async function snapshot() {
  const q = (s: string) => queryRows<Record<string, unknown>>(db, sql.raw(s));
  return {
    sales: await q(`select grain, period::text, store_id, order_status, orders, units, revenue::text from rollup_sales where orders <> 0 order by 1, 2, 3, 4`),
    products: await q(`select grain, period::text, store_id, product_id, orders, units, revenue::text from rollup_product_sales where orders <> 0 order by 1, 2, 3, 4`),
    customers: await q(`select grain, period::text, store_id, customer_id, orders from rollup_customers where orders <> 0 order by 1, 2, 3, 4`),
    counts: await q(`select grain, period::text, store_id, customers from rollup_customer_counts where customers <> 0 order by 1, 2, 3`),
    shipments: await q(`select grain, period::text, store_id, shipment_status, shipments from rollup_shipments where shipments <> 0 order by 1, 2, 3, 4`),
    stock: await q(`select * from rollup_stock order by 1, 2`),
    low: await q(`select * from rollup_low_stock order by 1, 2`),
    catalogue: await q(`select * from rollup_products order by 1`),
  };
}

t.test('the first request builds the rollups; the figures match the raw tables', async (t) => {
  const [before] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from rollup_state`);
  t.equal(before!.n, 0, 'nothing built yet');
  await compareAll(t, 'built');
  t.equal((await ensureRollups(db, TZ)).kind, 'current', 'nothing changed: no refresh');
  const boundary = await api(`/api/v1/reports/sales?year=2026&month=3&storeId=${s1}`);
  t.ok(boundary.items.find((r: { period: string }) => r.period === '2026-03-31').orders >= 1, '23:30 on 31 March (New York) counts in March');
});

t.test('after status changes, new orders, shipments, stock and price changes', async (t) => {
  await db.transaction(async (tx) => {
    // Cancel an OPEN order the way the lifecycle does: release its reservations, bump updated_at.
    const open = { id: openOrder, storeId: s1 };
    const lines = await queryRows<{ productId: number; quantity: number }>(tx, sql`
      select product_id as "productId", quantity from order_items where order_id = ${open!.id}`);
    await applyStockChanges(tx as unknown as Db, lines.map((l) => ({ storeId: open!.storeId, productId: l.productId, reserved: -l.quantity })), systemActor);
    await tx.execute(sql`update orders set order_status = 'CANCELLED', version = version + 1, updated_at = now() where order_id = ${open!.id}`);
    // Refund a completed order (no units restocked) and complete a shipped one.
    await tx.execute(sql`update orders set order_status = 'REFUNDED', updated_at = now()
      where order_id = (select min(order_id) from orders where order_status = 'COMPLETE')`);
    await tx.execute(sql`update orders set order_status = 'COMPLETE', updated_at = now()
      where order_id = (select min(order_id) from orders where order_status = 'SHIPPED')`);
    await tx.execute(sql`update shipments set shipment_status = 'IN-TRANSIT', in_transit_at = now()
      where shipment_id = (select min(shipment_id) from shipments where shipment_status = 'SHIPPED')`);
  });
  // Stock received, a price changed, and an order written with a historic timestamp (as a bulk
  // load does): found through the id mark, not the watermark.
  await db.transaction((tx) => applyStockChanges(tx as unknown as Db, [{ storeId: s3, productId: productIds[0]!, onHand: 7, kind: 'receipt', reference: 'test' }], systemActor));
  await db.execute(sql`update products set unit_price = unit_price + 1.25, updated_at = now() where product_id = ${productIds[1]!}`);
  await insertOrder({ local: '2026-02-28 23:59', storeId: s3, status: 'COMPLETE', lines: [[productIds[1]!, 2]], updatedAt: '2026-03-01T05:00:00Z' });

  const result = await ensureRollups(db, TZ);
  t.equal(result.kind, 'incremental');
  t.ok(result.orderBuckets >= 4 && result.stockBuckets >= 1 && result.shipmentBuckets >= 1, `only the touched buckets were read: ${JSON.stringify(result)}`);
  await compareAll(t, 'after changes');
});

t.test('concurrent refreshes apply each change once', async (t) => {
  await db.execute(sql`update orders set order_status = 'REFUNDED', updated_at = now()
    where order_id = (select min(order_id) from orders where order_status = 'COMPLETE')`);
  await Promise.all(Array.from({ length: 8 }, () => ensureRollups(db, TZ)));
  await compareAll(t, 'after concurrent refreshes');
});

t.test('the incremental rollups equal a rebuild from scratch', async (t) => {
  const incremental = await snapshot();
  t.equal((await refreshRollups(db, TZ, { full: true })).kind, 'rebuilt');
  t.same(await snapshot(), incremental);
});

t.test('a product deleted (and audited) leaves the product count', async (t) => {
  const [p] = await queryRows<{ id: number }>(db, sql`insert into products (sku, product_name, unit_price) values ('RPT-DEL-1', 'Short-lived', 1) returning product_id as id`);
  await ensureRollups(db, TZ);
  await db.execute(sql`delete from products where product_id = ${p!.id}`);
  await db.execute(sql`insert into audit_events (action, entity, entity_id) values ('delete', 'product', ${String(p!.id)})`);
  t.equal((await ensureRollups(db, TZ)).kind, 'incremental', 'the audited delete marks the rollups stale');
  const [active] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from products where active`);
  const [rolled] = await queryRows<{ n: number }>(db, sql`select sum(active_products)::int as n from rollup_products`);
  t.equal(rolled!.n, active!.n);
});

t.test('another time zone rebuilds the day buckets', async (t) => {
  t.equal((await refreshRollups(db, 'UTC')).kind, 'rebuilt');
  const { salesSeries } = await import('../src/modules/reports/queries.ts');
  const utc = await salesSeries(db, { single: s1 }, makePeriod(2026, 4));
  const e = await expected(2026, 4, [s1], 'UTC');
  t.same(nonZero(utc), e.series, 'cut in UTC, 23:30 on 31 March New York time falls on 1 April');
  t.equal((await ensureRollups(db, TZ)).kind, 'rebuilt', 'the configured zone rebuilds them back');
  await compareAll(t, 'back in New York');
});

