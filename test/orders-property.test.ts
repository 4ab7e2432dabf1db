// Property: whatever sequence of order and shipment actions random users attempt (admin, staff
// of the right or the wrong store, the order's customer or another one), after every step
//   - statuses only move along the lifecycle's transitions, and new orders start OPEN;
//   - every order has at least one line, and its events chain from "placed → OPEN" to its status;
//   - verifyStock is clean (0 ≤ reserved ≤ on hand, ledger = on hand, reserved = open lines);
//   - refusals are 4xx HttpErrors that change nothing; access rules hold (403/404).
// Runs on the PGlite of this file (or PostgreSQL with TEST_DATABASE_URL). ORDERS_PROPERTY_RUNS
// and ORDERS_PROPERTY_STEPS raise the effort.
import t, { type Test } from 'tap';
import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { createTestDatabase } from './helper.ts';
import { queryRows } from '../src/db/client.ts';
import { stores, products, customers, type OrderStatus } from '../src/db/schema/index.ts';
import { applyStockChanges } from '../src/modules/inventory/stock.ts';
import { verifyStock, formatDiscrepancies } from '../src/modules/inventory/verify.ts';
import { placeOrder } from '../src/modules/orders/place.ts';
import { TRANSITIONS, applyOrderAction } from '../src/modules/orders/lifecycle.ts';
import { advanceShipment, createShipment, type ShipmentAction } from '../src/modules/shipments/service.ts';
import { HttpError } from '../src/lib/errors.ts';
import type { CurrentUser } from '../src/lib/access.ts';

const RUNS = Number(process.env.ORDERS_PROPERTY_RUNS ?? 30);
const STEPS = Number(process.env.ORDERS_PROPERTY_STEPS ?? 25);

const { db } = await createTestDatabase(t);
const [a, b] = await db.insert(stores).values([{ storeName: 'A', physicalAddress: '1 A St' }, { storeName: 'B', physicalAddress: '2 B St' }]).returning();
const prods = await db.insert(products).values([
  { sku: 'P-1', productName: 'One', unitPrice: '1.10' }, { sku: 'P-2', productName: 'Two', unitPrice: '2.25' },
  { sku: 'P-3', productName: 'Three', unitPrice: '3.00' }, { sku: 'P-4', productName: 'Gone', unitPrice: '4.00', active: false },
]).returning();
const custs = await db.insert(customers).values([{ emailAddress: 'c1@example.test', fullName: 'C One' }, { emailAddress: 'c2@example.test', fullName: 'C Two' }]).returning();
const storeIds = [a!.storeId, b!.storeId];
const actor = { userId: null, email: 'property' };
// Modest stock so shortages happen; products 1-3 at both stores, the inactive one at A.
await db.transaction((tx) => applyStockChanges(tx, [
  ...storeIds.flatMap((storeId) => prods.slice(0, 3).map((p) => ({ storeId, productId: p.productId, onHand: 30, kind: 'receipt' as const }))),
  { storeId: a!.storeId, productId: prods[3]!.productId, onHand: 5, kind: 'receipt' },
], actor));

const base = { id: 0, email: 'x', fullName: 'x', customerId: null, storeIds: [] as number[] };
const users: CurrentUser[] = [
  { ...base, role: 'admin' },
  { ...base, role: 'staff', storeIds: [a!.storeId] },
  { ...base, role: 'staff', storeIds: [b!.storeId] },
  { ...base, role: 'customer', customerId: custs[0]!.customerId },
  { ...base, role: 'customer', customerId: custs[1]!.customerId },
];

const EDGES = new Set(Object.values(TRANSITIONS).flatMap((tr) => tr.from.map((f) => `${f}->${tr.to}`)));

/** Who acts, relative to the order: 0 admin, 1 staff of its store, 2 its customer, 3 staff of
 * the other store, 4 the other customer. Mostly the right people, sometimes the wrong ones. */
