// Issue 7 item 2, concurrency across processes: 50 buyers make RELIABILITY_ORDERS order attempts
// (2,000 by default; 10,000 for the full run) through the HTTP API of TWO server processes on one
// PostgreSQL 15, every request sent to the next process in turn as a round-robin balancer would.
// A few hot products have limited stock; some accepted orders are cancelled by their buyer or
// paid by an admin while the rush goes on (so stock is released and re-sold under contention).
// Proves: no oversell (OPEN/PAID units ≤ stock, reserved = those units, on hand untouched), every
// refusal is a 409 naming what is available, no 5xx or other status, every 201 is in the database
// and nothing else is, and `stock:verify` (the CLI) is clean.
import t from 'tap';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.ts';
import { alarmingLogLines, call, createDatabase, envInt, havePostgres, integrityProblems, startApp, startPostgres, stockVerifyCli, Tally, type Answer } from './harness.ts';
import { makeAccounts, makeProducts, makeStores } from './fixtures.ts';
import { applyStockChanges } from '../../src/modules/inventory/stock.ts';
import { systemActor } from '../../src/lib/audit.ts';

const ATTEMPTS = envInt('RELIABILITY_ORDERS', 2000);
const WORKERS = envInt('RELIABILITY_WORKERS', 50);
const HOT = 4;
/** Demand is about 3 units an attempt over HOT products: stock for roughly a quarter of it. */
const STOCK = Math.max(20, Math.round((ATTEMPTS * 3) / HOT / 4));

