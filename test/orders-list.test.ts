// The order list page: filters (status, store, customer, dates, order number), per-status
// counts, sorting and keyset pages, staff scope in SQL, CSV, htmx fragments, orders by store.
import t from 'tap';
import { sql } from 'drizzle-orm';
import { buildTestApp, Client, makeUser } from './helper.ts';
import { queryRows } from '../src/db/client.ts';
import { stores, products, customers } from '../src/db/schema/index.ts';
import { applyStockChanges } from '../src/modules/inventory/stock.ts';
import { placeOrder } from '../src/modules/orders/place.ts';
import { applyOrderAction } from '../src/modules/orders/lifecycle.ts';
import { statusCounts } from '../src/modules/orders/repository.ts';
import type { CurrentUser } from '../src/lib/access.ts';
import { csvLines } from './csv-rows.ts';

const { app } = await buildTestApp(t, { timeZone: 'Europe/London' });
const db = app.db;
const [north, south] = await db.insert(stores).values([{ storeName: 'North', physicalAddress: '1 High St' }, { storeName: 'South', physicalAddress: '2 Low St' }]).returning();
const [tee, cap] = await db.insert(products).values([
  { sku: 'T-1', productName: 'Tee', unitPrice: '19.99' },
  { sku: 'C-1', productName: 'Cap', unitPrice: '5.50' },
]).returning();
const [ann, bob] = await db.insert(customers).values([
  { emailAddress: 'ann@example.test', fullName: 'Ann Archer' }, { emailAddress: 'bob@example.test', fullName: 'Bob Baker' },
]).returning();
const N = north!.storeId, S = south!.storeId;
const sys: CurrentUser = { id: 0, email: 'sys', fullName: 'sys', role: 'admin', customerId: null, storeIds: [] };
const actor = { userId: null, email: 'test' };
await db.transaction((tx) => applyStockChanges(tx, [N, S].flatMap((storeId) => [tee!, cap!].map((p) => ({ storeId, productId: p.productId, onHand: 500, kind: 'receipt' as const }))), actor));

// 12 orders: 8 at North (Ann 5, Bob 3), 4 at South (Bob); dates spread over days; some paid/cancelled.
const plan = [
  ['n1', N, ann, 1, '2026-03-01T10:00:00Z'], ['n2', N, ann, 2, '2026-03-02T10:00:00Z'], ['n3', N, ann, 3, '2026-03-03T10:00:00Z'],
  ['n4', N, ann, 1, '2026-03-04T10:00:00Z'], ['n5', N, ann, 2, '2026-03-05T23:30:00Z'], ['n6', N, bob, 1, '2026-03-06T10:00:00Z'],
  ['n7', N, bob, 4, '2026-03-07T10:00:00Z'], ['n8', N, bob, 1, '2026-03-08T10:00:00Z'], ['s1', S, bob, 1, '2026-03-01T12:00:00Z'],
  ['s2', S, bob, 2, '2026-03-02T12:00:00Z'], ['s3', S, bob, 1, '2026-03-03T12:00:00Z'], ['s4', S, bob, 5, '2026-03-04T12:00:00Z'],
] as const;
const ids = {} as Record<(typeof plan)[number][0], number>;
for (const [name, storeId, cust, qty, at] of plan) {
  const o = await db.transaction((tx) => placeOrder(tx, { customerId: cust!.customerId, storeId, items: [{ productId: tee!.productId, quantity: qty }] }, sys, actor));
  await db.execute(sql`update orders set order_tms = ${at}::timestamptz where order_id = ${o.orderId}`);
  ids[name] = o.orderId;
}
for (const n of ['n2', 'n3', 's2'] as const) await db.transaction((tx) => applyOrderAction(tx, { orderId: ids[n]!, action: 'pay', user: sys, actor }));
for (const n of ['n4', 's3'] as const) await db.transaction((tx) => applyOrderAction(tx, { orderId: ids[n]!, action: 'cancel', user: sys, actor }));

const admin = await makeUser(app, 'admin');
const staffN = await makeUser(app, 'staff', { storeIds: [N] });
const customer = await makeUser(app, 'customer', { email: 'ann@example.test' });

