// How each rollup is computed. Orders, shipments: fine rows per (local day, store) recomputed
// from the raw tables, coarse rows (the day for all stores, the month and the year, per store and
// for all stores) moved by the difference. Stock: rows per (store, block of product ids),
// recomputed whole. Used by refresh.ts, which decides what to recompute and when.
import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';

export const STOCK_BUCKET = 4096;
const COUNTED = sql.raw(`not in ('CANCELLED', 'REFUNDED')`);

export interface Family {
  table: string;
  keys: string[];
  measures: string[];
  /** Coarse rows fed by each fine (day, store) row. */
  targets: Array<'D0' | 'M' | 'M0' | 'Y' | 'Y0'>;
  /** Fine rows (day, store_id, keys…, measures…) of the buckets in `chg`, or of everything. */
  fresh: (tz: string, all: boolean) => SQL;
}

// The incremental reads go bucket by bucket, and row by row to the lines, through the indexes:
// `offset 0` keeps each lateral subquery a nested loop, whatever the planner guesses of how
// many rows the buckets hold (a wrong guess there made it read whole tables).

/** Orders of the changed buckets (chg: day, store_id) or all orders, with their local day. */
function ordersOf(tz: string, all: boolean): SQL {
  return all
    ? sql`(select o.*, (o.order_tms at time zone ${tz})::date as day from orders o) o`
    : sql`(select x.*, c.day from chg c cross join lateral (
            select * from orders o where o.store_id = c.store_id
              and o.order_tms >= (c.day::timestamp at time zone ${tz}) and o.order_tms < ((c.day + 1)::timestamp at time zone ${tz})
            offset 0) x) o`;
}

/** The rollups fed by orders: sales by status, product sales, customers. */
export const ORDER_FAMILIES: Family[] = [
  {
    table: 'rollup_sales', keys: ['order_status'], measures: ['orders', 'units', 'revenue'], targets: ['D0', 'M', 'M0', 'Y', 'Y0'],
    fresh: (tz, all) => sql`
      select o.day, o.store_id, o.order_status, count(*)::int as orders,
        coalesce(sum(t.units), 0)::bigint as units, coalesce(sum(t.revenue), 0)::numeric(16,2) as revenue
      from ${ordersOf(tz, all)}
      left join ${all
        ? sql`(select order_id, sum(quantity) as units, sum(quantity * unit_price) as revenue from order_items group by order_id) t on t.order_id = o.order_id`
        : sql`lateral (select sum(i.quantity) as units, sum(i.quantity * i.unit_price) as revenue from order_items i where i.order_id = o.order_id offset 0) t on true`}
      group by o.day, o.store_id, o.order_status`,
  },
  {
    table: 'rollup_product_sales', keys: ['product_id'], measures: ['orders', 'units', 'revenue'], targets: ['M', 'M0', 'Y', 'Y0'],
    fresh: (tz, all) => sql`
      select o.day, o.store_id, i.product_id, count(*)::int as orders,
        coalesce(sum(i.quantity) filter (where o.order_status ${COUNTED}), 0)::bigint as units,
        coalesce(sum(i.quantity * i.unit_price) filter (where o.order_status ${COUNTED}), 0)::numeric(16,2) as revenue
      from ${ordersOf(tz, all)}
      ${all ? sql`join order_items i on i.order_id = o.order_id`
        : sql`cross join lateral (select product_id, quantity, unit_price from order_items x where x.order_id = o.order_id offset 0) i`}
      group by o.day, o.store_id, i.product_id`,
  },
  {
    table: 'rollup_customers', keys: ['customer_id'], measures: ['orders'], targets: ['M', 'M0', 'Y', 'Y0'],
    fresh: (tz, all) => sql`
      select o.day, o.store_id, o.customer_id, count(*)::int as orders
      from ${ordersOf(tz, all)} group by o.day, o.store_id, o.customer_id`,
  },
];

export const SHIPMENTS: Family = {
  table: 'rollup_shipments', keys: ['shipment_status'], measures: ['shipments'], targets: ['M', 'M0', 'Y', 'Y0'],
  fresh: (tz, all) => all
    ? sql`select (s.created_at at time zone ${tz})::date as day, s.store_id, s.shipment_status, count(*)::int as shipments
          from shipments s group by 1, 2, 3`
    : sql`select c.day, c.store_id, s.shipment_status, count(*)::int as shipments
          from chg c cross join lateral (select shipment_status from shipments x where x.store_id = c.store_id
            and x.created_at >= (c.day::timestamp at time zone ${tz}) and x.created_at < ((c.day + 1)::timestamp at time zone ${tz}) offset 0) s
          group by 1, 2, 3`,
};

