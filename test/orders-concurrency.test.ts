// Concurrency on a real PostgreSQL server (skipped without TEST_DATABASE_URL): 50 buyers place
// 500 orders through the API at once against a few hot products with 20 units each, three ways:
// app.inject in process, real HTTP with keep-alive, and two app instances (two pools) on the same
// database. Exactly the stock's worth is sold, every refusal is a 409 naming what is available,
// nothing is a 500, and the ledger reconciles. Also: concurrent duplicates with one
// Idempotency-Key place one order.
import t, { type Test } from 'tap';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { createTestDatabase, testConfig, makeUser } from './helper.ts';
import { createDb, queryRows, type Database } from '../src/db/client.ts';
import { buildApp } from '../src/app.ts';
import { stores, products } from '../src/db/schema/index.ts';
import { applyStockChanges } from '../src/modules/inventory/stock.ts';
import { verifyStock, formatDiscrepancies } from '../src/modules/inventory/verify.ts';
import { issueApiToken } from '../src/modules/auth/service.ts';
import { placeOrder } from '../src/modules/orders/place.ts';
import { applyOrderAction, lockOrder } from '../src/modules/orders/lifecycle.ts';
import { advanceShipment, createShipment } from '../src/modules/shipments/service.ts';
import type { CurrentUser } from '../src/lib/access.ts';

const url = process.env.TEST_DATABASE_URL;
const BUYERS = 50;
const ATTEMPTS = 500;
const HOT = 5;
const STOCK = 20;

