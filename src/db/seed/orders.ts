// One chunk of generated orders, in one transaction: orders, lines, shipments, status events, the
// stock movements they caused and the matching inventory update. Every chunk leaves the database
// consistent on its own (stock:verify passes after each commit), so an interrupted seed is
// smaller, not broken.
//
// The chunk is planned in session temp tables (seed_o orders, seed_s shipments, seed_l lines)
// and then copied into the real tables with plain INSERT … SELECT.
import { sql, type SQL } from 'drizzle-orm';
import { type Exec, one, run, reserveIds, ts } from './util.ts';
import * as w from './words.ts';
import { HISTORY_DAYS } from './catalogue.ts';

const DAY = 86_400;

/** Where an order's customer comes from: this seed's new customers (ids base+1 … base+total,
 * created_at rising with the index) or the numbered pool of existing ones (seed_tmp_cust). */
export type CustomerSource = { kind: 'new'; base: number; total: number } | { kind: 'pool'; count: number };

export interface ChunkResult { orders: number; orderItems: number; shipments: number; events: number; movements: number }

export async function seedOrderChunk(
  tx: Exec, n: number, storeCount: number, customers: CustomerSource, now: Date,
): Promise<ChunkResult> {
  const obase = await reserveIds(tx, 'orders', n);
  // Statistics on the temp tables only pay off for big chunks (ANALYZE costs ~0.2 s on PGlite);
  // without them the planner sizes the tables by their page count, which is fine when small.
  const big = n >= 50_000;

  // Only customers who had registered by the order time: customer i of the new batch was created
  // at now − HISTORY_DAYS·(1 − i/total) (see seedCustomers), so at time T the first K(T) exist.
  const customer: SQL = customers.kind === 'new'
    ? sql`${customers.base}::int + 1 + floor(r_cust * least(${customers.total}::int, greatest(1,
          floor(${customers.total}::float8 * (1 - extract(epoch from ${ts(now)} - tms) / ${HISTORY_DAYS * DAY}::float8)))))::int`
    : sql`(select c.customer_id from seed_tmp_cust c where c.rn = 1 + floor(r_cust * ${customers.count}::int)::int)`;

  await tx.execute(sql`
    create temp table seed_o on commit drop as
    -- MATERIALIZED: inlined CTEs would copy each derived expression into every place it is used
    -- and recompute it there (several times slower on PGlite).
    with g as (
      -- Order age skews recent (a growing business); d_* are nominal durations (seconds) of each
      -- lifecycle step, squeezed below when the order is too young for all of them.
      select g, ${730 * DAY}::float8 * power(random(), 1.6) as age_s,
        random() as r_status, random() as r_store, random() as r_cust, random() as r_lines,
        random() as r_start, random() as r_stride, random() as r_split, random() as r_ship, random() as r_sub,
        600 + 172800 * power(random(), 3) as d_pay, 3600 + 82800 * random() as d_create,
        7200 + 165600 * power(random(), 2) as d_ship, 3600 + 82800 * random() as d_transit,
        43200 + 388800 * power(random(), 1.5) as d_deliver, 86400 + 1641600 * random() as d_refund,
        600 + 258600 * power(random(), 2) as d_cancel
      from generate_series(1, ${n}::int) g
    ),
    s as materialized (
      -- Status by age: fresh orders are still open, paid or on their way; old ones are complete,
      -- with a few per cent cancelled or refunded and the odd abandoned one.
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
    f as (
      select s.*,
        -- a third of PAID orders already have a shipment being packed (CREATED)
        coalesce(status in ('SHIPPED', 'COMPLETE', 'REFUNDED') or (status = 'PAID' and r_ship < 0.35), false) as has_ship,
        case status when 'PAID' then 'CREATED' when 'SHIPPED' then case when r_sub < 0.5 then 'SHIPPED' else 'IN-TRANSIT' end
          when 'COMPLETE' then 'DELIVERED' when 'REFUNDED' then 'DELIVERED' end as ship_status,
        case when status = 'CANCELLED' then case when r_sub < 0.6 then 'OPEN' else 'PAID' end end as cancel_from
      from s
    ),
    p as materialized (
      -- which steps happened (each implies the ones before it)
      select f.*,
        (status in ('PAID', 'SHIPPED', 'COMPLETE', 'REFUNDED') or cancel_from = 'PAID') is true as p_pay,
        status in ('SHIPPED', 'COMPLETE', 'REFUNDED') as p_ship,
        coalesce(ship_status in ('IN-TRANSIT', 'DELIVERED'), false) as p_transit,
        coalesce(ship_status = 'DELIVERED', false) as p_deliver
      from f
    ),
    k as materialized (
      select p.*, least(1, 0.9 * age_s / greatest(1,
        p_pay::int * d_pay + has_ship::int * d_create + p_ship::int * d_ship + p_transit::int * d_transit
        + p_deliver::int * d_deliver + (status = 'REFUNDED')::int * d_refund + (status = 'CANCELLED')::int * d_cancel)) as sq
      from p
    ),
    t as (
      -- cumulative offsets (seconds after tms) of each step
      select k.*, d_pay * sq as o1, (d_pay + d_create) * sq as o2, (d_pay + d_create + d_ship) * sq as o3,
        (d_pay + d_create + d_ship + d_transit) * sq as o4, (d_pay + d_create + d_ship + d_transit + d_deliver) * sq as o5
      from k
    ),
    c as materialized (
      select t.*, st.store_id, st.cnt, ${customer} as customer_id
      from t join seed_tmp_store st on st.rn = 1 + floor(${storeCount}::int * power(r_store, 1.25))::int
    ),
    l as (
      select c.*,
        least(cnt, 1 + floor(5 * power(r_lines, 1.4)))::int as nlines,
        floor(cnt * power(r_start, 2))::int as start,
        -- lines sit at start + j·stride (mod cnt); stride ≤ (cnt−1)/4 keeps the ≤5 picks distinct
        1 + floor(r_stride * greatest(1, (cnt - 1) / 4))::int as stride
      from c
    ),
    m as materialized (
      select l.*,
        case when nlines >= 2 and r_split < 0.15 then 1 + floor(r_split / 0.15 * (nlines - 1))::int else 0 end as split_at
      from l
    ),
    x as (
      -- a split order ships in two parcels, except a PAID one, whose second part is not packed yet
      select m.*, case when not has_ship then 0 when status = 'PAID' or split_at = 0 then 1 else 2 end as nship
      from m
    )
    select ${obase}::bigint + g as order_id, g, tms, status, store_id, customer_id, cnt, nlines, start, stride, split_at,
      nship, (sum(nship) over (order by g rows unbounded preceding) - nship)::int as ship_off, ship_status,
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
    from x`);
  if (big) await tx.execute(sql`analyze seed_o`);

  const shipCount = (await one<{ n: number }>(tx, sql`select coalesce(sum(nship), 0)::int as n from seed_o`)).n;
  const sbase = await reserveIds(tx, 'shipments', shipCount);

  await tx.execute(sql`
    insert into orders (order_id, order_tms, customer_id, store_id, order_status, version, updated_at)
    select order_id, tms, customer_id, store_id, status,
      1 + (paid_at is not null)::int + (shipped_at is not null)::int + (delivered_at is not null)::int
        + (refunded_at is not null)::int + (cancelled_at is not null)::int,
      greatest(tms, paid_at, shipped_at, delivered_at, refunded_at, cancelled_at)
    from seed_o order by order_id`);

  // Shipments. In a two-parcel order the first parcel runs ahead of the second: each of its
  // timestamps sits 40 % of the way back towards the previous step, so the order's own events
  // (all shipped, all delivered) coincide with the second parcel.
  await tx.execute(sql`
    create temp table seed_s on commit drop as
    select ${sbase}::int + o.ship_off + s as shipment_id, o.order_id, o.store_id, o.customer_id, o.address, o.ship_status,
      case when o.nship = 2 and s = 1 then o.created_at - (o.created_at - o.paid_at) * 0.4 else o.created_at end as created_at,
      case when o.nship = 2 and s = 1 then o.shipped_at - (o.shipped_at - o.created_at) * 0.4 else o.shipped_at end as shipped_at,
      case when o.nship = 2 and s = 1 then o.transit_at - (o.transit_at - o.shipped_at) * 0.4 else o.transit_at end as transit_at,
      case when o.nship = 2 and s = 1 then o.delivered_at - (o.delivered_at - o.transit_at) * 0.4 else o.delivered_at end as delivered_at
    from seed_o o cross join lateral generate_series(1, o.nship) s`);
  const shipments = await run(tx, sql`
    insert into shipments (shipment_id, order_id, store_id, customer_id, delivery_address, shipment_status, version,
      created_at, shipped_at, in_transit_at, delivered_at)
    select shipment_id, order_id, store_id, customer_id, address, ship_status,
      1 + (shipped_at is not null)::int + (transit_at is not null)::int + (delivered_at is not null)::int,
      created_at, shipped_at, transit_at, delivered_at
    from seed_s order by shipment_id`);

  // Lines: product j of an order is the store's product number start + (j−1)·stride (mod cnt);
  // the subquery with random() is not flattened, so each line draws its own numbers.
  await tx.execute(sql`
    create temp table seed_l on commit drop as
    select x.order_id, x.line_item_id, x.store_id, x.product_id, x.unit_price, x.quantity,
      case when x.status = 'REFUNDED' and x.r_ret < 0.6 then 1 + floor(x.r_retq * x.quantity)::int else 0 end as returned_quantity,
      sh.shipment_id, sh.shipped_at, x.refunded_at, x.tms,
      coalesce(sh.ship_status <> 'CREATED', false) as dispatched,
      x.status in ('OPEN', 'PAID') and coalesce(sh.ship_status = 'CREATED', true) as reserving
    from (
      select o.order_id, j as line_item_id, o.store_id, p.product_id, pr.unit_price, o.status, o.refunded_at, o.tms,
        case when o.split_at > 0 and j > o.split_at then 2 else 1 end as s, o.nship, o.ship_off,
        1 + (random() < 0.22)::int + (random() < 0.06)::int as quantity, random() as r_ret, random() as r_retq
      from seed_o o
      cross join lateral generate_series(1, o.nlines) j
      join seed_tmp_pool p on p.store_id = o.store_id and p.rn = 1 + (o.start + (j - 1) * o.stride) % o.cnt
      join products pr on pr.product_id = p.product_id
    ) x
    left join seed_s sh on x.s <= x.nship and sh.shipment_id = ${sbase}::int + x.ship_off + x.s`);
  if (big) await tx.execute(sql`analyze seed_l`);
  const orderItems = await run(tx, sql`
    insert into order_items (order_id, line_item_id, product_id, unit_price, quantity, returned_quantity, shipment_id)
    select order_id, line_item_id, product_id, unit_price, quantity, returned_quantity, shipment_id
    from seed_l order by order_id, line_item_id`);

  const events = await run(tx, sql`
    insert into order_events (order_id, from_status, to_status, note, created_at)
    select o.order_id, e.f, e.t, e.note, e.at
    from seed_o o cross join lateral (values
      (1, null::text, 'OPEN', 'Order placed', o.tms),
      (2, 'OPEN', 'PAID', 'Payment received', o.paid_at),
      (3, 'PAID', 'SHIPPED', 'All items dispatched', o.shipped_at),
      (4, 'SHIPPED', 'COMPLETE', 'All shipments delivered', o.delivered_at),
      (5, 'COMPLETE', 'REFUNDED', 'Refund issued', o.refunded_at),
      (6, case when o.paid_at is null then 'OPEN' else 'PAID' end, 'CANCELLED', 'Cancelled at the customer''s request', o.cancelled_at)
    ) e(step, f, t, note, at)
    where e.at is not null
    order by o.order_id, e.step`);

  const movements = await stockForChunk(tx, now);
  return { orders: n, orderItems, shipments, events, movements };
}