async function signedIn(user: { email: string; password: string }) {
  const c = new Client(app);
  await c.login(user.email, user.password);
  return c;
}
const orderIdsIn = (body: string) => [...body.matchAll(/<tr id="order-(\d+)"/g)].map((m) => Number(m[1]));
const chip = (body: string, status: string) => Number(new RegExp(`id="orders-chip-${status}"[^>]*>${status} <span class="count">(\\d+)`).exec(body)?.[1]);

t.test('admins see every order, newest first, with status counts', async (t) => {
  const c = await signedIn(admin);
  const res = await c.get('/orders');
  t.equal(res.statusCode, 200);
  t.match(res.body, '<h1>Orders</h1>');
  const shown = orderIdsIn(res.body);
  t.equal(shown.length, 12);
  t.equal(shown[0], ids.n8, 'newest first');
  t.equal(shown.at(-1), ids.n1);
  t.equal(chip(res.body, 'OPEN'), 7);
  t.equal(chip(res.body, 'PAID'), 3);
  t.equal(chip(res.body, 'CANCELLED'), 2);
  t.equal(chip(res.body, 'REFUNDED'), 0, 'every status listed, zeros included');
  t.match(res.body, `<td class="num">${(19.99 * 4).toFixed(2)}</td>`, 'total column');
});

t.test('status counts stop at the cap: the chips show "N+" past it', async (t) => {
  const counts = await statusCounts(db, { stores: 'all', customerId: null }, {}, 'Europe/London', 5);
  t.equal(counts.cap, 5);
  t.equal(counts.statuses.find((s) => s.status === 'OPEN')!.count, 6, 'seven OPEN orders counted to cap + 1');
  t.equal(counts.statuses.find((s) => s.status === 'PAID')!.count, 3, 'under the cap: exact');
  t.equal(counts.total, 6);
  const exact = await statusCounts(db, { stores: 'all', customerId: null }, {}, 'Europe/London');
  t.equal(exact.total, 12, 'the default cap leaves small counts exact');
  const scoped = await statusCounts(db, { stores: [S], customerId: null }, { from: '2026-01-01' }, 'Europe/London', 5);
  t.equal(scoped.statuses.find((s) => s.status === 'PAID')!.count, 1, 'scope and filters apply inside the capped count');
});

t.test('filters: status, store, customer id/name/email, order number, dates', async (t) => {
  const c = await signedIn(admin);
  let res = await c.get('/orders?status=PAID');
  t.same(orderIdsIn(res.body).sort(), [ids.n2, ids.n3, ids.s2].sort());
  t.equal(chip(res.body, 'OPEN'), 7, 'counts ignore the status filter itself');
  res = await c.get(`/orders?storeId=${S}`);
  t.same(orderIdsIn(res.body).sort(), [ids.s1, ids.s2, ids.s3, ids.s4].sort());
  t.equal(chip(res.body, 'PAID'), 1, 'counts follow the other filters');
  res = await c.get(`/orders?customer=${ann!.customerId}`);
  t.equal(orderIdsIn(res.body).length, 5);
  res = await c.get(`/orders?customerId=${ann!.customerId}`);
  t.equal(orderIdsIn(res.body).length, 5, 'customerId from links');
  res = await c.get('/orders?customer=baker');
  t.equal(orderIdsIn(res.body).length, 7, 'name search');
  res = await c.get('/orders?customer=ANN%40example');
  t.equal(orderIdsIn(res.body).length, 5, 'email search, case-insensitive');
  res = await c.get(`/orders?q=%23${ids.n3}`);
  t.same(orderIdsIn(res.body), [ids.n3], 'order number');
  res = await c.get('/orders?q=archer');
  t.equal(orderIdsIn(res.body).length, 5, 'other text searches customers');
  // 2026-03-05T23:30Z is already 6 March in London? No: London is UTC+0 in early March.
  res = await c.get('/orders?from=2026-03-05&to=2026-03-05');
  t.same(orderIdsIn(res.body), [ids.n5], 'one day, inclusive');
  res = await c.get('/orders?from=2026-03-07');
  t.same(orderIdsIn(res.body), [ids.n8, ids.n7]);
  res = await c.get(`/orders?to=2026-03-01&storeId=${N}`);
  t.same(orderIdsIn(res.body), [ids.n1]);
  res = await c.get('/orders?status=&storeId=&customer=&from=&to=&q=');
  t.equal(orderIdsIn(res.body).length, 12, 'empty fields of the filter form mean no filter');
});

