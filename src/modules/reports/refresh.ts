// Keeps the report rollups (db/schema/reports.ts) current without triggers in the order code.
//
// Every dashboard or report request calls ensureRollups(): one indexed probe answers "has any
// order, shipment, stock row or product changed since the watermark?". Only then does a refresh
// run, under a transaction-level advisory lock so concurrent callers never apply a change twice:
//   1. the fine buckets touched by a change — (day, store) of orders and shipments, (store, block of
//      product ids) of stock — are recomputed from the raw tables;
//   2. the coarse rows (day/month/year per store and for all stores) move by the difference
//      between the new and the old fine rows, in the same statement.
// Recomputing a bucket is idempotent, so reading a change twice is harmless; that is what lets the
// watermark trail behind transactions still in flight (see nextWatermark) instead of missing them.
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { queryRows } from '../../db/client.ts';
import { rollupState } from '../../db/schema/index.ts';

import {
  ORDER_FAMILIES, SHIPMENTS, STOCK_BUCKET, applyFamily, buildFamily, stockRows, lowStockRows, productRows,
} from './rollups.ts';

const ROLLUP_LOCK = 727_010;

export interface RefreshResult {
  kind: 'current' | 'served' | 'incremental' | 'rebuilt';
  /** Changes with every refresh (its start time) and, from ensureRollups, with the stores table:
   * the figures read from the rollups are a function of it, which lets lib/memo.ts
   * remember them. */
  version: string;
  orderBuckets: number;
  shipmentBuckets: number;
  stockBuckets: number;
  productBuckets: number;
}

interface State {
  timeZone: string;
  watermark: string;
  maxOrderId: number;
  maxShipmentId: number;
  maxProductId: number;
  served: boolean;
  version: string;
}

const NOTHING: Omit<RefreshResult, 'kind' | 'version'> = { orderBuckets: 0, shipmentBuckets: 0, stockBuckets: 0, productBuckets: 0 };

/** The state and "has anything changed?" in one statement: each max() over an indexed column is
 * one index probe. Prepared (named) once per connection, since planning it would cost more than
 * running it. Product deletions leave no row to see, only their audit event: any audit event
 * since the watermark counts as a change. */
function prepareCheck(db: Db) {
  const s = rollupState;
  return db.select({
    timeZone: s.timeZone,
    watermark: sql<string>`${s.watermark}::text`,
    maxOrderId: s.maxOrderId,
    maxShipmentId: s.maxShipmentId,
    maxProductId: s.maxProductId,
    now: sql<string>`clock_timestamp()::text`,
    version: sql<string>`${s.refreshedAt}::text`,
    // Store names and the list of stores are read with the figures but are not rolled up.
    stores: sql<string>`(select count(*) || '/' || coalesce(max(updated_at)::text, '') from stores)`,
    dirty: sql<boolean>`coalesce((select max(updated_at) from orders) >= ${s.watermark}, false)
      or coalesce((select max(order_id) from orders) > ${s.maxOrderId}, false)
      or coalesce((select max(greatest(created_at, shipped_at, in_transit_at, delivered_at)) from shipments) >= ${s.watermark}, false)
      or coalesce((select max(shipment_id) from shipments) > ${s.maxShipmentId}, false)
      or coalesce((select max(updated_at) from inventory) >= ${s.watermark}, false)
      or coalesce((select max(updated_at) from products) >= ${s.watermark}, false)
      or coalesce((select max(product_id) from products) > ${s.maxProductId}, false)`,
    audited: sql<boolean>`coalesce((select max(created_at) from audit_events) >= ${s.watermark}, false)`,
  }).from(s).prepare('rollups_check');
}
const checks = new WeakMap<Db, ReturnType<typeof prepareCheck>>();

/** Brings the rollups up to date for this request: one prepared statement when nothing changed. */
export async function ensureRollups(db: Db, timeZone: string): Promise<RefreshResult> {
  let check = checks.get(db);
  if (!check) checks.set(db, check = prepareCheck(db));
  const [s] = await check.execute();
  // Audit activity (a product deleted, or a mere sign-in) also refreshes: incremental() looks for
  // the deletions, and the watermark moves past the events, so the next request is clean again.
  const dirty = !s || s.timeZone !== timeZone || s.dirty || s.audited;
  if (!dirty) return { kind: 'current', version: `${s!.version}|${s!.stores}`, ...NOTHING };
  const refreshed = await refreshRollups(db, timeZone, { requestedAt: s?.now });
  return { ...refreshed, version: `${refreshed.version}|${s?.stores ?? ''}` };
}

