// Opening stock for newly stocked (store, product) pairs, and the lookup tables the order
// generator picks stores, products and customers from.
import { sql } from 'drizzle-orm';
import { type Exec, run, ts } from './util.ts';
import * as w from './words.ts';
import { HISTORY_DAYS } from './catalogue.ts';

const DAY = 86_400;
const intArray = (ids: number[]) => `{${ids.map((n) => Math.trunc(n)).join(',')}}`;

export interface NewPairs {
  /** Stores handled in this batch (new and existing). */
  batch: number[];
  /** Stores created by this seed: they stock (a share of) every product. */
  newStores: number[];
  /** Products created by this seed (id range, inclusive; lo > hi when none): existing stores stock these. */
  productLo: number;
  productHi: number;
  /** Share of candidate pairs that get an inventory row (1 = every store stocks every product). */
  density: number;
}

/**
 * Creates inventory rows for the new pairs of one batch of stores, each with its opening stock:
 * a `receipt` dated before the order history starts, and for a few pairs an `adjustment` (with a
 * reason) or a cycle `count`. on_hand = receipts + adjustments, exactly the ledger sum; reserved
 * starts at 0 and the order chunks add to both. ~12 % of pairs start with almost no spare stock,
 * so the low-stock views have something to show.
 */
export async function seedInventoryBatch(tx: Exec, p: NewPairs, now: Date): Promise<{ rows: number; movements: number }> {
  await tx.execute(sql`
    create temp table seed_inv on commit drop as
    with pairs as (
      select s.store_id, pr.product_id
      from unnest(${intArray(p.batch)}::int[]) s(store_id) cross join products pr
      where s.store_id = any(${intArray(p.newStores)}::int[]) and random() < ${p.density}::float8
      union all
      select s.store_id, pr.product_id
      from unnest(${intArray(p.batch)}::int[]) s(store_id)
      join products pr on pr.product_id between ${p.productLo}::int and ${p.productHi}::int
      where not (s.store_id = any(${intArray(p.newStores)}::int[])) and random() < ${p.density}::float8
    ),
    r as (
      select store_id, product_id,
        case when random() < 0.12 then floor(random() * 5) else 8 + floor(power(random(), 1.5) * 70) end::int as buffer,
        5 + floor(random() * 16)::int as reorder_point,
        random() as r_adj, random() as r_q, random() as r_t, random() as r_why,
        ${ts(now)} - make_interval(secs => (${HISTORY_DAYS - 25} + random() * 20) * ${DAY}) as receipt_at
      from pairs
    ),
    a as (
      -- 3 % of pairs get a manual adjustment, 1 % a cycle count (difference -1, 0 or +1).
      select r.*,
        case when r_adj < 0.03 then 'adjustment' when r_adj < 0.04 then 'count' end as adj_kind,
        case when r_adj < 0.03 then (array[-3, -2, -1, -1, 1, 2])[1 + floor(r_q * 6)::int]
             when r_adj < 0.04 then (array[-1, 0, 0, 1])[1 + floor(r_q * 4)::int] end as adj_qty
      from r
    )
    select a.*,
      -- the receipt also covers a negative adjustment, so stock never dips below zero on the way
      buffer + greatest(0, -coalesce(adj_qty, 0)) as receipt_qty,
      case when adj_kind is not null then receipt_at + (${ts(now)} - receipt_at) * r_t end as adj_at
    from a`);

  const rows = await run(tx, sql`
    insert into inventory (store_id, product_id, on_hand, reserved, reorder_point, last_movement_at, updated_at)
    select store_id, product_id, receipt_qty + coalesce(adj_qty, 0), 0, reorder_point,
      case when adj_at is not null then adj_at when receipt_qty > 0 then receipt_at end, ${ts(now)}
    from seed_inv order by store_id, product_id`);

  const receipts = await run(tx, sql`
    insert into stock_movements (store_id, product_id, quantity, kind, reason, reference, created_at)
    select store_id, product_id, receipt_qty, 'receipt', 'Opening stock',
      'PO-' || to_char(receipt_at at time zone 'UTC', 'YYYYMMDD') || '-' || lpad(store_id::text, 3, '0'), receipt_at
    from seed_inv where receipt_qty > 0 order by receipt_at`);

  const adjustments = await run(tx, sql`
    insert into stock_movements (store_id, product_id, quantity, kind, reason, created_at)
    select store_id, product_id, adj_qty, adj_kind,
      case when adj_kind = 'count' then 'Cycle count'
           when adj_qty < 0 then (string_to_array(${w.list(w.adjustmentReasonsDown)}, '|'))[1 + floor(r_why * ${w.adjustmentReasonsDown.length})::int]
           else (string_to_array(${w.list(w.adjustmentReasonsUp)}, '|'))[1 + floor(r_why * ${w.adjustmentReasonsUp.length})::int] end,
      adj_at
    from seed_inv where adj_kind is not null order by adj_at`);
  return { rows, movements: receipts + adjustments };
}

// Work tables shared by the order chunks. They are ordinary UNLOGGED tables rather than TEMP ones
// because a pg Pool may run each chunk's transaction on a different connection.
export const workTables = ['seed_tmp_pool', 'seed_tmp_store', 'seed_tmp_cust'] as const;

export async function dropWorkTables(db: Exec): Promise<void> {
  for (const t of workTables) await db.execute(sql`drop table if exists ${sql.identifier(t)}`);
}

/**
 * seed_tmp_pool numbers each store's stocked products 1..cnt (a per-store shuffle, biased by a
 * product hash so a few products sell well everywhere); seed_tmp_store numbers the stores that stock
 * anything. An order then picks its store and lines by arithmetic on those numbers.
 * With `customerPool`, seed_tmp_cust numbers the existing customers the same way.
 */
export async function buildPools(db: Exec, customerPool: boolean): Promise<{ stores: number; customers: number }> {
  await db.execute(sql`
    create unlogged table seed_tmp_pool as
    select store_id,
      row_number() over (partition by store_id order by (hashint4(product_id) & 1023) + random() * 600)::int as rn,
      product_id
    from inventory`);
  await db.execute(sql`alter table seed_tmp_pool add primary key (store_id, rn)`);
  await db.execute(sql`
    create unlogged table seed_tmp_store as
    select row_number() over (order by random())::int as rn, store_id, cnt
    from (select store_id, count(*)::int as cnt from seed_tmp_pool group by store_id) s`);
  await db.execute(sql`alter table seed_tmp_store add primary key (rn)`);
  let customers = 0;
  if (customerPool) {
    await db.execute(sql`
      create unlogged table seed_tmp_cust as
      select row_number() over (order by customer_id)::int as rn, customer_id from customers`);
    await db.execute(sql`alter table seed_tmp_cust add primary key (rn)`);
    customers = (await db.execute(sql`select count(*)::int as n from seed_tmp_cust`) as unknown as { rows: Array<{ n: number }> }).rows[0]?.n ?? 0;
  }
  await db.execute(sql`analyze seed_tmp_pool, seed_tmp_store`);
  const stores = (await db.execute(sql`select count(*)::int as n from seed_tmp_store`) as unknown as { rows: Array<{ n: number }> }).rows[0]?.n ?? 0;
  return { stores, customers };
}
