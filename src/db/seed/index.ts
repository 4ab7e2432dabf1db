// Demo and load-test data, generated entirely by set-based SQL (INSERT … SELECT over
// generate_series), appended to whatever the database already holds.
//
// Phases, each in transactions of bounded size:
//   1. stores, products, customers (explicit ids from a block reserved on the identity sequence);
//   2. inventory rows for the newly stocked (store, product) pairs, with their opening stock;
//   3. orders in chunks; each chunk also writes its shipments, events, stock movements and the
//      inventory update, so the stock invariants (see modules/inventory/verify.ts) hold after
//      every commit;
//   4. ANALYZE.
// Not safe to run two seeds at once against one database (they share work tables); the
// application may keep running meanwhile.
import { sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { one, reserveIds, tuneTx } from './util.ts';
import { seedCustomers, seedProducts, seedStores } from './catalogue.ts';
import { buildPools, dropWorkTables, seedInventoryBatch } from './stock.ts';
import { type CustomerSource, seedOrderChunk } from './orders.ts';

export interface SeedOptions {
  /** New stores to add; default 5 on an empty database, otherwise 0. */
  stores?: number;
  products: number;
  customers: number;
  orders: number;
  /** The seed's "today": orders spread over the two years before it. Default: now. */
  now?: Date;
  log?: (msg: string) => void;
  /** Orders per transaction (default 100,000). */
  chunkSize?: number;
  /** Cap on stocked (store, product) pairs; beyond it each store stocks a random share (default 5M). */
  maxPairs?: number;
}

/** Rows added by one seed run. */
export interface SeedSummary {
  stores: number;
  products: number;
  customers: number;
  orders: number;
  orderItems: number;
  shipments: number;
  movements: number;
  inventoryRows: number;
  events: number;
  ms: number;
}

const BATCH = 100_000;

function count(name: string, v: number | undefined, dflt?: number): number {
  const n = v ?? dflt;
  if (n === undefined || !Number.isSafeInteger(n) || n < 0) throw new RangeError(`seed: ${name} must be a whole number >= 0`);
  return n;
}

/** Runs fn over [1..total] in slices of `size`: fn(lo, hi). */
async function slices(total: number, size: number, fn: (lo: number, hi: number) => Promise<void>): Promise<void> {
  for (let lo = 1; lo <= total; lo += size) await fn(lo, Math.min(total, lo + size - 1));
}

export async function seedData(db: Db, opts: SeedOptions): Promise<SeedSummary> {
  const started = performance.now();
  const now = opts.now ?? new Date();
  const log = opts.log ?? (() => {});
  const chunk = Math.max(1, count('chunkSize', opts.chunkSize, BATCH));
  const existing = await one<{ stores: number; products: number; customers: number }>(db, sql`
    select (select count(*)::int from stores) as stores, (select count(*)::int from products) as products,
           (select count(*)::int from customers) as customers`);
  const want = {
    stores: count('stores', opts.stores, existing.stores === 0 ? 5 : 0),
    products: count('products', opts.products),
    customers: count('customers', opts.customers),
    orders: count('orders', opts.orders),
  };
  if (want.orders > 0) {
    if (existing.stores + want.stores === 0) throw new Error('seed: orders need at least one store');
    if (existing.products + want.products === 0) throw new Error('seed: orders need at least one product');
    if (existing.customers + want.customers === 0) throw new Error('seed: orders need at least one customer');
  }
  const sum: SeedSummary = { stores: 0, products: 0, customers: 0, orders: 0, orderItems: 0, shipments: 0, movements: 0, inventoryRows: 0, events: 0, ms: 0 };
  const lap = (what: string) => log(`seed: ${what} (${((performance.now() - started) / 1000).toFixed(1)} s)`);

  await dropWorkTables(db); // leftovers of an interrupted run
  try {
    // 1. Master data.
    const newStores = await db.transaction(async (tx) => {
      await tuneTx(tx, false);
      return seedStores(tx, want.stores, now);
    });
    sum.stores = newStores.length;

    const pbase = await db.transaction((tx) => reserveIds(tx, 'products', want.products));
    await slices(want.products, BATCH, (lo, hi) => db.transaction(async (tx) => {
      await tuneTx(tx, true);
      sum.products += await seedProducts(tx, pbase, lo, hi, now);
    }));
    lap(`${sum.stores} stores, ${sum.products} products`);

    const cbase = await db.transaction((tx) => reserveIds(tx, 'customers', want.customers));
    await slices(want.customers, BATCH, (lo, hi) => db.transaction(async (tx) => {
      await tuneTx(tx, true);
      sum.customers += await seedCustomers(tx, cbase, lo, hi, want.customers, now);
    }));
    lap(`${sum.customers} customers`);

    // 2. Inventory for new pairs: new stores × all products, existing stores × new products.
    if (newStores.length > 0 || want.products > 0) {
      const totals = await one<{ stores: number; products: number }>(db, sql`
        select (select count(*)::int from stores) as stores, (select count(*)::int from products) as products`);
      const density = Math.min(1, (opts.maxPairs ?? 5_000_000) / Math.max(1, totals.stores * totals.products));
      const storeIds = (await db.execute(sql`select store_id from stores order by store_id`) as unknown as
        { rows: Array<{ store_id: number }> }).rows.map((r) => Number(r.store_id));
      // About a million candidate pairs per transaction.
      const perBatch = Math.max(1, Math.floor(1_000_000 / Math.max(1, totals.products)));
      for (let i = 0; i < storeIds.length; i += perBatch) {
        const r = await db.transaction(async (tx) => {
          await tuneTx(tx, true);
          return seedInventoryBatch(tx, {
            batch: storeIds.slice(i, i + perBatch), newStores, density,
            productLo: pbase + 1, productHi: pbase + want.products,
          }, now);
        });
        sum.inventoryRows += r.rows;
        sum.movements += r.movements;
      }
      lap(`${sum.inventoryRows} inventory rows (density ${density.toFixed(2)})`);
    }

    // 3. Orders.
    if (want.orders > 0) {
      const pools = await buildPools(db, want.customers === 0);
      if (pools.stores === 0) throw new Error('seed: no store stocks any product, so no orders can be placed');
      const customers: CustomerSource = want.customers > 0
        ? { kind: 'new', base: cbase, total: want.customers }
        : { kind: 'pool', count: pools.customers };
      await slices(want.orders, chunk, (lo, hi) => db.transaction(async (tx) => {
        await tuneTx(tx, hi - lo >= 20_000);
        const r = await seedOrderChunk(tx, hi - lo + 1, pools.stores, customers, now);
        sum.orders += r.orders;
        sum.orderItems += r.orderItems;
        sum.shipments += r.shipments;
        sum.events += r.events;
        sum.movements += r.movements;
        lap(`${sum.orders}/${want.orders} orders`);
      }));
    }
  } finally {
    await dropWorkTables(db);
  }

  // 4. Fresh statistics: the planner otherwise plans the app's first queries on empty-table guesses.
  await db.execute(sql`analyze stores, products, customers, inventory, stock_movements, orders, order_items, shipments, order_events`);
  sum.ms = Math.round(performance.now() - started);
  lap('done');
  return sum;
}

/** The data set `npm start` loads into an empty database: 5 stores, 300 products, 2,000 customers, 10,000 orders. */
export function seedDemo(db: Db, opts: { now?: Date; log?: (msg: string) => void } = {}): Promise<SeedSummary> {
  return seedData(db, { stores: 5, products: 300, customers: 2_000, orders: 10_000, ...opts });
}