t.test('dates are days in the configured time zone', async (t) => {
  // 23:30 UTC on 30 March is 00:30 on 31 March in London (summer time from 29 March 2026).
  await db.execute(sql`update orders set order_tms = '2026-03-30T23:30:00Z' where order_id = ${ids.n6}`);
  const c = await signedIn(admin);
  let res = await c.get('/orders?from=2026-03-31&to=2026-03-31');
  t.same(orderIdsIn(res.body), [ids.n6]);
  res = await c.get('/orders?from=2026-03-30&to=2026-03-30');
  t.same(orderIdsIn(res.body), []);
  await db.execute(sql`update orders set order_tms = '2026-03-06T10:00:00Z' where order_id = ${ids.n6}`);
});

t.test('bad filter values are explained, not ignored', async (t) => {
  const c = await signedIn(admin);
  for (const [query, re] of [['from=2026-02-30', /YYYY-MM-DD/], ['status=LOST', /Choose a status/], ['from=2026-03-05&to=2026-03-01', /end date is before/],
    ['sort=colour', /Sort by one of/], ['storeId=abc', /Choose a store/], ['limit=500', /1 to 200/]] as const) {
    const res = await c.get(`/orders?${query}`);
    t.equal(res.statusCode, 422, query);
    t.match(res.body, re, query);
  }
  const bad = await c.get('/orders?cursor=not-a-cursor');
  t.equal(bad.statusCode, 400);
});

t.test('sorting and keyset pages', async (t) => {
  const c = await signedIn(admin);
  let res = await c.get('/orders?sort=orderId&order=asc&limit=5');
  const first = orderIdsIn(res.body);
  t.same(first, Object.values(ids).sort((a, b) => a - b).slice(0, 5));
  const next = /href="([^"]*cursor=[^"]+)"[^>]*rel="next"/.exec(res.body)?.[1]?.replace(/&amp;/g, '&');
  t.ok(next, 'a next link');
  res = await c.get(next!);
  t.same(orderIdsIn(res.body), Object.values(ids).sort((a, b) => a - b).slice(5, 10));
  const prev = /href="([^"]*cursor=[^"]+)"[^>]*rel="prev"/.exec(res.body)?.[1]?.replace(/&amp;/g, '&');
  res = await c.get(prev!);
  t.same(orderIdsIn(res.body), first, 'back to the first page');

  res = await c.get('/orders?sort=total&order=desc&limit=3');
  t.same(orderIdsIn(res.body), [ids.s4, ids.n7, ids.n3], 'by total');
  const all: number[] = [];
  let url: string | undefined = '/orders?sort=total&order=asc&limit=5';
  while (url) {
    res = await c.get(url);
    all.push(...orderIdsIn(res.body));
    url = /href="([^"]*cursor=[^"]+)"[^>]*rel="next"/.exec(res.body)?.[1]?.replace(/&amp;/g, '&');
  }
  t.equal(all.length, 12, 'walking every page by total visits every order once');
  t.equal(new Set(all).size, 12);
  res = await c.get('/orders?sort=customer');
  t.ok(orderIdsIn(res.body).indexOf(ids.n1) < orderIdsIn(res.body).indexOf(ids.n6), 'alias: by customer name');
  res = await c.get('/orders?sort=store&order=desc');
  t.ok(orderIdsIn(res.body).indexOf(ids.s1) < orderIdsIn(res.body).indexOf(ids.n1), 'by store, descending');
  res = await c.get('/orders?sort=orderStatus');
  t.equal(orderIdsIn(res.body)[0], ids.n4 > ids.s3 ? ids.s3 : ids.n4, 'CANCELLED sorts first');
});

t.test('staff see their stores only, enforced in the query', async (t) => {
  const c = await signedIn(staffN);
  let res = await c.get('/orders');
  t.equal(orderIdsIn(res.body).length, 8);
  t.notMatch(res.body, `id="order-${ids.s1}"`);
  t.equal(chip(res.body, 'PAID'), 2, 'counts are scoped too');
  t.notMatch(res.body, '>South</option>', 'the store filter offers their stores only');
  res = await c.get(`/orders?q=${ids.s1}`);
  t.same(orderIdsIn(res.body), [], 'another store\'s order is not found by number');
  res = await c.get(`/orders?storeId=${S}`);
  t.equal(res.statusCode, 403, 'asking for another store is refused');
  t.match(res.body, 'stores you work at');
  res = await c.get('/orders?format=csv');
  t.equal(csvLines(res.body).length, 9, 'the CSV is scoped: header + 8');
});

