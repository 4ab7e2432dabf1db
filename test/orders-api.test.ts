// /api/v1/orders: list (filters, scope, sort, cursor, CSV), place (validation, short stock,
// Idempotency-Key), get, actions (version, customers' own OPEN orders), and the OpenAPI entry.
// Every refusal is a 4xx with a message and writes nothing.
import t from 'tap';
import { sql } from 'drizzle-orm';
import { buildTestApp, makeUser, apiLogin } from './helper.ts';
import { queryRows } from '../src/db/client.ts';
import { stores, products, customers } from '../src/db/schema/index.ts';
import { applyStockChanges } from '../src/modules/inventory/stock.ts';
import { advanceShipment, createShipment } from '../src/modules/shipments/service.ts';
import type { CurrentUser } from '../src/lib/access.ts';
import { csvLines } from './csv-rows.ts';

const { app } = await buildTestApp(t);
const db = app.db;
const [north, south] = await db.insert(stores).values([{ storeName: 'North', physicalAddress: '1 High St' }, { storeName: 'South', physicalAddress: '2 Low St' }]).returning();
const [tee, cap, old] = await db.insert(products).values([
  { sku: 'T-1', productName: 'Tee', unitPrice: '19.99' }, { sku: 'C-1', productName: 'Cap', unitPrice: '5.50' },
  { sku: 'O-1', productName: 'Old thing', unitPrice: '1.00', active: false },
]).returning();
const [bob] = await db.insert(customers).values([{ emailAddress: 'bob@example.test', fullName: 'Bob Baker' }]).returning();
const N = north!.storeId, S = south!.storeId, TEE = tee!.productId, CAP = cap!.productId;
const sys: CurrentUser = { id: 0, email: 'sys', fullName: 'sys', role: 'admin', customerId: null, storeIds: [] };
const actor = { userId: null, email: 'test' };
await db.transaction((tx) => applyStockChanges(tx, [
  { storeId: N, productId: TEE, onHand: 20, kind: 'receipt' }, { storeId: N, productId: CAP, onHand: 4, kind: 'receipt' },
  { storeId: S, productId: TEE, onHand: 20, kind: 'receipt' }, { storeId: N, productId: old!.productId, onHand: 5, kind: 'receipt' },
], actor));

const admin = await makeUser(app, 'admin');
const staffN = await makeUser(app, 'staff', { storeIds: [N] });
const ann = await makeUser(app, 'customer', { email: 'ann@example.test' });
const tokens = {
  admin: await apiLogin(app, admin.email, admin.password),
  staffN: await apiLogin(app, staffN.email, staffN.password),
  ann: await apiLogin(app, ann.email, ann.password),
};
type Who = keyof typeof tokens;
const api = (who: Who, method: 'GET' | 'POST', url: string, payload?: unknown, headers: Record<string, string> = {}) =>
  app.inject({ method, url: `/api/v1/orders${url}`, headers: { authorization: `Bearer ${tokens[who]}`, ...headers }, ...(payload === undefined ? {} : { payload: payload as object }) });
const counts = async () => (await queryRows<{ orders: number; reserved: number; events: number }>(db, sql`select
  (select count(*)::int from orders) as orders, (select coalesce(sum(reserved), 0)::int from inventory) as reserved,
  (select count(*)::int from order_events) as events`))[0]!;
const place = async (who: Who, body: object, headers?: Record<string, string>) => api(who, 'POST', '/', body, headers);

t.test('placing: 201 with the order, decimal strings, reservations', async (t) => {
  const res = await place('staffN', { customerId: bob!.customerId, storeId: N, items: [{ productId: TEE, quantity: 2 }, { productId: CAP, quantity: 1 }] });
  t.equal(res.statusCode, 201);
  const o = res.json();
  t.equal(o.orderStatus, 'OPEN');
  t.equal(o.total, '45.48');
  t.equal(o.version, 1);
  t.match(o.orderTimestamp, /^\d{4}-\d\d-\d\dT/);
  t.same(o.items.map((i: { lineItemId: number; unitPrice: string; quantity: number; shipmentId: null }) => [i.lineItemId, i.unitPrice, i.quantity, i.shipmentId]), [[1, '19.99', 2, null], [2, '5.50', 1, null]]);
  t.equal(res.headers.location, `/api/v1/orders/${o.orderId}`);
  const mine = await place('ann', { storeId: N, items: [{ productId: TEE, quantity: 1 }] });
  t.equal(mine.statusCode, 201, 'a customer without customerId orders for themselves');
  t.equal(mine.json().customerId, ann.customerId);
});

