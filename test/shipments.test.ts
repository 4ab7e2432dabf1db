import t from 'tap';
import { sql } from 'drizzle-orm';
import { buildTestApp, Client, makeUser, apiLogin } from './helper.ts';
import { queryRows } from '../src/db/client.ts';
import { stores, products, customers } from '../src/db/schema/index.ts';
import { applyStockChanges } from '../src/modules/inventory/stock.ts';
import { placeOrder } from '../src/modules/orders/place.ts';
import { applyOrderAction } from '../src/modules/orders/lifecycle.ts';
import { systemActor } from '../src/lib/audit.ts';
import type { CurrentUser } from '../src/lib/access.ts';
import { csvLines } from './csv-rows.ts';

const { app } = await buildTestApp(t);
const db = app.db;
const [north, south] = await db.insert(stores).values([{ storeName: 'North', physicalAddress: '1 High St' }, { storeName: 'South', physicalAddress: '2 Low St' }]).returning();
const [tee, cap] = await db.insert(products).values([{ sku: 'T-1', productName: 'Tee <b>', unitPrice: '19.99' }, { sku: 'C-1', productName: 'Cap', unitPrice: '5.50' }]).returning();
const N = north!.storeId, S = south!.storeId;
await db.transaction((tx) => applyStockChanges(tx, [
  { storeId: N, productId: tee!.productId, onHand: 50, kind: 'receipt' }, { storeId: N, productId: cap!.productId, onHand: 50, kind: 'receipt' },
  { storeId: S, productId: tee!.productId, onHand: 50, kind: 'receipt' },
], systemActor));
const admin = await makeUser(app, 'admin');
const northStaff = await makeUser(app, 'staff', { storeIds: [N] });
const southStaff = await makeUser(app, 'staff', { storeIds: [S] });
const buyer = await makeUser(app, 'customer');
const other = await makeUser(app, 'customer');
const [carol] = await db.insert(customers).values({ emailAddress: 'carol@example.test', fullName: 'Carol' }).returning();
const sys: CurrentUser = { id: admin.id, email: admin.email, fullName: 'a', role: 'admin', customerId: null, storeIds: [] };

async function paidOrder(storeId = N, customerId = buyer.customerId!, items = [{ productId: tee!.productId, quantity: 2 }, { productId: cap!.productId, quantity: 1 }].filter((i) => storeId === N || i.productId === tee!.productId)) {
  const o = await db.transaction((tx) => placeOrder(tx, { customerId, storeId, items }, sys, systemActor));
  await db.transaction((tx) => applyOrderAction(tx, { orderId: o.orderId, action: 'pay', user: sys, actor: systemActor }));
  return o;
}
/** Creates a shipment through the order page's form, as a browser would. */
async function shipFromOrderPage(c: Client, orderId: number, form: Record<string, string | string[]>) {
  const page = await c.get(`/orders/${orderId}`);
  const version = /name="version" value="(\d+)"/.exec(page.body)?.[1] ?? '0';
  return c.post(`/orders/${orderId}/shipments`, { version, ...form });
}
const onHand = async (productId: number, storeId = N) => (await queryRows<{ on_hand: number; reserved: number }>(db, sql`select on_hand, reserved from inventory where store_id = ${storeId} and product_id = ${productId}`))[0];