t.test('customers cannot use the back office', async (t) => {
  const c = await signedIn(customer);
  const res = await c.get('/orders');
  t.equal(res.statusCode, 403);
});

t.test('CSV with the current filters and sort', async (t) => {
  const c = await signedIn(admin);
  const res = await c.get(`/orders?format=csv&storeId=${N}&status=OPEN&sort=orderId&order=asc`);
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], 'text/csv');
  t.match(res.headers['content-disposition'], /attachment; filename="orders-\d{4}-\d{2}-\d{2}\.csv"/);
  const lines = csvLines(res.body);
  t.equal(lines[0], 'orderId,orderTimestamp,orderStatus,customerId,customerName,emailAddress,storeId,storeName,lines,total,version');
  t.same(lines.slice(1).map((l) => Number(l.split(',')[0])), [ids.n1, ids.n5, ids.n6, ids.n7, ids.n8]);
  t.match(lines[1], `,OPEN,${ann!.customerId},Ann Archer,ann@example.test,${N},North,1,19.99,1`);
  const big = await c.get('/orders?format=csv&sort=total&limit=2');
  t.equal(csvLines(big.body).length, 13, 'every page, not just the first');
});

t.test('htmx gets the results fragment; a normal request the page', async (t) => {
  const c = await signedIn(admin);
  const frag = await c.get('/orders?status=OPEN', { 'hx-request': 'true' });
  t.equal(frag.statusCode, 200);
  t.match(frag.body, /^<div id="orders-results"/);
  t.notMatch(frag.body, '<html');
  t.notMatch(frag.body, 'id="orders-filters"');
  t.match(frag.body, 'aria-current="true"');
  t.match(frag.headers.vary, 'HX-Request');
  const boosted = await c.get('/orders', { 'hx-request': 'true', 'hx-boosted': 'true' });
  t.match(boosted.body, '<html');
  const page = await c.get('/orders');
  t.match(page.body, 'id="orders-filters"');
  t.match(page.body, 'hx-target="#orders-results"');
});

t.test('orders by store: counts and revenue without cancelled or refunded orders', async (t) => {
  const c = await signedIn(admin);
  const res = await c.get('/orders/by-store');
  t.equal(res.statusCode, 200);
  const [expected] = await queryRows<{ revenue: string }>(db, sql`select sum(i.quantity * i.unit_price)::numeric(14,2)::text as revenue
    from orders o join order_items i using (order_id) where o.store_id = ${N} and o.order_status not in ('CANCELLED', 'REFUNDED')`);
  const row = new RegExp(`<tr id="orders-store-${N}">([\\s\\S]*?)</tr>`).exec(res.body)?.[1] ?? '';
  t.match(row, 'North');
  t.match(row, '<td class="num">8</td>');
  t.match(row, `<td class="num">${Number(expected!.revenue).toFixed(2)}</td>`);
  t.match(res.body, 'id="orders-by-store-total"');
  const filtered = await c.get(`/orders/by-store?customer=${ann!.customerId}&status=OPEN`);
  const northRow = new RegExp(`<tr id="orders-store-${N}">([\\s\\S]*?)</tr>`).exec(filtered.body)?.[1] ?? '';
  t.match(northRow, '<td class="num">2</td>', 'same filters as the list: Ann\'s open orders at North');
  const csv = await c.get('/orders/by-store?format=csv');
  t.match(csvLines(csv.body)[0], 'storeId,storeName,orders,OPEN,PAID,SHIPPED,COMPLETE,CANCELLED,REFUNDED,revenue');
  t.equal(csvLines(csv.body).length, 3);
  const staff = await signedIn(staffN);
  const scoped = await staff.get('/orders/by-store');
  t.match(scoped.body, `id="orders-store-${N}"`);
  t.notMatch(scoped.body, `id="orders-store-${S}"`, 'staff see their stores');
  const frag = await c.get('/orders/by-store?status=PAID', { 'hx-request': 'true' });
  t.match(frag.body, /^<div id="orders-by-store"/);
});