if (!url) {
  t.comment('skipped: set TEST_DATABASE_URL to run the concurrency checks on PostgreSQL');
  t.pass('needs a PostgreSQL server');
} else {
  const database = await createTestDatabase(t);
  const config = await testConfig();
  const connectionString = (database.pool as unknown as { options: { connectionString: string } }).options.connectionString;
  // Each instance gets its own pool, as separate processes would.
  const pools: Database[] = [];
  const instance = async () => {
    const db = await createDb({ databaseUrl: connectionString, poolMax: 20 });
    pools.push(db);
    return buildApp(config, { database: db });
  };
  const apps: FastifyInstance[] = [await instance(), await instance()];
  t.teardown(async () => {
    for (const app of apps) await app.close();
    for (const p of pools) await p.close();
  });
  const app = apps[0]!;
  const [store] = await app.db.insert(stores).values([{ storeName: 'Hot store', physicalAddress: '1 Rush St' }]).returning();
  const storeId = store!.storeId;
  const tokens: string[] = [];
  for (let i = 0; i < BUYERS; i++) {
    const buyer = await makeUser(app, 'customer');
    tokens.push((await issueApiToken(app.db, config, buyer.id)).token);
  }

  /** Fresh hot products with STOCK units each, so every variant starts from the same state. */
  async function hotProducts(tag: string): Promise<number[]> {
    const rows = await app.db.insert(products).values(Array.from({ length: HOT }, (_, i) => ({ sku: `HOT-${tag}-${i}`, productName: `Hot ${tag} ${i}`, unitPrice: '9.99' }))).returning();
    const ids = rows.map((r) => r.productId);
    await app.db.transaction((tx) => applyStockChanges(tx, ids.map((productId) => ({ storeId, productId, onHand: STOCK, kind: 'receipt' as const })), { userId: null, email: 'test' }));
    return ids;
  }

  type Send = (buyer: number, body: object, headers?: Record<string, string>) => Promise<{ status: number; body: any }>;
  const viaInject: Send = async (buyer, body, headers = {}) => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/orders', headers: { authorization: `Bearer ${tokens[buyer]}`, ...headers }, payload: body });
    return { status: res.statusCode, body: res.json() };
  };
  async function postTo(base: string, token: string, body: object, headers: Record<string, string> = {}) {
    // Node's fetch keeps connections alive by default.
    const res = await fetch(`${base}/api/v1/orders`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() as any };
  }
  /** Buyers spread over the instances (buyer i talks to instance i mod n). */
  const viaHttp = (bases: string[]): Send => (buyer, body, headers) => postTo(bases[buyer % bases.length]!, tokens[buyer]!, body, headers);

  /** 50 buyers, ATTEMPTS orders in all, each of 1–2 random hot products × 1–3 units. */
  async function rush(t: Test, send: Send, tag: string) {
    const ids = await hotProducts(tag);
    const demand = new Map(ids.map((id) => [id, 0]));
    const sold = new Map(ids.map((id) => [id, 0]));
    const statuses = new Map<number, number>();
    const problems: string[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(Array.from({ length: BUYERS }, async (_, buyer) => {
      while (next < ATTEMPTS) {
        next++;
        const picked = [...ids].sort(() => Math.random() - 0.5).slice(0, 1 + Math.floor(Math.random() * 2));
        const items = picked.map((productId) => ({ productId, quantity: 1 + Math.floor(Math.random() * 3) }));
        for (const i of items) demand.set(i.productId, demand.get(i.productId)! + i.quantity);
        const res = await send(buyer, { storeId, items });
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status === 201) {
          for (const i of res.body.items) sold.set(i.productId, sold.get(i.productId)! + i.quantity);
        } else if (res.status === 409) {
          const short = res.body.errors ?? [];
          if (!short.length || !short.every((e: any) => Number.isInteger(e.available) && e.available < e.requested && items.some((i) => i.productId === e.productId))) {
            problems.push(`409 without the available count: ${JSON.stringify(res.body)}`);
          }
          if (!/available/.test(res.body.message)) problems.push(`409 message does not say what is available: ${res.body.message}`);
        } else {
          problems.push(`unexpected ${res.status}: ${JSON.stringify(res.body)}`);
        }
      }
    }));
    const ms = performance.now() - started;
    const rows = await queryRows<{ id: number; on_hand: number; reserved: number }>(app.db, sql`
      select product_id as id, on_hand, reserved from inventory where store_id = ${storeId} and product_id in (${sql.join(ids.map((id) => sql`${id}`), sql`, `)})`);
    const reserved = new Map(rows.map((r) => [Number(r.id), Number(r.reserved)]));
    const totalSold = [...sold.values()].reduce((a, b) => a + b, 0);
    t.comment(`${tag}: ${ATTEMPTS} attempts by ${BUYERS} buyers in ${Math.round(ms)} ms (${Math.round(ATTEMPTS / (ms / 1000))}/s); statuses ${JSON.stringify(Object.fromEntries(statuses))}; units sold ${totalSold} of ${HOT * STOCK}; demand ${[...demand.values()].reduce((a, b) => a + b, 0)}`);
    t.same(problems, [], 'every refusal is a 409 naming what is available; no 500s');
    t.equal([...statuses.values()].reduce((a, b) => a + b, 0), ATTEMPTS);
    for (const id of ids) {
      // Demand is about 8× the stock, and a 1-unit order for a product arrives after it runs low
      // with near certainty, so every product sells out exactly.
      t.equal(reserved.get(id), sold.get(id), `product ${id}: reserved = units of the accepted orders`);
      t.equal(sold.get(id), Math.min(demand.get(id)!, STOCK), `product ${id}: sold = min(demand, stock)`);
    }
    t.ok(rows.every((r) => r.reserved <= r.on_hand), 'reserved never exceeds on hand');
    const drift = await verifyStock(app.db);
    t.same(drift, [], formatDiscrepancies(drift));
  }

  t.test('in process (app.inject)', async (t) => rush(t, viaInject, 'inject'));

  t.test('real HTTP with keep-alive', async (t) => {
    const base = await apps[0]!.listen({ port: 0, host: '127.0.0.1' });
    await rush(t, viaHttp([base]), 'http');
  });

  t.test('two app instances on one database', async (t) => {
    const second = await apps[1]!.listen({ port: 0, host: '127.0.0.1' });
    const first = apps[0]!.server.listening ? `http://127.0.0.1:${(apps[0]!.server.address() as { port: number }).port}` : await apps[0]!.listen({ port: 0, host: '127.0.0.1' });
    await rush(t, viaHttp([first, second]), 'two-instances');
  });

  t.test('concurrent duplicates with one Idempotency-Key place one order', async (t) => {
    const [productId] = await hotProducts('idem');
    const first = `http://127.0.0.1:${(apps[0]!.server.address() as { port: number }).port}`;
    const second = `http://127.0.0.1:${(apps[1]!.server.address() as { port: number }).port}`;
    const body = { storeId, items: [{ productId, quantity: 1 }] };
    // One buyer's request sent twenty times at once, half to each instance.
    const all = await Promise.all(Array.from({ length: 20 }, (_, i) => postTo(i % 2 ? second : first, tokens[0]!, body, { 'idempotency-key': 'dup-key-0001' })));
    t.ok(all.every((a) => a.status === 201), `all 201 (${all.map((a) => a.status).join(',')})`);
    t.equal(new Set(all.map((a) => a.body.orderId)).size, 1, 'one order id in every answer');
    const [n] = await queryRows<{ n: number }>(app.db, sql`select count(*)::int as n from order_items where product_id = ${productId}`);
    t.equal(n!.n, 1, 'one order written');
    t.same(await verifyStock(app.db), []);
  });

  t.test('a shipment dissolved by a concurrent cancel answers 404, not a crash', async (t) => {
    // Regression: advanceShipment read the shipment's order, waited for the order lock while a
    // cancel dissolved the CREATED shipment, then dereferenced the missing row (a 500).
    const admin: CurrentUser = { id: 0, email: 'sys', fullName: 'sys', role: 'admin', customerId: null, storeIds: [] };
    const actor = { userId: null, email: 'test' };
    const [productId] = await hotProducts('race');
    const [customer] = await queryRows<{ id: number }>(app.db, sql`select customer_id as id from customers limit 1`);
    const order = await app.db.transaction((tx) => placeOrder(tx, { customerId: customer!.id, storeId, items: [{ productId: productId!, quantity: 1 }] }, admin, actor));
    await app.db.transaction((tx) => applyOrderAction(tx, { orderId: order.orderId, action: 'pay', user: admin, actor }));
    const shipment = await app.db.transaction((tx) => createShipment(tx, { orderId: order.orderId, deliveryAddress: '1 Race St' }, admin, actor));
    const other = apps[1]!.db;
    let holding!: () => void, go!: () => void;
    const held = new Promise<void>((r) => { holding = r; });
    const gate = new Promise<void>((r) => { go = r; });
    // The canceller takes the order lock first and waits for the dispatcher to queue behind it.
    const cancel = other.transaction(async (tx) => {
      await lockOrder(tx, order.orderId, admin);
      holding();
      await gate;
      await applyOrderAction(tx, { orderId: order.orderId, action: 'cancel', user: admin, actor });
    });
    await held;
    const dispatch = app.db.transaction((tx) => advanceShipment(tx, shipment.shipmentId, 'ship', admin, actor)).then(() => null, (e: unknown) => e);
    for (let i = 0; i < 100; i++) {
      const [w] = await queryRows<{ n: number }>(other, sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`);
      if (w!.n > 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    go();
    await cancel;
    const err = await dispatch as { statusCode?: number; message?: string } | null;
    t.equal(err?.statusCode, 404, `a clean 404 (${err?.message})`);
    const [o] = await queryRows<{ s: string }>(app.db, sql`select order_status as s from orders where order_id = ${order.orderId}`);
    t.equal(o!.s, 'CANCELLED');
    t.same(await verifyStock(app.db), []);
  });
}