t.test('bad orders: 4xx with a message, nothing written', async (t) => {
  const before = await counts();
  const cases: Array<[string, Who, object, number, RegExp]> = [
    ['no lines', 'admin', { customerId: bob!.customerId, storeId: N, items: [] }, 422, /at least one product/],
    ['zero quantity', 'admin', { customerId: bob!.customerId, storeId: N, items: [{ productId: TEE, quantity: 0 }] }, 422, /whole number from 1/],
    ['negative quantity', 'admin', { customerId: bob!.customerId, storeId: N, items: [{ productId: TEE, quantity: -1 }] }, 422, /whole number from 1/],
    ['fractional quantity', 'admin', { customerId: bob!.customerId, storeId: N, items: [{ productId: TEE, quantity: 1.5 }] }, 422, /whole number from 1/],
    ['duplicate lines', 'admin', { customerId: bob!.customerId, storeId: N, items: [{ productId: TEE, quantity: 1 }, { productId: TEE, quantity: 1 }] }, 422, /already on line 1/],
    ['unknown product', 'admin', { customerId: bob!.customerId, storeId: N, items: [{ productId: 999999, quantity: 1 }] }, 422, /Product 999999 does not exist/],
    ['inactive product', 'admin', { customerId: bob!.customerId, storeId: N, items: [{ productId: old!.productId, quantity: 1 }] }, 422, /no longer sold/],
    ['unknown customer', 'admin', { customerId: 999999, storeId: N, items: [{ productId: TEE, quantity: 1 }] }, 422, /Customer 999999 does not exist/],
    ['unknown store', 'admin', { customerId: bob!.customerId, storeId: 999999, items: [{ productId: TEE, quantity: 1 }] }, 422, /Store 999999 does not exist/],
    ['no customer (staff)', 'admin', { storeId: N, items: [{ productId: TEE, quantity: 1 }] }, 422, /customerId is required/],
    ['quantity as text', 'admin', { customerId: bob!.customerId, storeId: N, items: [{ productId: TEE, quantity: '1' }] }, 400, /quantity/],
    ['unknown field', 'admin', { customerId: bob!.customerId, storeId: N, items: [], coupon: 'X' }, 400, /coupon is not a known field/],
    ['another store (staff)', 'staffN', { customerId: bob!.customerId, storeId: S, items: [{ productId: TEE, quantity: 1 }] }, 403, /stores you work at/],
    ['for someone else (customer)', 'ann', { customerId: bob!.customerId, storeId: N, items: [{ productId: TEE, quantity: 1 }] }, 403, /only place orders for themselves/],
  ];
  for (const [name, who, body, status, re] of cases) {
    const res = await place(who, body);
    t.equal(res.statusCode, status, name);
    t.match(res.json().message, re, name);
    t.equal(res.json().status, status);
  }
  const lines = await place('admin', { customerId: bob!.customerId, storeId: N, items: [{ productId: TEE, quantity: 0 }, { productId: 999999, quantity: 1 }] });
  t.same(lines.json().errors.map((e: { field: string }) => e.field), ['items.0.quantity'], 'line shape first, per line');
  t.same(await counts(), before, 'nothing written');
});

t.test('short stock: 409 with each short line and what is available', async (t) => {
  const before = await counts();
  const res = await place('admin', { customerId: bob!.customerId, storeId: N, items: [{ productId: TEE, quantity: 1 }, { productId: CAP, quantity: 50 }] });
  t.equal(res.statusCode, 409);
  const body = res.json();
  t.match(body.message, /Cap has 3 available at North \(requested 50\)/);
  t.same(body.errors.map((e: { productId: number; requested: number; available: number }) => [e.productId, e.requested, e.available]), [[CAP, 50, 3]]);
  t.same(await counts(), before);
});