const TARGET_ROWS: Record<Family['targets'][number], string> = {
  D0: `('D', d.day, 0)`,
  M: `('M', date_trunc('month', d.day::timestamp)::date, d.store_id)`,
  M0: `('M', date_trunc('month', d.day::timestamp)::date, 0)`,
  Y: `('Y', date_trunc('year', d.day::timestamp)::date, d.store_id)`,
  Y0: `('Y', date_trunc('year', d.day::timestamp)::date, 0)`,
};

const list = (cols: string[], prefix = '') => cols.map((c) => `${prefix}${c}`).join(', ');
const expand = (f: Family) => sql.raw(`cross join lateral (values ${f.targets.map((t) => TARGET_ROWS[t]).join(', ')}) x(grain, period, store_id)`);

/** The distinct-customer counters follow the membership rows that went from 0 to >0 or back. */
const CUSTOMER_COUNTS = sql.raw(`,
  counted as (
    insert into rollup_customer_counts as c (grain, period, store_id, customers)
    select u.grain, u.period, u.store_id,
      sum(case when u.orders > 0 and u.orders - dk.orders <= 0 then 1 when u.orders <= 0 and u.orders - dk.orders > 0 then -1 else 0 end)::int
    from up u join dk using (grain, period, store_id, customer_id)
    group by u.grain, u.period, u.store_id
    on conflict (grain, period, store_id) do update set customers = c.customers + excluded.customers)`);

/** One statement per family: new fine rows for the changed buckets, and the coarse rows moved by
 * (new − old). A single statement reads the raw tables through one snapshot. */
export async function applyFamily(db: Db, f: Family, tz: string, chg: SQL): Promise<void> {
  const T = sql.raw(f.table);
  const keys = sql.raw(list(f.keys));
  const fkeys = sql.raw(list(f.keys, 'f.'));
  const ms = sql.raw(list(f.measures));
  const join = (a: string, b: string) => sql.raw([`${a}.day = ${b}.day`, `${a}.store_id = ${b}.store_id`, ...f.keys.map((k) => `${a}.${k} = ${b}.${k}`)].join(' and '));
  await db.execute(sql`
    with chg as (${chg}),
    fresh as materialized (${f.fresh(tz, false)}),
    old as materialized (
      select r.ctid as rid, r.period as day, r.store_id, ${sql.raw(list(f.keys, 'r.'))}, ${sql.raw(list(f.measures, 'r.'))}
      from ${T} r join chg c on r.grain = 'D' and r.period = c.day and r.store_id = c.store_id),
    delta as materialized (
      select coalesce(f.day, o.day) as day, coalesce(f.store_id, o.store_id) as store_id,
        ${sql.raw(f.keys.map((k) => `coalesce(f.${k}, o.${k}) as ${k}`).join(', '))},
        ${sql.raw(f.measures.map((m) => `coalesce(f.${m}, 0) - coalesce(o.${m}, 0) as ${m}`).join(', '))},
        case when f.day is null then o.rid end as gone
      from fresh f full join old o on ${join('f', 'o')}),
    -- Fine rows whose bucket no longer has them, by row address (only the refresh, under its
    -- lock, writes these tables, so the addresses read above still hold).
    gone as (delete from ${T} where ctid = any (array(select gone from delta where gone is not null))),
    put as (
      insert into ${T} as r (grain, period, store_id, ${keys}, ${ms})
      select 'D', f.day, f.store_id, ${fkeys}, ${sql.raw(list(f.measures, 'f.'))} from fresh f
      on conflict (grain, period, store_id, ${keys}) do update set ${sql.raw(f.measures.map((m) => `${m} = excluded.${m}`).join(', '))}
      where (${sql.raw(list(f.measures, 'r.'))}) is distinct from (${sql.raw(list(f.measures, 'excluded.'))})),
    dk as (
      select x.grain, x.period, x.store_id, ${sql.raw(list(f.keys, 'd.'))}, ${sql.raw(f.measures.map((m) => `sum(d.${m}) as ${m}`).join(', '))}
      from delta d ${expand(f)}
      where ${sql.raw(f.measures.map((m) => `d.${m} <> 0`).join(' or '))}
      group by x.grain, x.period, x.store_id, ${sql.raw(list(f.keys, 'd.'))}),
    up as (
      insert into ${T} as r (grain, period, store_id, ${keys}, ${ms})
      select grain, period, store_id, ${keys}, ${ms} from dk
      on conflict (grain, period, store_id, ${keys}) do update set ${sql.raw(f.measures.map((m) => `${m} = r.${m} + excluded.${m}`).join(', '))}
      returning r.grain, r.period, r.store_id, ${sql.raw(list(f.keys, 'r.'))}, ${sql.raw(list(f.measures, 'r.'))})
    ${f.table === 'rollup_customers' ? CUSTOMER_COUNTS : sql``}
    select 1`);
}

