// Many clients at once against the same few stock rows on a real PostgreSQL server: adjustments,
// counts, receipts and transfers in both directions between two stores (A→B and B→A at the same
// time), through the services on separate pooled connections and through the HTTP API. Every
// operation must succeed or be a clean 409; no deadlock, no 500; the ledger must still reconcile.
import t, { type Test } from 'tap';
import { sql } from 'drizzle-orm';
import { apiLogin, buildTestApp, makeUser } from './helper.ts';
import { createDb, queryRows, type Db } from '../src/db/client.ts';
import { seedData } from '../src/db/seed.ts';
import { products, stores } from '../src/db/schema/index.ts';
import { HttpError, pgErrorCode } from '../src/lib/errors.ts';
import type { Actor } from '../src/lib/audit.ts';
import { adjustStock, countStock, receiveStock, transferStock } from '../src/modules/inventory/service.ts';
import { verifyStock, formatDiscrepancies } from '../src/modules/inventory/verify.ts';

const CLIENTS = 20;
const OPS = 50;
const HTTP_CLIENTS = 5;
const HTTP_OPS = 30;

if (!process.env.TEST_DATABASE_URL) {
  t.plan(0, 'skipped: the concurrency test needs a real PostgreSQL server; set TEST_DATABASE_URL=postgres://… to run it');
} else {
  t.test('concurrent adjustments, counts, receipts and transfers both ways', run);
}

/** A small deterministic generator, so a failure can be replayed with the same seed. */
function random(seed: number) {
  let s = seed >>> 0;
  return (n: number) => { s = (s * 1664525 + 1013904223) >>> 0; return s % n; };
}

interface Tally { ok: number; conflict: number; busy: number; failures: string[]; unitsIn: number }