/** Ledger and inventory for the chunk's lines: a receipt per touched pair (dated shortly before
 * its first order in the chunk) covering everything sold or reserved, a sale per dispatched line,
 * a return per returned line; inventory gains reserved + returned on hand and reserved. */
async function stockForChunk(tx: Exec, now: Date): Promise<number> {
  await tx.execute(sql`
    create temp table seed_a on commit drop as
    select a.*, a.first_tms - make_interval(secs => (1 + random() * 13) * ${DAY}) as receipt_at
    from (
      select store_id, product_id,
        coalesce(sum(quantity) filter (where dispatched or reserving), 0)::int as need,
        coalesce(sum(quantity) filter (where reserving), 0)::int as reserve,
        sum(returned_quantity)::int as returned,
        min(tms) as first_tms,
        greatest(max(shipped_at) filter (where dispatched), max(refunded_at) filter (where returned_quantity > 0)) as last_at
      from seed_l group by store_id, product_id
    ) a
    where a.need > 0`);

  const receipts = await run(tx, sql`
    insert into stock_movements (store_id, product_id, quantity, kind, reason, reference, created_at)
    select store_id, product_id, need, 'receipt', 'Replenishment',
      'PO-' || to_char(receipt_at at time zone 'UTC', 'YYYYMMDD') || '-' || lpad(store_id::text, 3, '0'), receipt_at
    from seed_a order by receipt_at`);
  const sales = await run(tx, sql`
    insert into stock_movements (store_id, product_id, quantity, kind, reference, order_id, shipment_id, created_at)
    select store_id, product_id, -quantity, 'sale', 'Shipment #' || shipment_id, order_id, shipment_id, shipped_at
    from seed_l where dispatched order by shipped_at`);
  const returns = await run(tx, sql`
    insert into stock_movements (store_id, product_id, quantity, kind, reason, reference, order_id, shipment_id, created_at)
    select store_id, product_id, returned_quantity, 'return', 'Customer return', 'Refund of order #' || order_id,
      order_id, shipment_id, refunded_at
    from seed_l where returned_quantity > 0 order by refunded_at`);

  await tx.execute(sql`
    update inventory i
    set on_hand = i.on_hand + a.reserve + a.returned,
        reserved = i.reserved + a.reserve,
        last_movement_at = greatest(i.last_movement_at, a.receipt_at, a.last_at),
        updated_at = ${ts(now)}
    from seed_a a
    where i.store_id = a.store_id and i.product_id = a.product_id`);
  return receipts + sales + returns;
}