/**
 * Refreshes the rollups: incrementally, or from scratch when they were never built, were cut in
 * another time zone, or `full` is asked. `requestedAt`: a refresh that started after this moment
 * already covers the caller, who then only waits for it (the lock) instead of repeating it.
 */
export async function refreshRollups(db: Db, timeZone: string, opts: { requestedAt?: string; full?: boolean } = {}): Promise<RefreshResult> {
  return db.transaction(async (tx) => {
    // A running refresh can take minutes on a first build: wait for it rather than fail.
    await tx.execute(sql`set local lock_timeout = 0`);
    await tx.execute(sql`select pg_advisory_xact_lock(${ROLLUP_LOCK})`);
    const requested = opts.requestedAt ? sql`${opts.requestedAt}::timestamptz` : sql`null::timestamptz`;
    const [state] = await queryRows<State>(tx, sql`
      select time_zone as "timeZone", watermark::text as watermark, max_order_id as "maxOrderId",
        max_shipment_id as "maxShipmentId", max_product_id as "maxProductId",
        coalesce(refreshed_at >= ${requested}, false) as served, refreshed_at::text as version
      from rollup_state`);
    if (opts.full || !state || state.timeZone !== timeZone) return rebuild(tx as unknown as Db, timeZone);
    if (state.served) return { kind: 'served', version: state.version, ...NOTHING };
    return incremental(tx as unknown as Db, timeZone, state);
  });
}

/**
 * The next watermark and id marks, read before the changes are. A transaction still in flight
 * commits rows stamped with its own start time (now()), so the watermark stays below the oldest
 * transaction running in this database; the margin covers one that has taken its start time but
 * not yet shown up in pg_stat_activity. Rows read again next time recompute to the same values.
 * A long transaction (a bulk import) holds the watermark back while it runs: requests then each
 * re-read the changes since, which costs a little time, never a wrong figure.
 */
async function nextMarks(db: Db) {
  const [m] = await queryRows<{ watermark: string; startedAt: string; maxOrderId: number; maxShipmentId: number; maxProductId: number }>(db, sql`
    select (least(statement_timestamp(), (select min(xact_start) from pg_stat_activity
              where datname = current_database() and backend_type = 'client backend'
                and pid <> pg_backend_pid() and xact_start is not null)) - interval '1 second')::text as watermark,
      statement_timestamp()::text as "startedAt",
      (select coalesce(max(order_id), 0) from orders)::bigint as "maxOrderId",
      (select coalesce(max(shipment_id), 0) from shipments)::int as "maxShipmentId",
      (select coalesce(max(product_id), 0) from products)::int as "maxProductId"`);
  return m!;
}

async function saveState(db: Db, timeZone: string, m: Awaited<ReturnType<typeof nextMarks>>, rebuilt: boolean) {
  await db.execute(sql`
    insert into rollup_state (id, time_zone, watermark, max_order_id, max_shipment_id, max_product_id, refreshed_at, built_at)
    values (1, ${timeZone}, ${m.watermark}::timestamptz, ${m.maxOrderId}, ${m.maxShipmentId}, ${m.maxProductId}, ${m.startedAt}::timestamptz, now())
    on conflict (id) do update set time_zone = excluded.time_zone, watermark = excluded.watermark,
      max_order_id = excluded.max_order_id, max_shipment_id = excluded.max_shipment_id, max_product_id = excluded.max_product_id,
      refreshed_at = excluded.refreshed_at${rebuilt ? sql`, built_at = excluded.built_at` : sql``}`);
}

async function rebuild(db: Db, tz: string): Promise<RefreshResult> {
  const marks = await nextMarks(db);
  // A bulk job over every order: room for its sorts and aggregates in memory.
  await db.execute(sql`set local work_mem = '256MB'`);
  await db.execute(sql`truncate rollup_sales, rollup_product_sales, rollup_customers, rollup_customer_counts,
    rollup_shipments, rollup_stock, rollup_low_stock, rollup_products`);
  for (const f of ORDER_FAMILIES) await buildFamily(db, f, tz);
  await db.execute(sql`insert into rollup_customer_counts (grain, period, store_id, customers)
    select grain, period, store_id, count(*)::int from rollup_customers where grain <> 'D' and orders > 0 group by 1, 2, 3`);
  await buildFamily(db, SHIPMENTS, tz);
  await db.execute(sql`insert into rollup_stock (store_id, bucket, items, units, value, low_stock) ${stockRows(false)}`);
  await db.execute(sql`insert into rollup_low_stock (store_id, product_id, bucket, on_hand, reserved, reorder_point, shortfall) ${lowStockRows(false)}`);
  await db.execute(sql`insert into rollup_products (bucket, active_products) ${productRows(false)}`);
  await saveState(db, tz, marks, true);
  return { kind: 'rebuilt', version: marks.startedAt, ...NOTHING };
}