t.test('staff create a shipment from the order page and walk it to delivery', async (t) => {
  const o = await paidOrder();
  const c = new Client(app);
  await c.login(northStaff.email, northStaff.password);
  const created = await shipFromOrderPage(c, o.orderId, { lineItemId: ['1'], deliveryAddress: '9 Elm Road' });
  t.equal(created.statusCode, 303, created.body.slice(0, 300));
  const [s] = await queryRows<{ id: number; version: number }>(db, sql`select shipment_id as id, version from shipments where order_id = ${o.orderId}`);
  t.ok(s);
  let page = await c.get(`/shipments/${s!.id}`);
  t.equal(page.statusCode, 200);
  t.match(page.body, 'Tee &lt;b&gt;', 'product names are escaped');
  t.match(page.body, '9 Elm Road');
  t.match(page.body, /Dispatch<\/button>/);
  const before = await onHand(tee!.productId);
  const shipped = await c.post(`/shipments/${s!.id}/actions/ship`, { version: String(s!.version) });
  t.equal(shipped.statusCode, 303);
  t.same(await onHand(tee!.productId), { on_hand: before!.on_hand - 2, reserved: before!.reserved - 2 }, 'dispatch moves stock out');
  const stale = await c.post(`/shipments/${s!.id}/actions/transit`, { version: String(s!.version) });
  t.equal(stale.statusCode, 409, 'a stale version is refused');
  t.match(stale.body, /changed since you loaded it/);
  page = await c.get(`/shipments/${s!.id}`);
  const v = /name="version" value="(\d+)"/.exec(page.body)![1]!;
  const hx = await c.post(`/shipments/${s!.id}/actions/transit`, { version: v }, { headers: { 'hx-request': 'true' } });
  t.equal(hx.statusCode, 200);
  t.notMatch(hx.body, /<html/, 'htmx gets the status panel only');
  t.match(hx.body, 'IN-TRANSIT');
  const wrong = await c.post(`/shipments/${s!.id}/actions/ship`, { version: String(Number(v) + 1) });
  t.equal(wrong.statusCode, 409);
  t.match(wrong.body, /Cannot ship a shipment that is IN-TRANSIT/);
  const slip = await c.get(`/shipments/${s!.id}/packing-slip`);
  t.equal(slip.statusCode, 200);
  t.match(slip.body, 'Packing slip');
  t.match(slip.body, 'media="print"');
});

