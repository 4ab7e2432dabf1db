// The order page: lines, totals, timeline, shipments; exactly the actions allowedActions()
// returns, as forms carrying the version; stale versions and disallowed actions (409 with the
// current state, nothing applied); htmx fragments; create shipment; invoice; staff scope.
import t from 'tap';
import { sql } from 'drizzle-orm';
import { buildTestApp, Client, makeUser } from './helper.ts';
import { queryRows } from '../src/db/client.ts';
import { stores, products, customers } from '../src/db/schema/index.ts';
import { applyStockChanges } from '../src/modules/inventory/stock.ts';
import { placeOrder } from '../src/modules/orders/place.ts';
import { allowedActions } from '../src/modules/orders/lifecycle.ts';
import { advanceShipment } from '../src/modules/shipments/service.ts';
import type { CurrentUser } from '../src/lib/access.ts';

const { app } = await buildTestApp(t);
const db = app.db;
const [north, south] = await db.insert(stores).values([{ storeName: 'North', physicalAddress: '1 High St' }, { storeName: 'South', webAddress: 'https://south.example' }]).returning();
const [tee, cap] = await db.insert(products).values([
  { sku: 'T-1', productName: 'Tee', unitPrice: '19.99' }, { sku: 'C-1', productName: 'Cap <b>', unitPrice: '5.50' },
]).returning();
const [ann] = await db.insert(customers).values([{ emailAddress: 'ann@example.test', fullName: 'Ann Archer' }]).returning();
const N = north!.storeId, S = south!.storeId;
const sys: CurrentUser = { id: 0, email: 'sys', fullName: 'sys', role: 'admin', customerId: null, storeIds: [] };
const actor = { userId: null, email: 'test' };
await db.transaction((tx) => applyStockChanges(tx, [N, S].flatMap((storeId) => [tee!, cap!].map((p) => ({ storeId, productId: p.productId, onHand: 50, kind: 'receipt' as const }))), actor));

const admin = await makeUser(app, 'admin');
const staffN = await makeUser(app, 'staff', { storeIds: [N] });
const staffS = await makeUser(app, 'staff', { storeIds: [S] });
const place = (storeId = N) => db.transaction((tx) => placeOrder(tx, { customerId: ann!.customerId, storeId, items: [{ productId: tee!.productId, quantity: 2 }, { productId: cap!.productId, quantity: 1 }] }, sys, actor));
const stock = async (productId: number, storeId = N) => (await queryRows<{ on_hand: number; reserved: number }>(db,
  sql`select on_hand, reserved from inventory where store_id = ${storeId} and product_id = ${productId}`))[0];
const orderRow = async (id: number) => (await queryRows<{ s: string; v: number }>(db, sql`select order_status as s, version as v from orders where order_id = ${id}`))[0]!;
const eventCount = async (id: number) => (await queryRows<{ n: number }>(db, sql`select count(*)::int as n from order_events where order_id = ${id}`))[0]!.n;
const actionForms = (body: string) => [...body.matchAll(/id="orders-action-(pay|cancel|refund)"/g)].map((m) => m[1]);

async function signedIn(user: { email: string; password: string }) {
  const c = new Client(app);
  await c.login(user.email, user.password);
  return c;
}

t.test('the page shows lines, totals, parties, timeline and the allowed actions', async (t) => {
  const o = await place();
  const c = await signedIn(admin);
  const res = await c.get(`/orders/${o.orderId}`);
  t.equal(res.statusCode, 200);
  t.match(res.body, `<h1>Order #${o.orderId}</h1>`);
  t.match(res.body, 'Cap &lt;b&gt;', 'output is escaped');
  t.match(res.body, '<td class="num">39.98</td>');
  t.match(res.body, `id="orders-total"><strong>45.48</strong>`);
  t.match(res.body, `href="/customers/${ann!.customerId}"`);
  t.match(res.body, '1 High St');
  t.match(res.body, /placed → <strong>OPEN<\/strong>/);
  t.same(actionForms(res.body), allowedActions('OPEN', { ...sys, role: 'admin' }), 'exactly the allowed actions');
  t.match(res.body, `name="version" value="${o.version}"`);
  t.match(res.body, 'hx-confirm="Cancel order', 'cancelling asks first');
  t.notMatch(res.body, 'id="orders-ship-form"', 'no shipment before payment');
  t.match(res.body, `href="/orders/${o.orderId}/invoice"`);
});

