// Demo and load-test data, generated entirely by set-based SQL (INSERT … SELECT over
// generate_series), appended to whatever the database already holds.
//
//   1. stores, products, customers, in transactions of up to 100k rows (explicit ids from a block
//      reserved on each identity sequence, so later phases can compute references);
//   2. the order plan: every order decided up front in an unlogged work table (plan.ts), ids in
//      order of order time;
//   3. chunks of whole stores (~100k orders, ~1M new stock pairs each), one transaction per
//      chunk: new inventory rows with their final stock, orders, shipments, lines, events and
//      every stock movement (stock.ts, orders.ts, ledger.ts). The stock invariants checked by
//      modules/inventory/verify.ts hold after every commit, so an interrupted seed leaves a
//      smaller data set, not a broken one;
//   4. ANALYZE.
// Two seeds must not run at once against one database (they share the work tables); the
// application itself may keep running.
import { sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { type Exec, one, reserveIds, tuneTx } from './util.ts';
import { seedCustomers, seedProducts, seedStores } from './catalogue.ts';
import { type CustomerSource, dropWorkTables, groupStores, planOrders, plannedPerStore } from './plan.ts';
import { buildChunkPool, type ChunkStores, stockCandidates } from './stock.ts';
import { writeOrders } from './orders.ts';
import { writeStock } from './ledger.ts';
import { countSeededOrders, enableFastLoad, lockReferences } from './fastload.ts';

export interface SeedOptions {
  /** New stores to add; default 5 on an empty database, otherwise 0. */
  stores?: number;
  products: number;
  customers: number;
  orders: number;
  /** The seed's "today": orders spread over the two years before it. Default: now. */
  now?: Date;
  log?: (msg: string) => void;
  /** Orders per transaction, roughly: chunks are whole stores (default 100,000). */
  chunkSize?: number;
  /** Skip per-row FK triggers where allowed and check references set-based (fastload.ts). Default true. */
  fastLoad?: boolean;
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

    // 2. Who stocks what: new stores stock all products, existing stores the new products, each
    //    pair with probability `density` (below 1 only when that would exceed maxPairs).
    const stores = (await db.execute(sql`
      select store_id, exists (select 1 from inventory i where i.store_id = s.store_id) as stocked
      from stores s order by store_id`) as unknown as { rows: Array<{ store_id: number; stocked: boolean }> }).rows;
    const totalProducts = existing.products + sum.products;
    const density = Math.min(1, (opts.maxPairs ?? 5_000_000) / Math.max(1, stores.length * totalProducts));
    const isNew = new Set(newStores);
    const newPairs = (id: number) => Math.round(density * (isNew.has(id) ? totalProducts : sum.products));
    // Stores that can take orders: those that have or will get stock.
    const sellers = stores.filter((s) => s.stocked || newPairs(Number(s.store_id)) > 0).map((s) => Number(s.store_id));
    if (want.orders > 0 && sellers.length === 0) throw new Error('seed: no store stocks any product, so no orders can be placed');

    // 3. The order plan, then the chunks.
    //    (An empty plan when there are no orders: the chunks still stock the new pairs.)
    const obase = await db.transaction((tx) => reserveIds(tx, 'orders', want.orders));
    const customers: CustomerSource = want.customers > 0 ? { kind: 'new', base: cbase, total: want.customers } : { kind: 'pool' };
    await planOrders(db, { n: want.orders, obase, storeIds: sellers, customers, now });
    const planned = await plannedPerStore(db);
    lap(`planned ${want.orders} orders`);
    const groups = groupStores(
      stores.map((s) => ({ id: Number(s.store_id), orders: planned.get(Number(s.store_id)) ?? 0, pairs: newPairs(Number(s.store_id)) }))
        .filter((s) => s.orders > 0 || s.pairs > 0),
      chunk, 1_000_000);
    const stock = { newStores, productLo: pbase + 1, productHi: pbase + want.products, density };
    for (const group of groups) {
      const orders = group.reduce((n, id) => n + (planned.get(id) ?? 0), 0);
      const pairs = group.reduce((n, id) => n + newPairs(id), 0);
      await db.transaction((tx) => seedChunk(tx, { ...stock, group }, orders, orders >= 20_000 || pairs >= 200_000, opts.fastLoad !== false, now, sum));
      lap(`stores ${group[0]}–${group.at(-1)}: ${sum.orders}/${want.orders} orders, ${sum.inventoryRows} new stock rows`);
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

/** One chunk of whole stores, in one transaction: stock for the new pairs, the stores' planned
 * orders and everything that follows from them. Adds what it wrote to `sum`. */
async function seedChunk(tx: Exec, stock: ChunkStores, orders: number, big: boolean, fastLoad: boolean, now: Date, sum: SeedSummary): Promise<void> {
  await tuneTx(tx, big);
  const fast = fastLoad && await enableFastLoad(tx);
  await stockCandidates(tx, stock, now);
  const empty = (await buildChunkPool(tx, stock.group)).length;
  const o = await writeOrders(tx, stock.group, big);
  // A store that stocks nothing cannot take its planned orders (only possible with a tiny density).
  if (o.orders !== orders) throw new Error(`seed: chunk wrote ${o.orders} orders instead of ${orders} (${empty} stores without stock)`);
  const st = await writeStock(tx, now, big);
  if (fast) {
    await lockReferences(tx);
    await countSeededOrders(tx);
  }
  sum.orders += o.orders;
  sum.orderItems += o.orderItems;
  sum.shipments += o.shipments;
  sum.events += o.events;
  sum.inventoryRows += st.inventoryRows;
  sum.movements += st.movements;
}

/** The data set `npm start` loads into an empty database: 5 stores, 300 products, 2,000 customers, 10,000 orders. */
export function seedDemo(db: Db, opts: { now?: Date; log?: (msg: string) => void } = {}): Promise<SeedSummary> {
  return seedData(db, { stores: 5, products: 300, customers: 2_000, orders: 10_000, ...opts });
}
