// The order plan: every order of the run decided up front, in one unlogged work table, before any
// row is written. Planning globally lets order ids follow order time across the whole run (the
// newest order has the highest id, as in a live system) while the writing happens in chunks of
// stores, so each (store, product) pair is created once, with its final stock, in one chunk.
import { sql, type SQL } from 'drizzle-orm';
import { type Exec, one, ts } from './util.ts';
import * as w from './words.ts';
import { HISTORY_DAYS } from './catalogue.ts';

const DAY = 86_400;
export const intArray = (ids: number[]) => `{${ids.map((n) => Math.trunc(n)).join(',')}}`;

/** Where an order's customer comes from: this run's new customers (ids base+1 … base+total,
 * created_at rising with the index) or the existing ones, numbered in seed_tmp_cust. */
export type CustomerSource = { kind: 'new'; base: number; total: number } | { kind: 'pool' };

// Work tables of one run. Ordinary UNLOGGED tables rather than TEMP ones, because a pg Pool
// may run each chunk's transaction on a different connection.
const workTables = ['seed_tmp_plan', 'seed_tmp_store', 'seed_tmp_cust'] as const;

export async function dropWorkTables(db: Exec): Promise<void> {
  for (const t of workTables) await db.execute(sql`drop table if exists ${sql.identifier(t)}`);
}

/**
 * Plans n orders with ids obase+1 … obase+n in order of order time, at the given stores
 * (weighted: a few stores take most orders), each with status, lifecycle timestamps, customer,
 * delivery address and the random draws its lines will use (see orders.ts).
 */