t.test('Idempotency-Key: a replay returns the first answer and places nothing', async (t) => {
  const body = { customerId: bob!.customerId, storeId: S, items: [{ productId: TEE, quantity: 3 }] };
  const before = await counts();
  const first = await place('admin', body, { 'idempotency-key': 'order-key-0001' });
  const second = await place('admin', body, { 'idempotency-key': 'order-key-0001' });
  t.equal(first.statusCode, 201);
  t.equal(second.statusCode, 201);
  t.same(second.json(), first.json(), 'the same answer');
  t.equal(second.headers['idempotent-replayed'], 'true');
  t.equal((await counts()).orders, before.orders + 1, 'one order');
  t.equal((await counts()).reserved, before.reserved + 3);
  const other = await place('admin', { ...body, items: [{ productId: TEE, quantity: 4 }] }, { 'idempotency-key': 'order-key-0001' });
  t.equal(other.statusCode, 422);
  t.match(other.json().message, 'already used for a different request');
  const bad = await place('admin', body, { 'idempotency-key': 'bad key!' });
  t.equal(bad.statusCode, 400);
  // Someone else's key is theirs: the same key from another user is a new order.
  const otherUser = await place('staffN', { ...body, storeId: N, items: [{ productId: TEE, quantity: 1 }] }, { 'idempotency-key': 'order-key-0001' });
  t.equal(otherUser.statusCode, 201);
  t.equal((await counts()).orders, before.orders + 2);
  // A refused request is not stored: fixing it and retrying with the same key works.
  const short = await place('admin', { ...body, storeId: N, items: [{ productId: CAP, quantity: 99 }] }, { 'idempotency-key': 'order-key-0002' });
  t.equal(short.statusCode, 409);
  const retry = await place('admin', { ...body, storeId: N, items: [{ productId: CAP, quantity: 99 }] }, { 'idempotency-key': 'order-key-0002' });
  t.equal(retry.statusCode, 409, 'still refused, not replayed as success');
});