type Who = 0 | 1 | 2 | 3 | 4;
type Step =
  | { kind: 'place'; who: Who; customer: number; store: number; lines: Array<{ product: number; quantity: number }> }
  | { kind: 'action'; action: 'pay' | 'cancel' | 'refund' | 'ship' | 'complete'; order: number; who: Who; stale: boolean; returns: number[] }
  | { kind: 'shipment'; order: number; who: Who; pick: boolean[]; address: boolean }
  | { kind: 'advance'; shipment: number; action: ShipmentAction; who: Who }
  | { kind: 'receive'; store: number; product: number; quantity: number };

const whoArb: fc.Arbitrary<Who> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<Who>(0, 1, 2) },
  { weight: 1, arbitrary: fc.constantFrom<Who>(3, 4) },
);
/** The user for `who` on an order of this store and customer. */
function userFor(who: Who, storeId: number, customerId: number): CurrentUser {
  const otherStore = storeIds.find((id) => id !== storeId)!;
  const otherCustomer = custs.find((c) => c.customerId !== customerId)!.customerId;
  if (who === 0) return users[0]!;
  if (who === 1 || who === 3) return users.find((u) => u.role === 'staff' && u.storeIds[0] === (who === 1 ? storeId : otherStore))!;
  return users.find((u) => u.role === 'customer' && u.customerId === (who === 2 ? customerId : otherCustomer))!;
}
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('place' as const), who: whoArb, customer: fc.nat({ max: 1 }), store: fc.nat({ max: 1 }),
    // Mostly sensible lines, sometimes a bad one (inactive product, zero or negative quantity,
    // duplicates, no lines at all), which must be refused whole.
    lines: fc.oneof(
      { weight: 8, arbitrary: fc.uniqueArray(fc.record({ product: fc.nat({ max: 2 }), quantity: fc.integer({ min: 1, max: 4 }) }), { minLength: 1, maxLength: 3, selector: (l) => l.product }) },
      { weight: 2, arbitrary: fc.array(fc.record({ product: fc.nat({ max: 3 }), quantity: fc.integer({ min: -1, max: 6 }) }), { maxLength: 3 }) },
    ) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('action' as const), action: fc.constantFrom('pay' as const, 'cancel' as const, 'refund' as const, 'ship' as const, 'complete' as const),
    order: fc.nat(), who: whoArb, stale: fc.nat({ max: 4 }).map((n) => n === 0), returns: fc.array(fc.integer({ min: -1, max: 4 }), { maxLength: 3 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('shipment' as const), order: fc.nat(), who: whoArb, pick: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }), address: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('advance' as const), shipment: fc.nat(), action: fc.constantFrom('ship' as const, 'transit' as const, 'deliver' as const), who: whoArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('receive' as const), store: fc.nat({ max: 1 }), product: fc.nat({ max: 2 }), quantity: fc.integer({ min: 1, max: 10 }) }) },
);

const orderIds: number[] = [];
const shipmentIds: number[] = [];
/** Most steps act on an order or shipment their action fits (so lifecycles get carried
 * through to the end), the others on any one (so refusals get exercised too). */
const FITS: Record<string, readonly string[]> = {
  pay: ['OPEN'], cancel: ['OPEN', 'PAID'], refund: ['SHIPPED', 'COMPLETE'], ship: ['PAID'], complete: ['SHIPPED'], shipment: ['PAID'],
  'advance:ship': ['CREATED'], 'advance:transit': ['SHIPPED'], 'advance:deliver': ['IN-TRANSIT'],
};
function pickOrder(step: { kind: string; action?: string; order: number }, before: Map<number, { status: string }>): number {
  const fits = orderIds.filter((id) => FITS[step.kind === 'shipment' ? 'shipment' : step.action!]!.includes(before.get(id)!.status));
  const list = step.order % 5 === 0 || !fits.length ? orderIds : fits;
  return list[Math.floor(step.order / 5) % list.length]!;
}
async function pickShipment(step: { action: string; shipment: number }): Promise<number> {
  const rows = await queryRows<{ id: number; s: string }>(db, sql`select shipment_id as id, shipment_status as s from shipments`);
  const fits = rows.filter((r) => FITS[`advance:${step.action}`]!.includes(r.s)).map((r) => Number(r.id));
  const list = step.shipment % 5 === 0 || !fits.length ? shipmentIds : fits;
  return list[Math.floor(step.shipment / 5) % list.length]!;
}