t.test('paying: 303 back with a flash; then a shipment form; the actions follow the status', async (t) => {
  const o = await place();
  const c = await signedIn(staffN);
  await c.get(`/orders/${o.orderId}`);
  const res = await c.post(`/orders/${o.orderId}/actions/pay`, { version: String(o.version) });
  t.equal(res.statusCode, 303);
  t.equal(res.headers.location, `/orders/${o.orderId}`);
  t.equal((await orderRow(o.orderId)).s, 'PAID');
  const page = await c.get(`/orders/${o.orderId}`);
  t.match(page.body, 'marked paid', 'flash shown');
  t.same(actionForms(page.body), ['cancel']);
  t.match(page.body, 'id="orders-ship-form"');
  t.match(page.body, /OPEN → <strong>PAID<\/strong>\s*<small>by staff/);

  // Create a shipment of line 1 only; the address is required the first time.
  const noAddress = await c.post(`/orders/${o.orderId}/shipments`, { version: String(o.version + 1), lineItemId: '1', deliveryAddress: '' });
  t.equal(noAddress.statusCode, 422);
  t.match(noAddress.body, 'Enter the delivery address');
  const none = await c.post(`/orders/${o.orderId}/shipments`, { version: String(o.version + 1), deliveryAddress: '5 Elm St' });
  t.equal(none.statusCode, 422);
  t.match(none.body, 'Choose at least one line');
  const stale = await c.post(`/orders/${o.orderId}/shipments`, { version: String(o.version), lineItemId: '1', deliveryAddress: '5 Elm St' });
  t.equal(stale.statusCode, 409, 'a shipment from an out-of-date page is refused');
  const made = await c.post(`/orders/${o.orderId}/shipments`, { version: String(o.version + 1), lineItemId: '1', deliveryAddress: '5 Elm St' });
  t.equal(made.statusCode, 303);
  const after = await c.get(`/orders/${o.orderId}`);
  const [s] = await queryRows<{ id: number }>(db, sql`select shipment_id as id from shipments where order_id = ${o.orderId}`);
  t.match(after.body, `href="/shipments/${s!.id}"`);
  t.match(after.body, '5 Elm St');
  t.match(after.body, 'id="orders-ship-form"', 'line 2 can still be shipped');
  t.match(after.body, '>5 Elm St</textarea>', 'the address defaults to the last one');
  t.notMatch(after.body, 'id="orders-ship-line-1"');
  const wrongLine = await c.post(`/orders/${o.orderId}/shipments`, { version: String(o.version + 2), lineItemId: '9', deliveryAddress: 'x' });
  t.equal(wrongLine.statusCode, 422);
});

t.test('a stale version is refused with the current state, never applied twice', async (t) => {
  const o = await place();
  const a = await signedIn(admin);
  const b = await signedIn(staffN);
  await a.get(`/orders/${o.orderId}`);
  await b.get(`/orders/${o.orderId}`);
  t.equal((await a.post(`/orders/${o.orderId}/actions/pay`, { version: String(o.version) })).statusCode, 303);
  const events = await eventCount(o.orderId);
  const res = await b.post(`/orders/${o.orderId}/actions/pay`, { version: String(o.version) });
  t.equal(res.statusCode, 409);
  t.match(res.body, 'changed since you loaded it');
  t.match(res.body, 'id="orders-status-value" class="status status-paid">PAID<', 'the current state');
  t.match(res.body, `name="version" value="${o.version + 1}"`, 'forms now carry the current version');
  t.equal(await eventCount(o.orderId), events, 'nothing written');
  const cancel = await b.post(`/orders/${o.orderId}/actions/cancel`, { version: String(o.version) });
  t.equal(cancel.statusCode, 409, 'any action on the old version');
  t.equal((await orderRow(o.orderId)).s, 'PAID');
  const again = await a.post(`/orders/${o.orderId}/actions/pay`, { version: String(o.version + 1) });
  t.equal(again.statusCode, 409, 'an action the status no longer allows');
  t.match(again.body, 'Cannot pay an order that is PAID');
  const missing = await a.post(`/orders/${o.orderId}/actions/pay`, {});
  t.equal(missing.statusCode, 422, 'a form without its version');
  const bogus = await a.post(`/orders/${o.orderId}/actions/ship`, { version: String(o.version + 1) });
  t.equal(bogus.statusCode, 400, 'automatic transitions are not actions');
  t.equal(await eventCount(o.orderId), events);
});

t.test('htmx: the status panel re-renders in place, with the sections that changed', async (t) => {
  const o = await place();
  const c = await signedIn(admin);
  await c.get(`/orders/${o.orderId}`);
  const before = await stock(tee!.productId);
  const res = await c.post(`/orders/${o.orderId}/actions/cancel`, { version: String(o.version), note: 'changed mind' }, { headers: { 'hx-request': 'true' } });
  t.equal(res.statusCode, 200);
  t.match(res.body, /^\s*<section id="orders-status"/);
  t.notMatch(res.body, '<html');
  t.match(res.body, 'CANCELLED');
  t.match(res.body, 'cancelled; its reserved stock is available again', 'the flash inside the fragment');
  t.match(res.body, '<section id="orders-timeline" hx-swap-oob="true"');
  t.match(res.body, 'changed mind');
  t.same(actionForms(res.body), [], 'no actions on a cancelled order');
  t.match(res.body, 'id="orders-no-actions"');
  t.same(await stock(tee!.productId), { on_hand: before!.on_hand, reserved: before!.reserved - 2 }, 'reservation released');
  const stale = await c.post(`/orders/${o.orderId}/actions/cancel`, { version: String(o.version) }, { headers: { 'hx-request': 'true' } });
  t.equal(stale.statusCode, 409, 'htmx swaps 409: the fragment with the message');
  t.match(stale.body, /^\s*<section id="orders-status"/);
  t.match(stale.body, 'class="flash flash-error"');
  const get = await c.get(`/orders/${o.orderId}`, { 'hx-request': 'true' });
  t.match(get.body, /^\s*<section id="orders-status"/);
});

