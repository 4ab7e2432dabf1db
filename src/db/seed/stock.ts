// Per chunk of stores: the newly stocked (store, product) pairs and the numbered product pool
// that the chunk's order lines are drawn from. Both are session temp tables dropped at commit.
import { sql } from 'drizzle-orm';
import { type Exec, ts } from './util.ts';
import { intArray } from './plan.ts';
import { HISTORY_DAYS } from './catalogue.ts';

export interface ChunkStores {
  /** Stores handled in this chunk (new and existing). */
  group: number[];
  /** Stores created by this run: they stock (a share of) every product. */
  newStores: number[];
  /** Products created by this run (inclusive id range; lo > hi when none): existing stores stock these. */
  productLo: number;
  productHi: number;
  /** Share of candidate pairs that get an inventory row (1 = every store stocks every product). */
  density: number;
}

/**
 * seed_inv: the new pairs of the chunk's stores with what their opening stock needs: a reorder
 * point, a spare buffer (one pair in ten ends at or below its reorder point, so the low-stock
 * views have something to show), and for 3 % an adjustment with a reason, for 1 % a cycle
 * count. The opening delivery (one per store, shortly before the order history starts) is dated
 * opening_at.
 */
export async function stockCandidates(tx: Exec, p: ChunkStores, now: Date): Promise<void> {
  const group = intArray(p.group);
  const fresh = intArray(p.newStores);
  await tx.execute(sql`
    create temp table seed_inv on commit drop as
    with pairs as (
      select s.store_id, pr.product_id
      from unnest(${group}::int[]) s(store_id) cross join products pr
      where s.store_id = any(${fresh}::int[]) and random() < ${p.density}::float8
      union all
      select s.store_id, pr.product_id
      from unnest(${group}::int[]) s(store_id)
      join products pr on pr.product_id between ${p.productLo}::int and ${p.productHi}::int
      where not (s.store_id = any(${fresh}::int[])) and random() < ${p.density}::float8
    ),
    r0 as (
      select store_id, product_id, 5 + floor(random() * 16)::int as reorder_point,
        random() as r_low, random() as r_buf, random() as r_adj, random() as r_q, random() as r_t, random() as r_why,
        date_trunc('day', ${ts(now)} - make_interval(days => ${HISTORY_DAYS - 25} + store_id % 20)) + interval '7 hours' as opening_at
      from pairs
    ),
    r as (
      -- spare stock beyond what the orders need: for one pair in ten at most the reorder point
      select r0.*, case when r_low < 0.1 then floor(r_buf * (reorder_point + 1))
                        else reorder_point + 5 + floor(power(r_buf, 1.5) * 60) end::int as buffer
      from r0
    )
    select store_id, product_id, buffer, reorder_point, r_why, opening_at, adj_kind, adj_qty,
      case when adj_kind is not null then opening_at + (${ts(now)} - opening_at) * r_t end as adj_at
    from (
      select r.*,
        case when r_adj < 0.03 then 'adjustment' when r_adj < 0.04 then 'count' end as adj_kind,
        case when r_adj < 0.03 then (array[-3, -2, -1, -1, 1, 2])[1 + floor(r_q * 6)::int]
             when r_adj < 0.04 then (array[-1, 0, 0, 1])[1 + floor(r_q * 4)::int] end as adj_qty
      from r
    ) a`);
}

/**
 * seed_pool numbers each store's stocked products (existing rows and seed_inv) 1..cnt, shuffled
 * per store but biased by a product hash so some products sell well everywhere; seed_cnt holds
 * cnt per store. An order then picks its lines by arithmetic on those numbers.
 * Answers the stores of the chunk that stock nothing at all.
 */
export async function buildChunkPool(tx: Exec, group: number[]): Promise<number[]> {
  await tx.execute(sql`
    create temp table seed_pool on commit drop as
    select store_id, row_number() over (partition by store_id order by (hashint4(product_id) & 1023) + random() * 600)::int as rn,
      product_id
    from (select store_id, product_id from inventory where store_id = any(${intArray(group)}::int[])
          union all select store_id, product_id from seed_inv) x`);
  await tx.execute(sql`
    create temp table seed_cnt on commit drop as
    select store_id, count(*)::int as cnt from seed_pool group by store_id`);
  const r = await tx.execute(sql`
    select s.store_id from unnest(${intArray(group)}::int[]) s(store_id)
    where not exists (select 1 from seed_cnt c where c.store_id = s.store_id)`);
  return (r as unknown as { rows: Array<{ store_id: number }> }).rows.map((x) => Number(x.store_id));
}