async function statuses(): Promise<Map<number, { status: OrderStatus; version: number; storeId: number; customerId: number }>> {
  const rows = await queryRows<{ id: number; s: OrderStatus; v: number; st: number; c: number }>(db, sql`select order_id as id, order_status as s, version as v, store_id as st, customer_id as c from orders`);
  return new Map(rows.map((r) => [Number(r.id), { status: r.s, version: Number(r.v), storeId: Number(r.st), customerId: Number(r.c) }]));
}

/** May this user see the order at all (lifecycle: customers 404 elsewhere, staff 403)? */
const canSee = (u: CurrentUser, o: { storeId: number; customerId: number }) =>
  u.role === 'admin' || (u.role === 'staff' ? u.storeIds.includes(o.storeId) : u.customerId === o.customerId);

/** Runs one step; false when there was nothing to act on yet. */
async function run(step: Step, before: Awaited<ReturnType<typeof statuses>>): Promise<boolean> {
  if (step.kind === 'receive') {
    await db.transaction((tx) => applyStockChanges(tx, [{ storeId: storeIds[step.store]!, productId: prods[step.product]!.productId, onHand: step.quantity, kind: 'receipt' }], actor));
    return true;
  }
  if (step.kind === 'place') {
    const customerId = custs[step.customer]!.customerId, storeId = storeIds[step.store]!;
    const items = step.lines.map((l) => ({ productId: prods[l.product]!.productId, quantity: l.quantity }));
    const placed = await db.transaction((tx) => placeOrder(tx, { customerId, storeId, items }, userFor(step.who, storeId, customerId), actor));
    orderIds.push(placed.orderId);
    return true;
  }
  if (step.kind === 'action' || step.kind === 'shipment') {
    if (!orderIds.length) return false;
    const orderId = pickOrder(step, before);
    const o = before.get(orderId)!;
    const user = userFor(step.who, o.storeId, o.customerId);
    if (step.kind === 'action') {
      const lines = await queryRows<{ id: number }>(db, sql`select line_item_id as id from order_items where order_id = ${orderId} order by line_item_id`);
      const returns = Object.fromEntries(step.returns.slice(0, lines.length).map((q, i) => [lines[i]!.id, q]));
      await db.transaction((tx) => applyOrderAction(tx, { orderId, action: step.action, user, actor, expectedVersion: step.stale ? o.version - 1 : o.version, returns }));
    } else {
      const lines = await queryRows<{ productId: number }>(db, sql`select product_id as "productId" from order_items where order_id = ${orderId} and shipment_id is null order by line_item_id`);
      const items = lines.filter((_, i) => step.pick[i]).map((l) => ({ productId: Number(l.productId) }));
      const s = await db.transaction((tx) => createShipment(tx, { orderId, items, deliveryAddress: step.address ? `${orderId} Ship St` : undefined }, user, actor));
      shipmentIds.push(s.shipmentId);
    }
    return true;
  }
  if (!shipmentIds.length) return false;
  const shipmentId = await pickShipment(step);
  const [owner] = await queryRows<{ st: number; c: number }>(db, sql`select store_id as st, customer_id as c from shipments where shipment_id = ${shipmentId}`);
  // A cancelled order's undispatched shipments are dissolved: acting on one is a 404.
  const user = owner ? userFor(step.who, Number(owner.st), Number(owner.c)) : users[0]!;
  await db.transaction((tx) => advanceShipment(tx, shipmentId, step.action, user, actor));
  return true;
}