const dateArray = (days: string[]) => sql`${`{${days.join(',')}}`}::date[]`;
const intList = (ns: number[]) => sql`${`{${ns.map((n) => Math.trunc(Number(n))).join(',')}}`}::int[]`;

async function incremental(db: Db, tz: string, s: State): Promise<RefreshResult> {
  const marks = await nextMarks(db);
  const wm = sql`${s.watermark}::timestamptz`;
  const orderBuckets = await queryRows<{ day: string; storeId: number }>(db, sql`
    select distinct (order_tms at time zone ${tz})::date::text as day, store_id as "storeId"
    from orders where updated_at >= ${wm} or order_id > ${s.maxOrderId}`);
  const shipmentBuckets = await queryRows<{ day: string; storeId: number }>(db, sql`
    select distinct (created_at at time zone ${tz})::date::text as day, store_id as "storeId"
    from shipments where greatest(created_at, shipped_at, in_transit_at, delivered_at) >= ${wm} or shipment_id > ${s.maxShipmentId}`);
  const [deleted] = await queryRows<{ any: boolean }>(db, sql`
    select exists (select 1 from audit_events where created_at >= ${wm} and action = 'delete' and entity like 'product%') as any`);
  const productBuckets = await queryRows<{ bucket: number }>(db, deleted!.any
    ? sql`select distinct product_id / ${STOCK_BUCKET} as bucket from products union select bucket from rollup_products`
    : sql`select distinct product_id / ${STOCK_BUCKET} as bucket from products where updated_at >= ${wm} or product_id > ${s.maxProductId}`);
  const stockBuckets = await queryRows<{ storeId: number; bucket: number }>(db, sql`
    select distinct store_id as "storeId", product_id / ${STOCK_BUCKET} as bucket from inventory where updated_at >= ${wm}
    union
    select s.store_id, b.bucket from stores s cross join unnest(${intList(productBuckets.map((b) => b.bucket))}) b(bucket)`);

  if (orderBuckets.length) {
    const chg = sql`select * from unnest(${dateArray(orderBuckets.map((b) => b.day))}, ${intList(orderBuckets.map((b) => b.storeId))}) as c(day, store_id)`;
    for (const f of ORDER_FAMILIES) await applyFamily(db, f, tz, chg);
  }
  if (shipmentBuckets.length) {
    const chg = sql`select * from unnest(${dateArray(shipmentBuckets.map((b) => b.day))}, ${intList(shipmentBuckets.map((b) => b.storeId))}) as c(day, store_id)`;
    await applyFamily(db, SHIPMENTS, tz, chg);
  }
  if (stockBuckets.length) {
    const chg = sql`select * from unnest(${intList(stockBuckets.map((b) => b.storeId))}, ${intList(stockBuckets.map((b) => b.bucket))}) as c(store_id, bucket)`;
    await db.execute(sql`with chg as (${chg}) delete from rollup_stock r using chg c where r.store_id = c.store_id and r.bucket = c.bucket`);
    await db.execute(sql`insert into rollup_stock (store_id, bucket, items, units, value, low_stock) with chg as (${chg}) ${stockRows(true)}`);
    await db.execute(sql`with chg as (${chg}) delete from rollup_low_stock r using chg c where r.store_id = c.store_id and r.bucket = c.bucket`);
    await db.execute(sql`insert into rollup_low_stock (store_id, product_id, bucket, on_hand, reserved, reorder_point, shortfall)
      with chg as (${chg}) ${lowStockRows(true)}`);
  }
  if (productBuckets.length) {
    const chg = sql`select * from unnest(${intList(productBuckets.map((b) => b.bucket))}) as c(bucket)`;
    await db.execute(sql`with chg as (${chg}) delete from rollup_products r using chg c where r.bucket = c.bucket`);
    await db.execute(sql`insert into rollup_products (bucket, active_products) with chg as (${chg}) ${productRows(true)}`);
  }
  await saveState(db, tz, marks, false);
  return {
    kind: 'incremental', version: marks.startedAt, orderBuckets: orderBuckets.length, shipmentBuckets: shipmentBuckets.length,
    stockBuckets: stockBuckets.length, productBuckets: productBuckets.length,
  };
}
