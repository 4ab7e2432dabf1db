// What a customer's token reads about their own orders and shipments: statuses and times, never
// the staff who acted (emails) nor the notes staff typed (security finding 8). Staff and admins
// still get both.
import t, { type Test } from 'tap';
import { buildTestApp, makeUser, apiLogin } from './helper.ts';
import { stores, products } from '../src/db/schema/index.ts';
import { applyStockChanges } from '../src/modules/inventory/stock.ts';

const { app } = await buildTestApp(t);
const db = app.db;
const [north] = await db.insert(stores).values([{ storeName: 'North', physicalAddress: '1 High St' }]).returning();
const [tee] = await db.insert(products).values([{ sku: 'T-1', productName: 'Tee', unitPrice: '19.99' }]).returning();
const N = north!.storeId, TEE = tee!.productId;
await db.transaction((tx) => applyStockChanges(tx, [{ storeId: N, productId: TEE, onHand: 50, kind: 'receipt' }], { userId: null, email: 'test' }));

const admin = await makeUser(app, 'admin', { email: 'boss-admin@example.test' });
const staff = await makeUser(app, 'staff', { storeIds: [N], email: 'floor-staff@example.test' });
const ann = await makeUser(app, 'customer', { email: 'ann@example.test' });
const tokens = {
  admin: await apiLogin(app, admin.email, admin.password),
  staff: await apiLogin(app, staff.email, staff.password),
  ann: await apiLogin(app, ann.email, ann.password),
};
type Who = keyof typeof tokens;
const api = (who: Who, method: 'GET' | 'POST', url: string, payload?: unknown) =>
  app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${tokens[who]}` }, ...(payload === undefined ? {} : { payload: payload as object }) });

const SECRET = 'INTERNAL: card flagged by fraud team, call bank before shipping';
const STAFF_EMAILS = [admin.email, staff.email];

/** No staff email, no internal note, no actor/note key anywhere in a JSON answer. */
function assertClean(t: Test, body: string, what: string) {
  for (const email of STAFF_EMAILS) t.notOk(body.includes(email), `${what}: no staff email (${email})`);
  t.notOk(body.includes('INTERNAL'), `${what}: no internal note`);
  t.notOk(/"actor"|"note"|"createdBy/.test(body), `${what}: no actor or note field`);
}

// Ann orders; staff pays it with an internal note; admin ships it.
const placed = (await api('ann', 'POST', '/orders', { storeId: N, items: [{ productId: TEE, quantity: 2 }] })).json();
const paid = await api('staff', 'POST', `/orders/${placed.orderId}/actions/pay`, { version: placed.version, note: SECRET });
const shipped = await api('admin', 'POST', '/shipments', { orderId: placed.orderId, deliveryAddress: '1 Oak Lane' });
await api('admin', 'POST', `/shipments/${shipped.json().shipmentId}/actions/ship`, {});

t.test('staff still see who acted and the note', async (t) => {
  t.equal(paid.statusCode, 200);
  const res = await api('admin', 'GET', `/orders/${placed.orderId}`);
  const ev = res.json().events.find((e: { toStatus: string }) => e.toStatus === 'PAID');
  t.equal(ev.actor, staff.email);
  t.equal(ev.note, SECRET);
});

t.test('a customer reads the order: statuses and times only', async (t) => {
  const res = await api('ann', 'GET', `/orders/${placed.orderId}`);
  t.equal(res.statusCode, 200);
  const events = res.json().events as Array<Record<string, unknown>>;
  t.same(events.map((e) => e.toStatus), ['OPEN', 'PAID', 'SHIPPED']);
  for (const e of events) t.same(Object.keys(e).sort(), ['createdAt', 'fromStatus', 'toStatus']);
  assertClean(t, res.body, 'GET /orders/:id');
});

t.test('a customer\'s action answers and 409 conflicts are projected too', async (t) => {
  const open = (await api('ann', 'POST', '/orders', { storeId: N, items: [{ productId: TEE, quantity: 1 }] })).json();
  const stale = await api('ann', 'POST', `/orders/${open.orderId}/actions/cancel`, { version: open.version + 5 });
  t.equal(stale.statusCode, 409);
  assertClean(t, stale.body, '409 current order');
  const cancelled = await api('ann', 'POST', `/orders/${open.orderId}/actions/cancel`, { version: open.version, note: 'changed my mind' });
  t.equal(cancelled.statusCode, 200);
  assertClean(t, cancelled.body, 'cancel answer');
  // The paid order with the staff note: a stale customer cancel answers with that order.
  const late = await api('ann', 'POST', `/orders/${placed.orderId}/actions/cancel`, { version: 1 });
  t.equal(late.statusCode, 409);
  t.equal(late.json().current.orderId, placed.orderId);
  assertClean(t, late.body, '409 on the noted order');
});

t.test('shipments and order lists a customer reads carry no staff identity', async (t) => {
  const urls = ['/orders/', `/shipments/`, `/shipments/${shipped.json().shipmentId}`, `/customers/${ann.customerId}`,
    `/customers/${ann.customerId}/orders`, `/customers/${ann.customerId}/shipments`];
  for (const url of urls) {
    const res = await api('ann', 'GET', url);
    t.equal(res.statusCode, 200, url);
    assertClean(t, res.body, url);
  }
  for (const url of ['/orders/?format=csv', '/shipments/?format=csv', `/customers/${ann.customerId}/orders?format=csv`, `/customers/${ann.customerId}/shipments?format=csv`]) {
    const res = await api('ann', 'GET', url);
    t.equal(res.statusCode, 200, url);
    for (const email of STAFF_EMAILS) t.notOk(res.body.includes(email), `${url}: no staff email`);
    t.notOk(res.body.includes('INTERNAL'), `${url}: no internal note`);
  }
});