t.test('refund with per-line restock through the page', async (t) => {
  const o = await place();
  const c = await signedIn(admin);
  await c.get(`/orders/${o.orderId}`);
  await c.post(`/orders/${o.orderId}/actions/pay`, { version: String(o.version) });
  await c.post(`/orders/${o.orderId}/shipments`, { version: String(o.version + 1), lineItemId: ['1', '2'], deliveryAddress: '9 Oak Rd' });
  const [s] = await queryRows<{ id: number }>(db, sql`select shipment_id as id from shipments where order_id = ${o.orderId}`);
  await db.transaction((tx) => advanceShipment(tx, s!.id, 'ship', sys, actor));
  let page = await c.get(`/orders/${o.orderId}`);
  t.match(page.body, 'status-shipped');
  t.same(actionForms(page.body), ['refund']);
  t.match(page.body, 'name="returns.1" min="0" max="2"');
  const version = Number(/name="version" value="(\d+)"/.exec(page.body)![1]);
  const tooMany = await c.post(`/orders/${o.orderId}/actions/refund`, { version: String(version), 'returns.1': '3' });
  t.equal(tooMany.statusCode, 422);
  t.match(tooMany.body, '2 units that can be returned');
  const junk = await c.post(`/orders/${o.orderId}/actions/refund`, { version: String(version), 'returns.1': '1.5' });
  t.equal(junk.statusCode, 422);
  t.equal((await orderRow(o.orderId)).s, 'SHIPPED', 'nothing written');
  const teeBefore = await stock(tee!.productId);
  const ok = await c.post(`/orders/${o.orderId}/actions/refund`, { version: String(version), 'returns.1': '1', 'returns.2': '', note: 'one tee back' });
  t.equal(ok.statusCode, 303);
  t.same(await stock(tee!.productId), { on_hand: teeBefore!.on_hand + 1, reserved: teeBefore!.reserved });
  page = await c.get(`/orders/${o.orderId}`);
  t.match(page.body, 'REFUNDED');
  t.match(page.body, 'one tee back — restocked line 1: 1', 'the typed note and what was restocked');
  t.same(actionForms(page.body), []);
});

t.test('staff of another store get 403; unknown orders 404', async (t) => {
  const o = await place(N);
  const c = await signedIn(staffS);
  const res = await c.get(`/orders/${o.orderId}`);
  t.equal(res.statusCode, 403);
  t.match(res.body, 'store you do not work at');
  await c.get('/orders');
  const act = await c.post(`/orders/${o.orderId}/actions/cancel`, { version: String(o.version) });
  t.equal(act.statusCode, 403);
  t.equal((await orderRow(o.orderId)).s, 'OPEN', 'nothing written');
  t.equal((await c.get(`/orders/${o.orderId}/invoice`)).statusCode, 403);
  const ship = await c.post(`/orders/${o.orderId}/shipments`, { version: String(o.version), lineItemId: '1', deliveryAddress: 'x' });
  t.equal(ship.statusCode, 403);
  t.equal((await c.get('/orders/999999')).statusCode, 404);
  t.equal((await c.get('/orders/abc')).statusCode, 400);
});

t.test('customers cannot act through the back office', async (t) => {
  const o = await place();
  const cust = await makeUser(app, 'customer', { email: 'ann@example.test' });
  const c = await signedIn(cust);
  t.equal((await c.get(`/orders/${o.orderId}`)).statusCode, 403);
  const res = await c.post(`/orders/${o.orderId}/actions/cancel`, { version: String(o.version) });
  t.equal(res.statusCode, 403);
  t.equal((await orderRow(o.orderId)).s, 'OPEN');
});

t.test('the invoice: printable, its own layout, the print stylesheet', async (t) => {
  const o = await place(S);
  const c = await signedIn(admin);
  const res = await c.get(`/orders/${o.orderId}/invoice`);
  t.equal(res.statusCode, 200);
  t.match(res.body, '<link rel="stylesheet" href="/static/css/print.css" media="print">');
  t.notMatch(res.body, 'class="app-header"', 'no back-office chrome');
  t.match(res.body, `INV-${o.orderId}`);
  t.match(res.body, 'https://south.example', 'store details');
  t.match(res.body, 'ann@example.test', 'customer details');
  t.match(res.body, 'id="orders-invoice-total"><strong>45.48</strong>');
  t.match(res.body, 'Cap &lt;b&gt;');
  t.match(res.body, '<script src="/static/js/orders.js" defer></script>');
  const css = await app.inject({ url: '/static/css/print.css' });
  t.equal(css.statusCode, 200);
  t.match(css.body, 'break-after: page');
});
