// Shared set-up of the inventory tests: seeded data plus three products of our own (INV-A/B/C)
// that no store stocks yet, users of every role, and small readers of the stock state so tests
// can assert exactly what was (or was not) written.
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { apiLogin, buildTestApp, makeUser } from './helper.ts';
import { seedData } from '../src/db/seed.ts';
import { queryRows, type Db } from '../src/db/client.ts';
import { orderItems, orders, products } from '../src/db/schema/index.ts';
import { applyStockChanges } from '../src/modules/inventory/stock.ts';
import { systemActor } from '../src/lib/audit.ts';

type Test = Parameters<typeof buildTestApp>[0];

export async function setupInventory(t: Test) {
  const { app, database } = await buildTestApp(t);
  await seedData(app.db, { stores: 3, products: 30, customers: 30, orders: 150 });
  const storeIds = (await queryRows<{ id: number }>(app.db, sql`select store_id as id from stores order by store_id`)).map((r) => Number(r.id));
  const [S1, S2, S3] = storeIds as [number, number, number];
  const mine = await app.db.insert(products).values([
    { sku: 'INV-A', productName: 'Inventory Alpha', unitPrice: '10.00', brand: 'Testbrand' },
    { sku: 'INV-B', productName: 'Inventory Beta', unitPrice: '20.00', brand: 'Testbrand' },
    { sku: 'INV-C', productName: 'Inventory Gamma', unitPrice: '30.00', brand: 'Otherbrand' },
    { sku: 'INV-D', productName: 'Inventory Delta', unitPrice: '40.00', brand: 'Otherbrand' },
  ]).returning();
  const [A, B, C, D] = mine.map((p) => p.productId) as [number, number, number, number];
  const admin = await makeUser(app, 'admin');
  const staff = await makeUser(app, 'staff', { storeIds: [S1] });
  const customer = await makeUser(app, 'customer');
  return {
    app, database, db: app.db, S1, S2, S3, A, B, C, D, admin, staff, customer,
    tokens: {
      admin: await apiLogin(app, admin.email, admin.password),
      staff: await apiLogin(app, staff.email, staff.password),
      customer: await apiLogin(app, customer.email, customer.password),
    },
  };
}

export interface PairState { onHand: number | null; reserved: number | null; reorderPoint: number | null; ledger: number; movements: number }

/** On hand, reserved and the ledger of one (store, product); nulls when there is no row. */
export async function pairState(db: Db, storeId: number, productId: number): Promise<PairState> {
  const [r] = await queryRows<Record<string, number | null>>(db, sql`select
    (select on_hand from inventory where store_id = ${storeId} and product_id = ${productId}) as on_hand,
    (select reserved from inventory where store_id = ${storeId} and product_id = ${productId}) as reserved,
    (select reorder_point from inventory where store_id = ${storeId} and product_id = ${productId}) as reorder_point,
    (select coalesce(sum(quantity), 0)::int from stock_movements where store_id = ${storeId} and product_id = ${productId}) as ledger,
    (select count(*)::int from stock_movements where store_id = ${storeId} and product_id = ${productId}) as movements`);
  const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return { onHand: n(r!.on_hand), reserved: n(r!.reserved), reorderPoint: n(r!.reorder_point), ledger: Number(r!.ledger), movements: Number(r!.movements) };
}

/** Row counts that any write would change: compare before and after a refused request. */
export async function writeCounts(db: Db) {
  const [r] = await queryRows<Record<string, number>>(db, sql`select
    (select count(*)::int from stock_movements) as movements, (select count(*)::int from inventory) as inventory,
    (select coalesce(sum(on_hand), 0)::int from inventory) as units, (select coalesce(sum(reorder_point), 0)::int from inventory) as reorder,
    (select count(*)::int from audit_events where entity in ('inventory', 'transfer')) as audit,
    (select count(*)::int from idempotency_keys) as keys`);
  return Object.fromEntries(Object.entries(r!).map(([k, v]) => [k, Number(v)]));
}

/** Stocks (store, product) with `onHand` units, `reserved` of them held by a new OPEN order, the
 * way placing an order does (so stock:verify still agrees at teardown). */
export async function reservedPair(db: Db, storeId: number, productId: number, onHand = 10, reserved = 4) {
  await db.transaction(async (tx) => {
    const [customer] = await queryRows<{ id: number }>(tx, sql`select min(customer_id) as id from customers`);
    const [order] = await tx.insert(orders).values({ customerId: Number(customer!.id), storeId, orderStatus: 'OPEN' }).returning();
    await tx.insert(orderItems).values({ orderId: order!.orderId, lineItemId: 1, productId, unitPrice: '40.00', quantity: reserved });
    await applyStockChanges(tx, [{ storeId, productId, onHand, reserved, kind: 'receipt' }], systemActor);
  });
  return { storeId, productId, onHand, reserved };
}

/** A JSON API client for one bearer token. */
export function apiAs(app: FastifyInstance, token: string) {
  const headers = (extra: Record<string, string> = {}) => ({ authorization: `Bearer ${token}`, ...extra });
  return {
    get: (url: string, extra?: Record<string, string>) => app.inject({ method: 'GET', url, headers: headers(extra) }),
    post: (url: string, payload: unknown, extra?: Record<string, string>) => app.inject({ method: 'POST', url, payload: payload as object, headers: headers(extra) }),
    put: (url: string, payload: unknown) => app.inject({ method: 'PUT', url, payload: payload as object, headers: headers() }),
  };
}