async function run(t: Test) {
  const { app, database } = await buildTestApp(t);
  await seedData(app.db, { stores: 2, products: 10, customers: 10, orders: 30 });
  const [A, B] = (await app.db.select({ id: stores.storeId }).from(stores).orderBy(stores.storeId)).map((s) => s.id) as [number, number];
  const hot = (await app.db.insert(products).values([1, 2, 3].map((n) => ({ sku: `HOT-${n}`, productName: `Hot ${n}`, unitPrice: '1.00' }))).returning())
    .map((p) => p.productId);
  // Seeded rows of both stores (some with reservations) join the hot products as targets.
  const seeded = (await queryRows<{ product_id: number }>(app.db, sql`select product_id from inventory where store_id = ${A}
    and product_id in (select product_id from inventory where store_id = ${B}) order by product_id limit 2`)).map((r) => Number(r.product_id));
  const targets = [...hot, ...seeded];
  const admin = await makeUser(app, 'admin');
  const actor: Actor = { userId: admin.id, email: admin.email };
  for (const storeId of [A, B]) for (const productId of hot) await receiveStock(app.db, { storeId, productId, quantity: 200 }, actor);
  const token = await apiLogin(app, admin.email, admin.password);

  // The clients' own pool: one connection each, as separate application servers would have.
  const url = (database.pool as unknown as { options: { connectionString: string } }).options.connectionString;
  const pool = await createDb({ databaseUrl: url, poolMax: CLIENTS + 2 });
  const deadlocks = async (db: Db) => Number((await queryRows<{ n: number }>(db, sql`select deadlocks as n from pg_stat_database where datname = current_database()`))[0]!.n);
  const unitsBefore = Number((await queryRows<{ n: number }>(app.db, sql`select sum(on_hand)::int as n from inventory`))[0]!.n);
  const deadlocksBefore = await deadlocks(pool.db);

  const tally: Tally = { ok: 0, conflict: 0, busy: 0, failures: [], unitsIn: 0 };
  const classify = (err: unknown, what: string) => {
    if (err instanceof HttpError && err.statusCode === 409) tally.conflict++;
    else if (pgErrorCode(err) === '55P03') tally.busy++; // lock_timeout: the API answers it as 409 too
    else tally.failures.push(`${what}: ${pgErrorCode(err) ?? ''} ${(err as Error).message}`);
  };

  async function serviceClient(n: number) {
    const rnd = random(n + 1);
    for (let k = 0; k < OPS; k++) {
      const productId = targets[rnd(targets.length)]!;
      const [from, to] = rnd(2) ? [A, B] : [B, A];
      const op = rnd(10);
      try {
        if (op < 4) {
          // Transfers of two products in either direction, listed in random order.
          const other = targets[(targets.indexOf(productId) + 1 + rnd(targets.length - 1)) % targets.length]!;
          await transferStock(pool.db, { fromStoreId: from, toStoreId: to, items: [{ productId, quantity: 1 + rnd(30) }, { productId: other, quantity: 1 + rnd(30) }] }, actor);
        } else if (op < 7) {
          const quantity = rnd(2) ? -(1 + rnd(15)) : 1 + rnd(10);
          const r = await adjustStock(pool.db, { storeId: from, productId, quantity, reason: 'correction' }, actor);
          tally.unitsIn += r.movement.quantity;
        } else if (op < 9) {
          const [row] = await queryRows<{ on_hand: number }>(pool.db, sql`select on_hand from inventory where store_id = ${from} and product_id = ${productId}`);
          const counted = Math.max(0, Number(row?.on_hand ?? 0) + rnd(11) - 7);
          const r = await countStock(pool.db, { storeId: from, productId, countedQuantity: counted }, actor);
          tally.unitsIn += r.movement.quantity;
        } else {
          const r = await receiveStock(pool.db, { storeId: from, productId, quantity: 1 + rnd(20) }, actor);
          tally.unitsIn += r.movement.quantity;
        }
        tally.ok++;
      } catch (err) {
        classify(err, `client ${n} op ${k}`);
      }
    }
  }

  async function httpClient(n: number) {
    const rnd = random(1000 + n);
    const headers = { authorization: `Bearer ${token}` };
    for (let k = 0; k < HTTP_OPS; k++) {
      const productId = targets[rnd(targets.length)]!;
      const [from, to] = rnd(2) ? [A, B] : [B, A];
      const op = rnd(3);
      const res = op === 0
        ? await app.inject({ method: 'POST', url: '/api/v1/inventory/transfers', headers, payload: { fromStoreId: from, toStoreId: to, items: [{ productId, quantity: 1 + rnd(25) }] } })
        : op === 1
          ? await app.inject({ method: 'POST', url: '/api/v1/inventory/adjustments', headers: { ...headers, 'idempotency-key': `http-${n}-${k}` }, payload: { storeId: from, productId, quantity: -(1 + rnd(12)), reason: 'lost' } })
          : await app.inject({ method: 'POST', url: '/api/v1/inventory/counts', headers, payload: { storeId: from, productId, countedQuantity: rnd(60) } });
      if (res.statusCode === 201) {
        tally.ok++;
        if (op !== 0) tally.unitsIn += res.json().movement.quantity;
      } else if (res.statusCode === 409) tally.conflict++;
      else tally.failures.push(`http ${n} op ${k}: ${res.statusCode} ${res.body}`);
    }
  }

  const started = performance.now();
  await Promise.all([
    ...Array.from({ length: CLIENTS }, (_, n) => serviceClient(n)),
    ...Array.from({ length: HTTP_CLIENTS }, (_, n) => httpClient(n)),
  ]);
  const ms = Math.round(performance.now() - started);
  const total = CLIENTS * OPS + HTTP_CLIENTS * HTTP_OPS;
  t.comment(`${total} operations in ${ms} ms: ${tally.ok} succeeded, ${tally.conflict} refused with 409, ${tally.busy} lock timeouts, ${tally.failures.length} failures`);

  t.same(tally.failures, [], 'every operation succeeded or was a clean 409');
  t.equal(tally.ok + tally.conflict + tally.busy, total, 'every operation accounted for');
  t.ok(tally.ok > total / 2, 'most operations went through');
  t.ok(tally.conflict > 0, 'some were refused for lack of stock (the test did push the limits)');
  t.equal(await deadlocks(pool.db) - deadlocksBefore, 0, 'no deadlocks on the server');
  const problems = await verifyStock(app.db);
  t.same(problems, [], problems.length ? formatDiscrepancies(problems) : 'stock:verify is clean');
  const [bad] = await queryRows<{ n: number }>(app.db, sql`select count(*)::int as n from inventory where on_hand < 0 or reserved < 0 or reserved > on_hand`);
  t.equal(Number(bad!.n), 0, 'no negative stock, nothing reserved beyond on hand');
  const unitsAfter = Number((await queryRows<{ n: number }>(app.db, sql`select sum(on_hand)::int as n from inventory`))[0]!.n);
  t.equal(unitsAfter, unitsBefore + tally.unitsIn, 'units after = before + what the successful movements say (transfers move, they do not add)');
  const [transfers] = await queryRows<{ broken: number }>(app.db, sql`select count(*)::int as broken from (
    select transfer_id from stock_movements where transfer_id is not null group by transfer_id having sum(quantity) <> 0
      or count(*) filter (where kind = 'transfer_out') <> count(*) filter (where kind = 'transfer_in')) x`);
  t.equal(Number(transfers!.broken), 0, 'every transfer has both sides and nets to zero');
  await pool.close();
}
