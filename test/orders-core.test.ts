// The order state machine and its stock effects, through the domain functions.
import t from 'tap';
import { sql } from 'drizzle-orm';
import { createTestDatabase } from './helper.ts';
import { queryRows } from '../src/db/client.ts';
import { stores, products, customers } from '../src/db/schema/index.ts';
import { applyStockChanges, StockShortError } from '../src/modules/inventory/stock.ts';
import { placeOrder } from '../src/modules/orders/place.ts';
import { applyOrderAction, allowedActions, StaleOrderError } from '../src/modules/orders/lifecycle.ts';
import { createShipment, advanceShipment } from '../src/modules/shipments/service.ts';
import type { CurrentUser } from '../src/lib/access.ts';
import type { Actor } from '../src/lib/audit.ts';

const { db } = await createTestDatabase(t);
const [north, south] = await db.insert(stores).values([{ storeName: 'North', physicalAddress: '1 High St' }, { storeName: 'South', physicalAddress: '2 Low St' }]).returning();
const [tee, cap, old] = await db.insert(products).values([
  { sku: 'T-1', productName: 'Tee', unitPrice: '19.99' },
  { sku: 'C-1', productName: 'Cap', unitPrice: '5.50' },
  { sku: 'O-1', productName: 'Old thing', unitPrice: '1.00', active: false },
]).returning();
const [ann, bob] = await db.insert(customers).values([{ emailAddress: 'ann@example.test', fullName: 'Ann' }, { emailAddress: 'bob@example.test', fullName: 'Bob' }]).returning();
const N = north!.storeId, S = south!.storeId, TEE = tee!.productId, CAP = cap!.productId;

const admin: CurrentUser = { id: 0, email: 'sys', fullName: 'sys', role: 'admin', customerId: null, storeIds: [] };
const southStaff: CurrentUser = { ...admin, role: 'staff', storeIds: [S] };
const annUser: CurrentUser = { ...admin, role: 'customer', customerId: ann!.customerId };
const actor: Actor = { userId: null, email: 'test' };

await db.transaction((tx) => applyStockChanges(tx, [
  { storeId: N, productId: TEE, onHand: 10, kind: 'receipt' },
  { storeId: N, productId: CAP, onHand: 4, kind: 'receipt' },
], actor));

const stock = async (productId: number) => (await queryRows<{ on_hand: number; reserved: number }>(db,
  sql`select on_hand, reserved from inventory where store_id = ${N} and product_id = ${productId}`))[0];
const status = async (orderId: number) => (await queryRows<{ s: string }>(db, sql`select order_status as s from orders where order_id = ${orderId}`))[0]!.s;
const place = (items: Array<{ productId: number; quantity: number }>, user = admin, customerId = ann!.customerId) =>
  db.transaction((tx) => placeOrder(tx, { customerId, storeId: N, items }, user, actor));
const act = (orderId: number, action: Parameters<typeof applyOrderAction>[1]['action'], extra: Partial<Parameters<typeof applyOrderAction>[1]> = {}) =>
  db.transaction((tx) => applyOrderAction(tx, { orderId, action, user: admin, actor, ...extra }));

t.test('placing reserves every line, copies prices, totals in SQL', async (t) => {
  const o = await place([{ productId: TEE, quantity: 3 }, { productId: CAP, quantity: 1 }]);
  t.equal(o.orderStatus, 'OPEN');
  t.equal(o.total, '65.47');
  t.same(o.items.map((i) => [i.lineItemId, i.unitPrice, i.lineTotal]), [[1, '19.99', '59.97'], [2, '5.50', '5.50']]);
  t.same(await stock(TEE), { on_hand: 10, reserved: 3 });
  t.same(allowedActions('OPEN', admin), ['pay', 'cancel']);
  t.same(allowedActions('OPEN', annUser), ['cancel']);
  t.same(allowedActions('PAID', annUser), []);
  await act(o.orderId, 'cancel');
  t.same(await stock(TEE), { on_hand: 10, reserved: 0 }, 'cancel releases');
  t.same(await stock(CAP), { on_hand: 4, reserved: 0 });
});