async function checkInvariants(t: Test, step: Step, before: Awaited<ReturnType<typeof statuses>>, error: unknown): Promise<boolean> {
  const after = await statuses();
  const problems: string[] = [];
  if (error !== undefined) {
    if (!(error instanceof HttpError) || error.statusCode < 400 || error.statusCode >= 500) problems.push(`not a 4xx refusal: ${String((error as Error)?.stack ?? error)}`);
    for (const [id, o] of after) {
      const was = before.get(id);
      if (!was) problems.push(`order ${id} was created by a refused step`);
      else if (was.status !== o.status || was.version !== o.version) problems.push(`order ${id} changed (${was.status} v${was.version} → ${o.status} v${o.version}) by a refused step`);
    }
  }
  for (const [id, o] of after) {
    const was = before.get(id);
    if (!was && o.status !== 'OPEN') problems.push(`new order ${id} is ${o.status}`);
    if (was && was.status !== o.status && !EDGES.has(`${was.status}->${o.status}`)) problems.push(`order ${id}: illegal ${was.status} → ${o.status}`);
  }
  // Access: a user who may not see an order never changes it.
  if (error === undefined && (step.kind === 'action' || step.kind === 'shipment') && orderIds.length) {
    const id = pickOrder(step, before);
    const o = before.get(id);
    if (o && !canSee(userFor(step.who, o.storeId, o.customerId), o)) problems.push(`${step.who} acted on order ${id} of store ${o.storeId} / customer ${o.customerId}`);
  }
  if (error instanceof HttpError && (step.kind === 'action' || step.kind === 'shipment') && orderIds.length) {
    const o = before.get(pickOrder(step, before));
    const u = o ? userFor(step.who, o.storeId, o.customerId) : users[0]!;
    if (o && !canSee(u, o) && error.statusCode !== (u.role === 'customer' ? 404 : 403) && !(step.kind === 'shipment' && u.role === 'customer' && error.statusCode === 403)) {
      problems.push(`expected ${u.role === 'customer' ? 404 : 403} for a foreign order, got ${error.statusCode}: ${error.message}`);
    }
  }
  const structure = await queryRows<{ id: number; lines: number; chain: string | null; status: string }>(db, sql`
    select o.order_id as id, o.order_status as status,
      (select count(*)::int from order_items i where i.order_id = o.order_id) as lines,
      (select string_agg(coalesce(e.from_status, '-') || '>' || e.to_status, ' ' order by e.event_id) from order_events e where e.order_id = o.order_id) as chain
    from orders o`);
  for (const r of structure) {
    if (Number(r.lines) < 1) problems.push(`order ${r.id} has no lines`);
    const links = (r.chain ?? '').split(' ').filter(Boolean).map((l) => l.split('>'));
    if (links[0]?.[0] !== '-' || links[0]?.[1] !== 'OPEN') problems.push(`order ${r.id} has no OPEN event first (${r.chain})`);
    links.forEach((l, i) => { if (i > 0 && l[0] !== links[i - 1]![1]) problems.push(`order ${r.id}: broken event chain ${r.chain}`); });
    if (links.at(-1)?.[1] !== r.status) problems.push(`order ${r.id}: last event ${r.chain} but status ${r.status}`);
  }
  const stock = await verifyStock(db);
  if (stock.length) problems.push(formatDiscrepancies(stock));
  if (problems.length) t.fail(`after ${JSON.stringify(step)}:\n${problems.join('\n')}`);
  return problems.length === 0;
}

t.test(`random action sequences keep the lifecycle and the stock consistent (${RUNS} runs × ${STEPS} steps)`, async (t) => {
  let steps = 0, refused = 0;
  const seen = new Set<string>();
  await fc.assert(fc.asyncProperty(fc.array(stepArb, { minLength: Math.ceil(STEPS / 2), maxLength: STEPS }), async (sequence) => {
    for (const step of sequence) {
      const before = await statuses();
      let error: unknown;
      let ran = false;
      try { ran = await run(step, before); } catch (err) { error = err; refused++; }
      steps++;
      if (ran && !error) seen.add(step.kind === 'action' || step.kind === 'advance' ? `${step.kind}:${step.action}` : step.kind);
      if (!(await checkInvariants(t, step, before, error))) return false;
    }
    return true;
  }), { numRuns: RUNS, endOnFailure: true });
  const final = await statuses();
  const reached = new Set([...final.values()].map((o) => o.status));
  t.comment(`${steps} steps, ${refused} refused, ${final.size} orders, ${shipmentIds.length} shipments; statuses reached: ${[...reached].sort().join(', ')}; applied: ${[...seen].sort().join(', ')}`);
  t.ok(seen.has('place') && seen.has('action:pay') && seen.has('shipment') && seen.has('advance:ship'), 'the sequences exercise the lifecycle');
  t.same(await verifyStock(db), []);
});
