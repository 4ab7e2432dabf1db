// A refund keeps the note the user typed and adds what was restocked (feature audit 1): in the
// order event, the audit row and the API answer, through the page and through the API.
import t from 'tap';
import { sql } from 'drizzle-orm';
import { buildTestApp, Client, makeUser, apiLogin } from './helper.ts';
import { queryRows } from '../src/db/client.ts';
import { stores, products, customers } from '../src/db/schema/index.ts';
import { applyStockChanges } from '../src/modules/inventory/stock.ts';
import { placeOrder } from '../src/modules/orders/place.ts';
import { createShipment, advanceShipment } from '../src/modules/shipments/service.ts';
import type { CurrentUser } from '../src/lib/access.ts';

const { app } = await buildTestApp(t);
const db = app.db;
const [north] = await db.insert(stores).values([{ storeName: 'North', physicalAddress: '1 High St' }]).returning();
const [tee, cap] = await db.insert(products).values([{ sku: 'T-1', productName: 'Tee', unitPrice: '19.99' }, { sku: 'C-1', productName: 'Cap', unitPrice: '5.50' }]).returning();
const [ann] = await db.insert(customers).values([{ emailAddress: 'ann@example.test', fullName: 'Ann Archer' }]).returning();
const N = north!.storeId;
const sys: CurrentUser = { id: 0, email: 'sys', fullName: 'sys', role: 'admin', customerId: null, storeIds: [] };
const actor = { userId: null, email: 'test' };
await db.transaction((tx) => applyStockChanges(tx, [tee!, cap!].map((p) => ({ storeId: N, productId: p.productId, onHand: 50, kind: 'receipt' as const })), actor));
const admin = await makeUser(app, 'admin');
const token = await apiLogin(app, admin.email, admin.password);

/** An order of 2 tees and 1 cap, paid and dispatched: ready to refund. */
async function shippedOrder() {
  const o = await db.transaction((tx) => placeOrder(tx, { customerId: ann!.customerId, storeId: N, items: [{ productId: tee!.productId, quantity: 2 }, { productId: cap!.productId, quantity: 1 }] }, sys, actor));
  await app.inject({ method: 'POST', url: `/api/v1/orders/${o.orderId}/actions/pay`, headers: { authorization: `Bearer ${token}` }, payload: {} });
  const s = await db.transaction((tx) => createShipment(tx, { orderId: o.orderId, deliveryAddress: '1 Oak' }, sys, actor));
  await db.transaction((tx) => advanceShipment(tx, s.shipmentId, 'ship', sys, actor));
  const [row] = await queryRows<{ v: number }>(db, sql`select version as v from orders where order_id = ${o.orderId}`);
  return { orderId: o.orderId, version: Number(row!.v) };
}

const refundNote = async (orderId: number) => (await queryRows<{ note: string | null }>(db,
  sql`select note from order_events where order_id = ${orderId} and to_status = 'REFUNDED'`))[0]?.note;
const auditNote = async (orderId: number) => (await queryRows<{ note: string | null }>(db,
  sql`select after->>'note' as note from audit_events where action = 'order.refund' and entity_id = ${String(orderId)}`))[0]?.note;

t.test('the page: the typed note and the restock detail', async (t) => {
  const o = await shippedOrder();
  const c = new Client(app);
  await c.login(admin.email, admin.password);
  await c.get(`/orders/${o.orderId}`);
  const res = await c.post(`/orders/${o.orderId}/actions/refund`, { version: String(o.version), 'returns.1': '1', 'returns.2': '', note: 'Damaged on arrival' });
  t.equal(res.statusCode, 303);
  const expected = 'Damaged on arrival — restocked line 1: 1';
  t.equal(await refundNote(o.orderId), expected, 'order event');
  t.equal(await auditNote(o.orderId), expected, 'audit row');
  const page = await c.get(`/orders/${o.orderId}`);
  t.match(page.body, expected, 'the timeline shows both');
});

t.test('the API: the typed note and the restock detail, in the answer too', async (t) => {
  const o = await shippedOrder();
  const res = await app.inject({
    method: 'POST', url: `/api/v1/orders/${o.orderId}/actions/refund`, headers: { authorization: `Bearer ${token}` },
    payload: { version: o.version, note: 'customer returned one cap', returns: [{ lineItemId: 2, quantity: 1 }, { lineItemId: 1, quantity: 2 }] },
  });
  t.equal(res.statusCode, 200);
  const expected = 'customer returned one cap — restocked line 1: 2, line 2: 1';
  t.equal(res.json().events.at(-1).note, expected, 'API answer');
  t.equal(await refundNote(o.orderId), expected, 'order event');
  t.equal(await auditNote(o.orderId), expected, 'audit row');
});

t.test('only one of them: that one alone', async (t) => {
  const restockOnly = await shippedOrder();
  await app.inject({ method: 'POST', url: `/api/v1/orders/${restockOnly.orderId}/actions/refund`, headers: { authorization: `Bearer ${token}` }, payload: { returns: [{ lineItemId: 1, quantity: 1 }] } });
  t.equal(await refundNote(restockOnly.orderId), 'Restocked line 1: 1');
  const noteOnly = await shippedOrder();
  await app.inject({ method: 'POST', url: `/api/v1/orders/${noteOnly.orderId}/actions/refund`, headers: { authorization: `Bearer ${token}` }, payload: { note: '  goodwill refund  ', returns: [{ lineItemId: 1, quantity: 0 }] } });
  t.equal(await refundNote(noteOnly.orderId), 'goodwill refund', 'no restock: the note alone, trimmed');
  const neither = await shippedOrder();
  await app.inject({ method: 'POST', url: `/api/v1/orders/${neither.orderId}/actions/refund`, headers: { authorization: `Bearer ${token}` }, payload: {} });
  t.equal(await refundNote(neither.orderId), null);
  t.equal(await auditNote(neither.orderId), null);
});