t.test('list: scope, filters, sort, cursor, CSV', async (t) => {
  const all = (await api('admin', 'GET', '/?limit=200')).json();
  const [total] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from orders`);
  t.equal(all.items.length, total!.n);
  t.same(Object.keys(all.items[0]).sort(), ['customerId', 'customerName', 'orderId', 'orderStatus', 'orderTimestamp', 'storeId', 'storeName', 'total', 'version']);
  const staff = (await api('staffN', 'GET', '/?limit=200')).json();
  t.ok(staff.items.length > 0 && staff.items.every((o: { storeId: number }) => o.storeId === N), 'staff: their stores');
  t.equal((await api('staffN', 'GET', `/?storeId=${S}`)).statusCode, 403);
  const mine = (await api('ann', 'GET', '/')).json();
  t.ok(mine.items.length > 0 && mine.items.every((o: { customerId: number }) => o.customerId === ann.customerId), 'customers: their own');
  t.equal((await api('ann', 'GET', `/?customerId=${bob!.customerId}`)).statusCode, 403);
  const bobs = (await api('admin', 'GET', `/?customerId=${bob!.customerId}&storeId=${S}`)).json();
  t.ok(bobs.items.length > 0 && bobs.items.every((o: { customerId: number; storeId: number }) => o.customerId === bob!.customerId && o.storeId === S));
  const today = new Date().toISOString().slice(0, 10);
  t.equal((await api('admin', 'GET', `/?from=${today}&to=${today}&limit=200`)).json().items.length, total!.n, 'today (UTC config)');
  t.equal((await api('admin', 'GET', '/?to=2000-01-01')).json().items.length, 0);
  const one = all.items[2];
  t.same((await api('admin', 'GET', `/?q=${one.orderId}`)).json().items.map((o: { orderId: number }) => o.orderId), [one.orderId]);
  t.equal((await api('admin', 'GET', '/?status=PAID')).json().items.length, 0);

  const page1 = (await api('admin', 'GET', '/?sort=orderId&order=asc&limit=2')).json();
  t.equal(page1.items.length, 2);
  t.ok(page1.nextCursor);
  const page2 = (await api('admin', 'GET', `/?sort=orderId&order=asc&limit=2&cursor=${page1.nextCursor}`)).json();
  t.ok(page2.items[0].orderId > page1.items[1].orderId, 'the next page continues');
  const byTotal = (await api('admin', 'GET', '/?sort=total&order=desc&limit=200')).json().items.map((o: { total: string }) => Number(o.total));
  t.same(byTotal, [...byTotal].sort((a, b) => b - a), 'sorted by total');

  for (const q of ['sort=colour', 'from=2026-02-30', 'limit=500', 'status=LOST', 'from=2026-03-02&to=2026-03-01', 'cursor=xyz']) {
    const res = await api('admin', 'GET', `/?${q}`);
    t.equal(res.statusCode, 400, q);
    t.ok(res.json().message, q);
  }
  const csv = await api('admin', 'GET', `/?format=csv&storeId=${S}`);
  t.equal(csv.statusCode, 200);
  t.match(csv.headers['content-type'], 'text/csv');
  t.equal(csvLines(csv.body).length, 1 + all.items.filter((o: { storeId: number }) => o.storeId === S).length);
  const customerCsv = await api('ann', 'GET', '/?format=csv');
  t.notMatch(customerCsv.body, 'bob@example.test', 'the CSV is scoped too');
});

t.test('get: lines, events, shipments, allowed actions; 404 / 403 outside the caller\'s orders', async (t) => {
  const placed = (await place('admin', { customerId: bob!.customerId, storeId: N, items: [{ productId: TEE, quantity: 1 }] })).json();
  const res = await api('admin', 'GET', `/${placed.orderId}`);
  t.equal(res.statusCode, 200);
  const o = res.json();
  t.equal(o.customerName, 'Bob Baker');
  t.equal(o.storeName, 'North');
  t.same(o.allowedActions, ['pay', 'cancel']);
  t.same(o.events.map((e: { fromStatus: null; toStatus: string; actor: string }) => [e.fromStatus, e.toStatus, e.actor]), [[null, 'OPEN', admin.email]]);
  t.same(o.shipments, []);
  t.equal(o.items[0].productName, 'Tee');
  t.equal((await api('ann', 'GET', `/${placed.orderId}`)).statusCode, 404, 'another customer\'s order does not exist for them');
  const southOrder = (await place('admin', { customerId: bob!.customerId, storeId: S, items: [{ productId: TEE, quantity: 1 }] })).json();
  t.equal((await api('staffN', 'GET', `/${southOrder.orderId}`)).statusCode, 403);
  t.equal((await api('admin', 'GET', '/99999999')).statusCode, 404);
  t.equal((await api('admin', 'GET', '/abc')).statusCode, 400);
});

t.test('actions: versions, statuses, roles', async (t) => {
  const o = (await place('admin', { customerId: bob!.customerId, storeId: N, items: [{ productId: TEE, quantity: 2 }, { productId: CAP, quantity: 1 }] })).json();
  const paid = await api('staffN', 'POST', `/${o.orderId}/actions/pay`, { version: o.version, note: 'card' });
  t.equal(paid.statusCode, 200);
  t.equal(paid.json().orderStatus, 'PAID');
  t.equal(paid.json().version, o.version + 1);
  t.equal(paid.json().events.at(-1).note, 'card');
  const before = await counts();
  const stale = await api('admin', 'POST', `/${o.orderId}/actions/cancel`, { version: o.version });
  t.equal(stale.statusCode, 409);
  t.match(stale.json().message, 'changed since you loaded it');
  t.equal(stale.json().current.orderStatus, 'PAID', 'the current order comes with the refusal');
  t.equal(stale.json().current.version, o.version + 1);
  const again = await api('admin', 'POST', `/${o.orderId}/actions/pay`, {});
  t.equal(again.statusCode, 409);
  t.match(again.json().message, 'Cannot pay an order that is PAID');
  t.equal(again.json().current.orderStatus, 'PAID');
  t.equal((await api('admin', 'POST', `/${o.orderId}/actions/ship`, {})).statusCode, 400, 'not a hand action');
  t.equal((await api('admin', 'POST', `/${o.orderId}/actions/refund`, { returns: [{ lineItemId: 1, quantity: 1 }] })).statusCode, 409, 'refund before shipping');
  t.equal((await api('admin', 'POST', `/${o.orderId}/actions/pay`, { version: '2' })).statusCode, 400, 'strict body');
  t.same(await counts(), before, 'nothing written by the refusals');

  // Ship everything, then refund with returns.
  const s = await db.transaction((tx) => createShipment(tx, { orderId: o.orderId, deliveryAddress: '1 Oak' }, sys, actor));
  await db.transaction((tx) => advanceShipment(tx, s.shipmentId, 'ship', sys, actor));
  const current = (await api('admin', 'GET', `/${o.orderId}`)).json();
  t.equal(current.orderStatus, 'SHIPPED');
  t.same(current.shipments.map((x: { shipmentId: number; lineItemIds: number[] }) => [x.shipmentId, x.lineItemIds]), [[s.shipmentId, [1, 2]]]);
  t.equal((await api('admin', 'POST', `/${o.orderId}/actions/refund`, { returns: [{ lineItemId: 1, quantity: 1 }, { lineItemId: 1, quantity: 1 }] })).statusCode, 422, 'a line twice');
  t.equal((await api('admin', 'POST', `/${o.orderId}/actions/refund`, { returns: [{ lineItemId: 1, quantity: 3 }] })).statusCode, 422, 'more than sold');
  t.equal((await api('admin', 'POST', `/${o.orderId}/actions/refund`, { returns: [{ lineItemId: 7, quantity: 1 }] })).statusCode, 422, 'not a line');
  t.equal((await api('ann', 'POST', `/${o.orderId}/actions/refund`, {})).statusCode, 404, 'not her order');
  const [inv] = await queryRows<{ on_hand: number }>(db, sql`select on_hand from inventory where store_id = ${N} and product_id = ${TEE}`);
  const refunded = await api('admin', 'POST', `/${o.orderId}/actions/refund`, { version: current.version, returns: [{ lineItemId: 1, quantity: 2 }, { lineItemId: 2, quantity: 0 }] });
  t.equal(refunded.statusCode, 200);
  t.equal(refunded.json().orderStatus, 'REFUNDED');
  t.equal(refunded.json().items[0].returnedQuantity, 2);
  const [after] = await queryRows<{ on_hand: number }>(db, sql`select on_hand from inventory where store_id = ${N} and product_id = ${TEE}`);
  t.equal(after!.on_hand, inv!.on_hand + 2, 'returned units back on hand');
});

t.test('customers cancel their own OPEN orders, nothing else', async (t) => {
  const mine = (await place('ann', { storeId: N, items: [{ productId: TEE, quantity: 1 }] })).json();
  const bobs = (await place('admin', { customerId: bob!.customerId, storeId: N, items: [{ productId: TEE, quantity: 1 }] })).json();
  t.equal((await api('ann', 'POST', `/${mine.orderId}/actions/pay`, {})).statusCode, 403);
  t.equal((await api('ann', 'POST', `/${bobs.orderId}/actions/cancel`, {})).statusCode, 404);
  const res = await api('ann', 'POST', `/${mine.orderId}/actions/cancel`);
  t.equal(res.statusCode, 200, 'a bodyless action');
  t.equal(res.json().orderStatus, 'CANCELLED');
  t.same(res.json().allowedActions, []);
  const paid = (await place('ann', { storeId: N, items: [{ productId: TEE, quantity: 1 }] })).json();
  await api('admin', 'POST', `/${paid.orderId}/actions/pay`, {});
  const late = await api('ann', 'POST', `/${paid.orderId}/actions/cancel`, {});
  t.equal(late.statusCode, 403);
  t.match(late.json().message, 'only cancel an order while it is OPEN');
});

t.test('documented in OpenAPI', async (t) => {
  const doc = (await app.inject({ url: '/api/openapi.json' })).json();
  for (const [path, method] of [['/api/v1/orders/', 'get'], ['/api/v1/orders/', 'post'], ['/api/v1/orders/{id}', 'get'], ['/api/v1/orders/{id}/actions/{action}', 'post']] as const) {
    t.same(doc.paths[path]?.[method]?.tags, ['orders'], `${method} ${path}`);
  }
  t.ok(doc.paths['/api/v1/orders/'].post.responses['409']);
  const unauth = await app.inject({ url: '/api/v1/orders' });
  t.equal(unauth.statusCode, 401);
});