export async function planOrders(db: Exec, p: { n: number; obase: number; storeIds: number[]; customers: CustomerSource; now: Date }): Promise<void> {
  const { n, now } = p;
  await db.execute(sql`
    create unlogged table seed_tmp_store as
    select row_number() over (order by random())::int as rn, store_id
    from unnest(${intArray(p.storeIds)}::int[]) s(store_id)`);
  let customer: SQL;
  if (p.customers.kind === 'new') {
    // Only customers who had registered by the order time: customer i of the new batch was
    // created at now − HISTORY_DAYS·(1 − i/total) (see seedCustomers), so at time T the first K(T) exist.
    const { base, total } = p.customers;
    customer = sql`${base}::int + 1 + floor(r_cust * least(${total}::int, greatest(1,
      floor(${total}::float8 * (1 - extract(epoch from ${ts(now)} - tms) / ${HISTORY_DAYS * DAY}::float8)))))::int`;
  } else {
    await db.execute(sql`
      create unlogged table seed_tmp_cust as
      select row_number() over (order by customer_id)::int as rn, customer_id from customers`);
    await db.execute(sql`alter table seed_tmp_cust add primary key (rn)`);
    const cn = (await one<{ n: number }>(db, sql`select count(*)::int as n from seed_tmp_cust`)).n;
    customer = sql`(select c.customer_id from seed_tmp_cust c where c.rn = 1 + floor(r_cust * ${cn}::int)::int)`;
  }
  const storeCount = p.storeIds.length;

  // MATERIALIZED: an inlined CTE would copy each derived expression into every place it is used
  // and evaluate it there again (several times slower, most of all on PGlite).
  await db.execute(sql`
    create unlogged table seed_tmp_plan as
    with g as (
      -- Order age skews recent (a growing business); d_* are nominal durations (seconds) of each
      -- lifecycle step, squeezed below when the order is too young for all of them.
      select ${730 * DAY}::float8 * power(random(), 1.6) as age_s,
        random() as r_status, random() as r_store, random() as r_cust, random() as r_ship, random() as r_sub,
        random() as r_lines, random() as r_start, random() as r_stride, random() as r_split,
        600 + 172800 * power(random(), 3) as d_pay, 3600 + 82800 * random() as d_create,
        7200 + 165600 * power(random(), 2) as d_ship, 3600 + 82800 * random() as d_transit,
        43200 + 388800 * power(random(), 1.5) as d_deliver, 86400 + 1641600 * random() as d_refund,
        600 + 258600 * power(random(), 2) as d_cancel
      from generate_series(1, ${n}::int)
    ),
    s as materialized (
      -- Status by age: fresh orders are open, paid or on their way; old ones complete, with a few
      -- per cent cancelled or refunded and the odd abandoned one.
      select g.*, ${ts(now)} - make_interval(secs => age_s) as tms,
        case
          when age_s < ${2 * DAY} then case when r_status < .40 then 'OPEN' when r_status < .70 then 'PAID'
            when r_status < .92 then 'SHIPPED' else 'CANCELLED' end
          when age_s < ${10 * DAY} then case when r_status < .04 then 'OPEN' when r_status < .12 then 'PAID'
            when r_status < .47 then 'SHIPPED' when r_status < .92 then 'COMPLETE' when r_status < .97 then 'CANCELLED' else 'REFUNDED' end
          else case when r_status < .002 then 'OPEN' when r_status < .005 then 'PAID' when r_status < .05 then 'CANCELLED'
            when r_status < .09 then 'REFUNDED' else 'COMPLETE' end
        end as status
      from g
    ),
    f as materialized (
      select s.*,
        -- a third of PAID orders already have a shipment being packed (CREATED)
        (status in ('SHIPPED', 'COMPLETE', 'REFUNDED') or (status = 'PAID' and r_ship < 0.35)) as has_ship,
        case status when 'PAID' then 'CREATED' when 'SHIPPED' then case when r_sub < 0.5 then 'SHIPPED' else 'IN-TRANSIT' end
          when 'COMPLETE' then 'DELIVERED' when 'REFUNDED' then 'DELIVERED' end as ship_status,
        status in ('PAID', 'SHIPPED', 'COMPLETE', 'REFUNDED') or (status = 'CANCELLED' and r_sub >= 0.6) as p_pay,
        status in ('SHIPPED', 'COMPLETE', 'REFUNDED') as p_ship,
        (status = 'SHIPPED' and r_sub >= 0.5) or status in ('COMPLETE', 'REFUNDED') as p_transit,
        status in ('COMPLETE', 'REFUNDED') as p_deliver
      from s
    ),
    k as materialized (
      select f.*, least(1, 0.9 * age_s / greatest(1,
        p_pay::int * d_pay + has_ship::int * d_create + p_ship::int * d_ship + p_transit::int * d_transit
        + p_deliver::int * d_deliver + (status = 'REFUNDED')::int * d_refund + (status = 'CANCELLED')::int * d_cancel)) as sq
      from f
    ),
    c as materialized (
      select k.*, st.store_id, ${customer} as customer_id,
        -- cumulative offsets (seconds after tms) of each step
        d_pay * sq as o1, (d_pay + d_create) * sq as o2, (d_pay + d_create + d_ship) * sq as o3,
        (d_pay + d_create + d_ship + d_transit) * sq as o4, (d_pay + d_create + d_ship + d_transit + d_deliver) * sq as o5
      from k join seed_tmp_store st on st.rn = 1 + floor(${storeCount}::int * power(r_store, 1.25))::int
    )
    select ${p.obase}::bigint + row_number() over (order by tms) as order_id,
      tms, status, store_id, customer_id, has_ship, ship_status, r_lines, r_start, r_stride, r_split,
      case when p_pay then tms + make_interval(secs => o1) end as paid_at,
      case when has_ship then tms + make_interval(secs => o2) end as created_at,
      case when p_ship then tms + make_interval(secs => o3) end as shipped_at,
      case when p_transit then tms + make_interval(secs => o4) end as transit_at,
      case when p_deliver then tms + make_interval(secs => o5) end as delivered_at,
      case when status = 'REFUNDED' then tms + make_interval(secs => o5 + d_refund * sq) end as refunded_at,
      case when status = 'CANCELLED' then tms + make_interval(secs => p_pay::int * o1 + d_cancel * sq) end as cancelled_at,
      (1 + abs(hashint4(customer_id) % 180)) || ' ' || (string_to_array(${w.list(w.streets)}, '|'))[1 + abs(hashint4(customer_id + 7) % ${w.streets.length})]
        || ', ' || lpad((abs(hashint4(customer_id + 13) % 90000) + 10000)::text, 5, '0') || ' '
        || (string_to_array(${w.list(w.cities.map((x) => x.name))}, '|'))[1 + abs(hashint4(customer_id + 29) % ${w.cities.length})] as address
    from c`);
  await db.execute(sql`create index on seed_tmp_plan (store_id)`);
  await db.execute(sql`analyze seed_tmp_plan`);
}

/** Orders planned per store. */
export async function plannedPerStore(db: Exec): Promise<Map<number, number>> {
  const r = await db.execute(sql`select store_id, count(*)::int as n from seed_tmp_plan group by store_id`);
  return new Map((r as unknown as { rows: Array<{ store_id: number; n: number }> }).rows.map((x) => [Number(x.store_id), x.n]));
}

/** Groups stores into chunks of about `maxOrders` planned orders and `maxPairs` new stock pairs
 * (a store bigger than that is a chunk of its own). */
export function groupStores(stores: Array<{ id: number; orders: number; pairs: number }>, maxOrders: number, maxPairs: number): number[][] {
  const groups: number[][] = [];
  let cur: number[] = [];
  let orders = 0;
  let pairs = 0;
  for (const s of stores) {
    if (cur.length > 0 && (orders + s.orders > maxOrders || pairs + s.pairs > maxPairs)) {
      groups.push(cur);
      cur = [];
      orders = 0;
      pairs = 0;
    }
    cur.push(s.id);
    orders += s.orders;
    pairs += s.pairs;
  }
  if (cur.length > 0) groups.push(cur);
  return groups;
}