t.test('a short order names the short line and writes nothing', async (t) => {
  const before = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from orders`);
  const err = await place([{ productId: TEE, quantity: 2 }, { productId: CAP, quantity: 5 }]).catch((e) => e);
  t.ok(err instanceof StockShortError);
  t.match(err.message, /Cap has 4 available at North \(requested 5\)/);
  t.same(await queryRows(db, sql`select count(*)::int as n from orders`), before, 'no order row');
  t.same(await stock(TEE), { on_hand: 10, reserved: 0 }, 'no reservation left behind');
});

t.test('bad orders are refused with messages', async (t) => {
  const cases: Array<[string, () => Promise<unknown>, RegExp]> = [
    ['no lines', () => place([]), /at least one product/],
    ['zero quantity', () => place([{ productId: TEE, quantity: 0 }]), /whole number from 1/],
    ['fractional', () => place([{ productId: TEE, quantity: 1.5 }]), /whole number from 1/],
    ['duplicate line', () => place([{ productId: TEE, quantity: 1 }, { productId: TEE, quantity: 2 }]), /already on line 1/],
    ['unknown product', () => place([{ productId: 999999, quantity: 1 }]), /does not exist/],
    ['inactive product', () => place([{ productId: old!.productId, quantity: 1 }]), /no longer sold/],
    ['unknown customer', () => place([{ productId: TEE, quantity: 1 }], admin, 999999), /Customer 999999 does not exist/],
    ['customer for someone else', () => place([{ productId: TEE, quantity: 1 }], annUser, bob!.customerId), /only place orders for themselves/],
    ['staff of another store', () => place([{ productId: TEE, quantity: 1 }], southStaff), /stores you work at/],
  ];
  for (const [name, p, re] of cases) {
    // Started one at a time: a promise created early would reject before anyone listens.
    const err = await p().then(() => null, (e) => e);
    t.ok(err && err.statusCode >= 400 && err.statusCode < 500, `${name}: 4xx (${err?.statusCode})`);
    t.match(err?.message, re, name);
  }
  t.same(await stock(TEE), { on_hand: 10, reserved: 0 });
});

t.test('the full journey: pay, two shipments, dispatch, deliver, complete, refund with restock', async (t) => {
  const o = await place([{ productId: TEE, quantity: 2 }, { productId: CAP, quantity: 1 }]);
  await t.rejects(db.transaction((tx) => createShipment(tx, { orderId: o.orderId }, admin, actor)), /PAID orders/);
  const paid = await act(o.orderId, 'pay', { expectedVersion: o.version });
  t.equal(paid.orderStatus, 'PAID');
  const stale = await act(o.orderId, 'cancel', { expectedVersion: o.version }).catch((e) => e);
  t.ok(stale instanceof StaleOrderError, 'an action based on an old version is refused');
  t.equal(await status(o.orderId), 'PAID');
  await t.rejects(act(o.orderId, 'pay'), /Cannot pay an order that is PAID/);
  await t.rejects(act(o.orderId, 'ship'), /through their shipments/);

  const s1 = await db.transaction((tx) => createShipment(tx, { orderId: o.orderId, items: [{ productId: TEE }], deliveryAddress: '5 Elm St' }, admin, actor));
  await t.rejects(db.transaction((tx) => createShipment(tx, { orderId: o.orderId, items: [{ productId: TEE }] }, admin, actor)), /not an unshipped line/);
  await t.rejects(db.transaction((tx) => createShipment(tx, { orderId: o.orderId, items: [{ productId: CAP, quantity: 3 }] }, admin, actor)), /Lines ship whole/);
  const s2 = await db.transaction((tx) => createShipment(tx, { orderId: o.orderId }, admin, actor));
  t.equal(s2.deliveryAddress, '5 Elm St', 'the address defaults to the last one');
  await t.rejects(db.transaction((tx) => advanceShipment(tx, s1.shipmentId, 'deliver', admin, actor)), /Cannot deliver a shipment that is CREATED/);

  await db.transaction((tx) => advanceShipment(tx, s1.shipmentId, 'ship', admin, actor));
  t.same(await stock(TEE), { on_hand: 8, reserved: 0 }, 'dispatch takes the units out');
  t.equal(await status(o.orderId), 'PAID', 'one line still waiting');
  await t.rejects(act(o.orderId, 'cancel'), /already been dispatched/);
  await db.transaction((tx) => advanceShipment(tx, s2.shipmentId, 'ship', admin, actor));
  t.equal(await status(o.orderId), 'SHIPPED', 'every line has left');
  for (const s of [s1, s2]) {
    await db.transaction((tx) => advanceShipment(tx, s.shipmentId, 'transit', admin, actor));
    await db.transaction((tx) => advanceShipment(tx, s.shipmentId, 'deliver', admin, actor));
  }
  t.equal(await status(o.orderId), 'COMPLETE', 'the last delivery completes the order');
  await t.rejects(act(o.orderId, 'refund', { returns: { 1: 3 } }), /2 units that can be returned/);
  await act(o.orderId, 'refund', { returns: { 1: 1 } });
  t.equal(await status(o.orderId), 'REFUNDED');
  t.same(await stock(TEE), { on_hand: 9, reserved: 0 }, 'returned unit back on hand');
  const events = await queryRows<{ f: string | null; to: string }>(db, sql`select from_status as f, to_status as to from order_events where order_id = ${o.orderId} order by event_id`);
  t.same(events.map((e) => `${e.f}->${e.to}`), ['null->OPEN', 'OPEN->PAID', 'PAID->SHIPPED', 'SHIPPED->COMPLETE', 'COMPLETE->REFUNDED']);
});

t.test('cancelling a paid order dissolves its undispatched shipments', async (t) => {
  const o = await place([{ productId: CAP, quantity: 2 }]);
  await act(o.orderId, 'pay');
  await db.transaction((tx) => createShipment(tx, { orderId: o.orderId, deliveryAddress: '1 Oak' }, admin, actor));
  t.same(await stock(CAP), { on_hand: 3, reserved: 2 });
  await act(o.orderId, 'cancel');
  t.same(await stock(CAP), { on_hand: 3, reserved: 0 });
  t.same(await queryRows(db, sql`select count(*)::int as n from shipments where order_id = ${o.orderId}`), [{ n: 0 }]);
});

t.test('customers may cancel only their own OPEN orders', async (t) => {
  const o = await place([{ productId: CAP, quantity: 1 }], annUser);
  await t.rejects(db.transaction((tx) => applyOrderAction(tx, { orderId: o.orderId, action: 'pay', user: annUser, actor })), /Only store staff/);
  const bobUser: CurrentUser = { ...annUser, customerId: bob!.customerId };
  await t.rejects(db.transaction((tx) => applyOrderAction(tx, { orderId: o.orderId, action: 'cancel', user: bobUser, actor })), /was not found/);
  await t.rejects(db.transaction((tx) => applyOrderAction(tx, { orderId: o.orderId, action: 'cancel', user: southStaff, actor })), /store you do not work at/);
  await db.transaction((tx) => applyOrderAction(tx, { orderId: o.orderId, action: 'cancel', user: annUser, actor }));
  t.equal(await status(o.orderId), 'CANCELLED');
});