/** How each coarse target is summed when building from scratch: from which grain and store
 * rows, into which period (each from the smallest set that has what it needs). */
const BUILD: Record<Family['targets'][number], { from: string; allStores: boolean; grain: string; period: string }> = {
  D0: { from: `grain = 'D'`, allStores: true, grain: 'D', period: 'period' },
  M: { from: `grain = 'D' and store_id <> 0`, allStores: false, grain: 'M', period: `date_trunc('month', period::timestamp)::date` },
  M0: { from: `grain = 'M' and store_id <> 0`, allStores: true, grain: 'M', period: 'period' },
  Y: { from: `grain = 'M' and store_id <> 0`, allStores: false, grain: 'Y', period: `date_trunc('year', period::timestamp)::date` },
  Y0: { from: `grain = 'M' and store_id = 0`, allStores: false, grain: 'Y', period: `date_trunc('year', period::timestamp)::date` },
};
const ORDER: Array<Family['targets'][number]> = ['D0', 'M', 'M0', 'Y', 'Y0'];

/** Fine rows of everything, then each coarse grain summed from the rows already built. Rows go
 * in primary-key order, which keeps the index inserts sequential. */
export async function buildFamily(db: Db, f: Family, tz: string): Promise<void> {
  const T = sql.raw(f.table);
  const keys = sql.raw(list(f.keys));
  const ms = sql.raw(list(f.measures));
  await db.execute(sql`insert into ${T} (grain, period, store_id, ${keys}, ${ms})
    select 'D', day, store_id, ${keys}, ${ms} from (${f.fresh(tz, true)}) f order by store_id, day, ${keys}`);
  for (const target of ORDER.filter((x) => f.targets.includes(x))) {
    const b = BUILD[target];
    const store = b.allStores ? '0' : 'store_id';
    await db.execute(sql`insert into ${T} (grain, period, store_id, ${keys}, ${ms})
      select ${sql.raw(`'${b.grain}'`)}, ${sql.raw(b.period)} as p, ${sql.raw(store)} as s, ${keys}, ${sql.raw(f.measures.map((m) => `sum(${m})`).join(', '))}
      from ${T} where ${sql.raw(b.from)}
      group by p, s, ${keys} order by s, p, ${keys}`);
  }
}

/** Inventory rows with their product's price: of the changed (store, block) buckets, or all. */
const stockOf = (changed: boolean) => (changed
  ? sql`chg c cross join lateral (
      select i.store_id, i.product_id, i.on_hand, i.reserved, i.reorder_point, p.unit_price
      from inventory i join products p on p.product_id = i.product_id
      where i.store_id = c.store_id and i.product_id >= c.bucket * ${STOCK_BUCKET} and i.product_id < (c.bucket + 1) * ${STOCK_BUCKET}
        and p.product_id >= c.bucket * ${STOCK_BUCKET} and p.product_id < (c.bucket + 1) * ${STOCK_BUCKET}
      offset 0) i`
  : sql`(select i.store_id, i.product_id, i.on_hand, i.reserved, i.reorder_point, p.unit_price
         from inventory i join products p on p.product_id = i.product_id) i`);

export const stockRows = (changed: boolean) => sql`
  select i.store_id, i.product_id / ${STOCK_BUCKET} as bucket, count(*)::int as items, sum(i.on_hand)::bigint as units,
    sum(i.on_hand * i.unit_price)::numeric(18,2) as value, (count(*) filter (where i.on_hand - i.reserved <= i.reorder_point))::int as low_stock
  from ${stockOf(changed)}
  group by 1, 2`;

/** The ten most urgent low-stock rows of each (store, block). */
export const lowStockRows = (changed: boolean) => sql`
  select store_id, product_id, bucket, on_hand, reserved, reorder_point, shortfall from (
    select i.store_id, i.product_id, i.product_id / ${STOCK_BUCKET} as bucket, i.on_hand, i.reserved, i.reorder_point,
      i.reorder_point - (i.on_hand - i.reserved) as shortfall,
      row_number() over (partition by i.store_id, i.product_id / ${STOCK_BUCKET}
        order by i.reorder_point - (i.on_hand - i.reserved) desc, i.product_id) as rn
    from ${stockOf(changed)}
    where i.on_hand - i.reserved <= i.reorder_point) x
  where rn <= 10`;

export const productRows = (changed: boolean) => sql`
  select p.product_id / ${STOCK_BUCKET} as bucket, (count(*) filter (where p.active))::int as active_products
  from ${changed ? sql`chg c cross join lateral (select product_id, active from products x
    where x.product_id >= c.bucket * ${STOCK_BUCKET} and x.product_id < (c.bucket + 1) * ${STOCK_BUCKET} offset 0) p` : sql`products p`}
  group by 1`;