if (!havePostgres()) {
  t.plan(0, 'skipped: PostgreSQL 15 binaries not found (set PGBIN)');
} else {
  const pgServer = await startPostgres(t);
  const { url, database } = await createDatabase(t, pgServer, 'oi_rel_concurrency');
  const [storeId] = await makeStores(database, 1) as [number];
  const hot = await makeProducts(database, 'hot', HOT, { [storeId]: STOCK });
  const buyers = await makeAccounts(database, 'customer', WORKERS);
  const [admin] = await makeAccounts(database, 'admin', 1);
  // Two processes, started together, as two machines behind a balancer would be.
  const servers = await Promise.all([startApp(t, url, { name: 'a' }), startApp(t, url, { name: 'b' })]);
  let turn = 0;
  const next = () => servers[turn++ % servers.length]!.base;

  const orders = new Tally();
  const actions = new Tally();
  const problems: string[] = [];
  const placed = new Map<number, Array<{ productId: number; quantity: number }>>();
  const released = new Set<number>();
  const demand = new Map(hot.map((id) => [id, 0]));
  let attempted = 0;
  let seed = 7;
  const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) >>> 0; return (seed >>> 8) % n; };

  const unexpected = (what: string, a: Answer) => {
    if (problems.length < 20) problems.push(`${what}: ${a.status || a.error} ${JSON.stringify(a.body)?.slice(0, 300)}`);
  };

  async function buyer(n: number) {
    const me = buyers[n]!;
    while (attempted < ATTEMPTS) {
      attempted++;
      const first = rnd(HOT);
      const picked = rnd(2) ? [hot[first]!, hot[(first + 1 + rnd(HOT - 1)) % HOT]!] : [hot[first]!];
      const items = picked.map((productId) => ({ productId, quantity: 1 + rnd(3) }));
      for (const i of items) demand.set(i.productId, demand.get(i.productId)! + i.quantity);
      const res = await call(next(), 'POST', '/api/v1/orders', { token: me.token, body: { storeId, items } });
      orders.add(res);
      if (res.status === 201) {
        placed.set(res.body.orderId, res.body.items.map((i: { productId: number; quantity: number }) => ({ productId: i.productId, quantity: i.quantity })));
        const fate = rnd(100);
        if (fate < 15) {
          const c = await call(next(), 'POST', `/api/v1/orders/${res.body.orderId}/actions/cancel`, { token: me.token, body: {} });
          actions.add(c);
          if (c.status === 200 && c.body.orderStatus === 'CANCELLED') released.add(res.body.orderId);
          else unexpected('cancel', c);
        } else if (fate < 30) {
          const p = await call(next(), 'POST', `/api/v1/orders/${res.body.orderId}/actions/pay`, { token: admin!.token, body: {} });
          actions.add(p);
          if (p.status !== 200 || p.body.orderStatus !== 'PAID') unexpected('pay', p);
        }
      } else if (res.status === 409) {
        const short = (res.body?.errors ?? []) as Array<{ productId: number; requested: number; available: number }>;
        const named = short.length > 0 && short.every((e) => Number.isInteger(e.available) && e.available < e.requested && items.some((i) => i.productId === e.productId));
        if (!named || !/available/.test(res.body.message)) unexpected('409 without what is available', res);
      } else {
        unexpected('order', res);
      }
    }
  }

  const started = performance.now();
  await Promise.all(Array.from({ length: WORKERS }, (_, n) => buyer(n)));
  const seconds = (performance.now() - started) / 1000;
  const sold = [...placed.values()].flat().reduce((a, l) => a + l.quantity, 0);
  t.comment(`${ATTEMPTS} order attempts by ${WORKERS} buyers over 2 processes in ${seconds.toFixed(1)} s (${Math.round(ATTEMPTS / seconds)}/s)`);
  t.comment(`orders: ${orders}; cancels and payments: ${actions}; units accepted ${sold} (${released.size} orders cancelled) of ${HOT * STOCK} in stock; demand ${[...demand.values()].reduce((a, b) => a + b, 0)}`);

  t.test('every answer is a 201 or a 409 naming what is available; no 5xx', async (t) => {
    t.same(problems, [], 'no unexpected answer');
    t.equal(orders.total(), ATTEMPTS, 'every attempt answered');
    t.equal(orders.get('201') + orders.get('409'), ATTEMPTS, 'only 201 and 409');
    t.ok(orders.get('201') > 0 && orders.get('409') > 0, 'the rush both sold and ran out (the limit was reached)');
  });

  t.test('no oversell: the database holds exactly the accepted orders, within the stock', async (t) => {
    const rows = await queryRows<{ order_id: number; status: string }>(database.db, sql`select order_id, order_status as status from orders`);
    t.equal(rows.length, placed.size, 'as many orders as 201 answers');
    t.ok(rows.every((r) => placed.has(Number(r.order_id))), 'every order in the database was answered 201');
    t.equal(rows.filter((r) => r.status === 'CANCELLED').length, released.size, 'the cancelled ones are CANCELLED');
    const stock = await queryRows<{ product_id: number; on_hand: number; reserved: number; open_units: number }>(database.db, sql`
      select v.product_id, v.on_hand, v.reserved,
        coalesce((select sum(i.quantity) from order_items i join orders o on o.order_id = i.order_id
          where o.store_id = v.store_id and i.product_id = v.product_id and o.order_status in ('OPEN', 'PAID')), 0)::int as open_units
      from inventory v where v.store_id = ${storeId}`);
    for (const row of stock) {
      const id = Number(row.product_id);
      const expected = [...placed].filter(([orderId]) => !released.has(orderId)).flatMap(([, lines]) => lines)
        .filter((l) => l.productId === id).reduce((a, l) => a + l.quantity, 0);
      t.ok(row.open_units <= STOCK, `product ${id}: ${row.open_units} units on OPEN/PAID orders ≤ ${STOCK} in stock`);
      t.equal(row.reserved, row.open_units, `product ${id}: reserved = units on OPEN/PAID orders`);
      t.equal(row.reserved, expected, `product ${id}: reserved = units of the 201s minus the cancelled`);
      t.equal(row.on_hand, STOCK, `product ${id}: on hand untouched (nothing shipped)`);
    }
    const [d] = await queryRows<{ n: number }>(database.db, sql`select deadlocks::int as n from pg_stat_database where datname = current_database()`);
    t.comment(`deadlocks reported by PostgreSQL: ${d?.n}`);
  });

  t.test('stock:verify and the integrity checks are clean', async (t) => {
    t.same(await integrityProblems(database), [], 'orders have lines and events; reservations belong to OPEN or PAID orders');
    const cli = await stockVerifyCli(url);
    t.equal(cli.code, 0, `npm run cli -- stock:verify exits 0 (${cli.output.split('\n').at(-1)})`);
  });

  t.test('a refusal names exactly the short lines, with what is available', async (t) => {
    // Lines are applied in (store, product) order: the first fits and is reserved before the
    // second is found short; the answer must not count the first line's own reservation again.
    const [fits, short] = await makeProducts(database, 'refusal', 2, {});
    const [other] = await makeStores(database, 1) as [number];
    await database.db.transaction((tx) => applyStockChanges(tx, [
      { storeId: other, productId: fits!, onHand: 3, kind: 'receipt' },
      { storeId: other, productId: short!, onHand: 1, kind: 'receipt' },
    ], systemActor));
    const res = await call(servers[0]!.base, 'POST', '/api/v1/orders', { token: buyers[0]!.token, body: { storeId: other, items: [{ productId: fits, quantity: 2 }, { productId: short, quantity: 2 }] } });
    t.equal(res.status, 409);
    t.same(res.body.errors?.map((e: { productId: number; requested: number; available: number }) => ({ productId: e.productId, requested: e.requested, available: e.available })),
      [{ productId: short, requested: 2, available: 1 }], 'only the short line, with its 1 available');
  });

  t.test('the servers logged no error', async (t) => {
    for (const s of servers) t.same(alarmingLogLines(s.log()), [], `server on port ${s.port}`);
  });
}
