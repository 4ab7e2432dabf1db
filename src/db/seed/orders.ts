// The orders of one chunk of stores, inside the chunk's transaction: orders, shipments, lines and
// status events, copied from the plan (plan.ts) with plain INSERT … SELECT. The chunk is worked
// out in session temp tables first: seed_o (orders), seed_s (shipments), seed_l (lines), which
// writeStock (ledger.ts) then turns into stock movements.
import { sql } from 'drizzle-orm';
import { type Exec, one, run, reserveIds } from './util.ts';
import { intArray } from './plan.ts';

export interface ChunkResult { orders: number; orderItems: number; shipments: number; events: number }

/** Writes the planned orders of the chunk's stores (see plan.ts) with their lines drawn from
 * seed_pool. Leaves seed_o (orders), seed_s (shipments) and seed_l (lines) for writeStock. */
export async function writeOrders(tx: Exec, group: number[], big: boolean): Promise<ChunkResult> {
  await tx.execute(sql`
    create temp table seed_o on commit drop as
    with x as materialized (
      select p.*, c.cnt,
        least(c.cnt, 1 + floor(5 * power(r_lines, 1.4)))::int as nlines,
        floor(c.cnt * power(r_start, 2))::int as start,
        -- lines sit at start + j·stride (mod cnt); stride ≤ (cnt−1)/4 keeps the ≤5 picks distinct
        1 + floor(r_stride * greatest(1, (c.cnt - 1) / 4))::int as stride
      from seed_tmp_plan p join seed_cnt c using (store_id)
      where p.store_id = any(${intArray(group)}::int[])
    ),
    y as materialized (
      select x.*, case when nlines >= 2 and r_split < 0.15 then 1 + floor(r_split / 0.15 * (nlines - 1))::int else 0 end as split_at
      from x
    ),
    z as (
      -- a split order ships in two parcels, except a PAID one, whose second part is not packed yet
      select y.*, case when not has_ship then 0 when status = 'PAID' or split_at = 0 then 1 else 2 end as nship
      from y
    )
    select z.*, (sum(nship) over (order by order_id rows unbounded preceding) - nship)::int as ship_off
    from z`);
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
      join seed_pool p on p.store_id = o.store_id and p.rn = 1 + (o.start + (j - 1) * o.stride) % o.cnt
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

  const orders = (await one<{ n: number }>(tx, sql`select count(*)::int as n from seed_o`)).n;
  return { orders, orderItems, shipments, events };
}