t.test('an htmx action swaps everything it changed: subtitle, status, timeline, flash; dispatch asks first', async (t) => {
  const o = await paidOrder();
  const c = new Client(app);
  await c.login(northStaff.email, northStaff.password);
  await shipFromOrderPage(c, o.orderId, { lineItemId: ['1', '2'], deliveryAddress: '4 Oak Road' });
  const [s] = await queryRows<{ id: number }>(db, sql`select shipment_id as id from shipments where order_id = ${o.orderId}`);
  const page = await c.get(`/shipments/${s!.id}`);
  t.match(page.body, /<form[^>]*actions\/ship"[^>]*hx-confirm="Dispatch shipment \d+\?[^"]*"/, 'dispatch cannot be undone: htmx asks first');
  t.match(page.body, `(PAID)`);
  const hx = { 'hx-request': 'true' };
  const steps = [['ship', 'SHIPPED', 'SHIPPED', 'Dispatched'], ['transit', 'IN-TRANSIT', 'SHIPPED', 'In transit'], ['deliver', 'DELIVERED', 'COMPLETE', 'Delivered']] as const;
  for (const [action, to, orderStatus, step] of steps) {
    const version = /name="version" value="(\d+)"/.exec((await c.get(`/shipments/${s!.id}`)).body)![1]!;
    const res = await c.post(`/shipments/${s!.id}/actions/${action}`, { version }, { headers: hx });
    t.equal(res.statusCode, 200, action);
    t.notMatch(res.body, /<html/, 'a fragment');
    const header = /<hgroup id="shipments-header-\d+" hx-swap-oob="true">([\s\S]*?)<\/hgroup>/.exec(res.body)?.[1] ?? '';
    t.match(header, `(${orderStatus})`, `${action}: the subtitle shows the order as ${orderStatus}`);
    const timeline = /<article id="shipments-timeline-\d+" hx-swap-oob="true">([\s\S]*?)<\/article>/.exec(res.body)?.[1] ?? '';
    t.match(timeline, new RegExp(`<dt>${step}</dt><dd>\\d`), `${action}: the timeline dates the step`);
    t.match(res.body, new RegExp(`<strong class="status[^"]*">${to}</strong>`), `${action}: the status`);
    const flash = /<div id="flash"[^>]*hx-swap-oob="true">([\s\S]*?)<\/div>/.exec(res.body)?.[1] ?? '';
    t.match(flash, `Shipment ${s!.id}: ${to}.`, `${action}: a success flash`);
    t.equal(res.body.split(`Shipment ${s!.id}: ${to}.`).length - 1, 1, 'said once');
  }
  // Without JavaScript: post, redirect, and the page shows the same, with the flash once.
  const o2 = await paidOrder();
  await shipFromOrderPage(c, o2.orderId, { lineItemId: ['1', '2'], deliveryAddress: '5 Oak Road' });
  const [s2] = await queryRows<{ id: number; version: number }>(db, sql`select shipment_id as id, version from shipments where order_id = ${o2.orderId}`);
  const posted = await c.post(`/shipments/${s2!.id}/actions/ship`, { version: String(s2!.version) });
  t.equal(posted.statusCode, 303);
  const after = await c.get(String(posted.headers.location));
  t.match(after.body, '(SHIPPED)');
  t.match(after.body, /<dt>Dispatched<\/dt><dd>\d/);
  t.equal(after.body.split(`Shipment ${s2!.id}: SHIPPED.`).length - 1, 1, 'the flash, once');
  const stale = await c.post(`/shipments/${s2!.id}/actions/transit`, { version: String(s2!.version) });
  t.equal(stale.statusCode, 409);
  t.equal(stale.body.split('changed since you loaded it').length - 1, 1, 'a refusal is said once on the page');
});

t.test('the shipment list filters, sorts, paginates and exports', async (t) => {
  const c = new Client(app);
  await c.login(admin.email, admin.password);
  for (let i = 0; i < 3; i++) {
    const o = await paidOrder();
    await shipFromOrderPage(c, o.orderId, { lineItemId: ['1', '2'], deliveryAddress: `${i} Main St` });
  }
  const all = await c.get('/shipments');
  t.equal(all.statusCode, 200);
  t.match(all.body, /shipments-row-\d+/);
  const created = await c.get('/shipments?status=CREATED&limit=2');
  t.equal((created.body.match(/id="shipments-row-/g) ?? []).length, 2);
  t.match(created.body, /rel="next"/);
  const next = /href="([^"]*cursor=[^"]+)"[^>]*rel="next"/.exec(created.body)![1]!.replace(/&amp;/g, '&');
  const page2 = await c.get(next);
  t.equal(page2.statusCode, 200);
  t.ok((page2.body.match(/id="shipments-row-/g) ?? []).length >= 1);
  const frag = await c.get('/shipments?status=CREATED', { 'hx-request': 'true' });
  t.notMatch(frag.body, /<html/);
  t.match(frag.body, 'id="shipments-rows"');
  t.equal((await c.get('/shipments?status=LOST')).statusCode, 400);
  t.equal((await c.get('/shipments?from=2026-13-45')).statusCode, 400);
  t.equal((await c.get('/shipments?cursor=garbage')).statusCode, 400);
  t.equal((await c.get('/shipments?sort=password')).statusCode, 400);
  const csv = await c.get('/shipments?format=csv&status=CREATED');
  t.equal(csv.statusCode, 200);
  t.match(String(csv.headers['content-type']), /text\/csv/);
  t.match(csvLines(csv.body)[0], /^shipment_id,order_id,store,customer,delivery_address,status/);
  t.notOk(csvLines(csv.body).some((l) => l.includes(',DELIVERED,')));
});

t.test('staff see only their stores; customers never reach the pages', async (t) => {
  const southOrder = await paidOrder(S);
  const sc = new Client(app);
  await sc.login(southStaff.email, southStaff.password);
  await shipFromOrderPage(sc, southOrder.orderId, { lineItemId: ['1'], deliveryAddress: 'South Road' });
  const [s] = await queryRows<{ id: number }>(db, sql`select shipment_id as id from shipments where order_id = ${southOrder.orderId}`);
  const nc = new Client(app);
  await nc.login(northStaff.email, northStaff.password);
  t.equal((await nc.get(`/shipments/${s!.id}`)).statusCode, 403);
  t.notMatch((await nc.get('/shipments')).body, `shipments-row-${s!.id}"`);
  await nc.get('/shipments');
  t.equal((await nc.post(`/shipments/${s!.id}/actions/ship`, { version: '1' })).statusCode, 403);
  t.equal((await nc.get('/shipments/999999')).statusCode, 404);
  const cc = new Client(app);
  await cc.login(buyer.email, buyer.password);
  t.equal((await cc.get('/shipments')).statusCode, 403);
});

t.test('API: create, act, read; customers read only their own', async (t) => {
  const token = await apiLogin(app, northStaff.email, northStaff.password);
  const auth = { authorization: `Bearer ${token}` };
  const o = await paidOrder();
  const bad = await app.inject({ method: 'POST', url: '/api/v1/shipments', headers: auth, payload: { orderId: o.orderId, items: [{ productId: tee!.productId, quantity: 1 }] } });
  t.equal(bad.statusCode, 422);
  t.match(bad.json().message, /Lines ship whole/);
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/shipments', headers: auth, payload: { orderId: o.orderId, extra: 1 } })).statusCode, 400);
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/shipments', headers: auth, payload: { orderId: '1' } })).statusCode, 400);
  const key = { ...auth, 'idempotency-key': `ship-${o.orderId}-abcdef` };
  const created = await app.inject({ method: 'POST', url: '/api/v1/shipments', headers: key, payload: { orderId: o.orderId, deliveryAddress: '3 Pine' } });
  t.equal(created.statusCode, 201);
  const again = await app.inject({ method: 'POST', url: '/api/v1/shipments', headers: key, payload: { orderId: o.orderId, deliveryAddress: '3 Pine' } });
  t.same(again.json(), created.json(), 'a replay returns the first answer');
  t.same(await queryRows(db, sql`select count(*)::int as n from shipments where order_id = ${o.orderId}`), [{ n: 1 }]);
  const body = created.json();
  t.match(body, { orderId: o.orderId, shipmentStatus: 'CREATED', units: 3, deliveryAddress: '3 Pine' });
  for (const action of ['ship', 'transit', 'deliver']) {
    const r = await app.inject({ method: 'POST', url: `/api/v1/shipments/${body.shipmentId}/actions/${action}`, headers: auth, payload: {} });
    t.equal(r.statusCode, 200, action);
  }
  t.same(await queryRows(db, sql`select order_status as s from orders where order_id = ${o.orderId}`), [{ s: 'COMPLETE' }], 'delivery completes the order');
  const again2 = await app.inject({ method: 'POST', url: `/api/v1/shipments/${body.shipmentId}/actions/deliver`, headers: auth, payload: {} });
  t.equal(again2.statusCode, 409);
  t.equal((await app.inject({ method: 'POST', url: `/api/v1/shipments/${body.shipmentId}/actions/fly`, headers: auth, payload: {} })).statusCode, 400);

  const buyerToken = await apiLogin(app, buyer.email, buyer.password);
  const mine = await app.inject({ url: '/api/v1/shipments', headers: { authorization: `Bearer ${buyerToken}` } });
  t.equal(mine.statusCode, 200);
  t.ok(mine.json().items.every((s: { customerId: number }) => s.customerId === buyer.customerId));
  t.equal((await app.inject({ url: `/api/v1/shipments/${body.shipmentId}`, headers: { authorization: `Bearer ${buyerToken}` } })).statusCode, 200);
  const otherToken = await apiLogin(app, other.email, other.password);
  t.equal((await app.inject({ url: `/api/v1/shipments/${body.shipmentId}`, headers: { authorization: `Bearer ${otherToken}` } })).statusCode, 404, "another customer's shipment is not found");
  const o2 = await paidOrder(N, carol!.customerId);
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/shipments', headers: { authorization: `Bearer ${buyerToken}` }, payload: { orderId: o2.orderId } })).statusCode, 403, 'customers cannot create shipments');
  const southToken = await apiLogin(app, southStaff.email, southStaff.password);
  t.equal((await app.inject({ url: `/api/v1/shipments/${body.shipmentId}`, headers: { authorization: `Bearer ${southToken}` } })).statusCode, 403);
  const csv = await app.inject({ url: '/api/v1/shipments?format=csv', headers: auth });
  t.match(csvLines(csv.body)[0], /^shipment_id,/);
});
