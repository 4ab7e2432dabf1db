// Stock for one chunk, from its planned lines (seed_l) and new pairs (seed_inv):
//   new pair:      inventory row inserted with its final on_hand/reserved, one opening receipt
//                  covering everything the chunk sells or reserves there plus the spare buffer,
//                  and the odd adjustment or count;
//   existing pair: a replenishment receipt dated shortly before its first order in the chunk,
//                  and on_hand/reserved added to the row.
// Then a `sale` per dispatched line and a `return` per returned line. The ledger sum equals
// on_hand by construction, and stock never goes negative at any point of its history.
import { sql } from 'drizzle-orm';
import * as w from './words.ts';
import { type Exec, one, run, ts } from './util.ts';

const DAY = 86_400;

export interface StockResult { inventoryRows: number; movements: number }

export async function writeStock(tx: Exec, now: Date, big: boolean): Promise<StockResult> {
  await tx.execute(sql`
    create temp table seed_a on commit drop as
    select coalesce(a.store_id, v.store_id) as store_id, coalesce(a.product_id, v.product_id) as product_id,
      coalesce(a.need, 0) as need, coalesce(a.reserve, 0) as reserve, coalesce(a.returned, 0) as returned,
      a.first_tms, a.last_at, v.store_id is not null as is_new,
      v.buffer, v.reorder_point, v.opening_at, v.adj_kind, v.adj_qty, v.adj_at, v.r_why,
      -- receipt: for a new pair the opening stock (also covering a negative adjustment), else a top-up
      case when v.store_id is not null then v.buffer + greatest(0, -coalesce(v.adj_qty, 0)) + coalesce(a.need, 0)
           else a.need end as receipt_qty,
      case when v.store_id is not null then v.opening_at
           else a.first_tms - make_interval(secs => (1 + random() * 13) * ${DAY}) end as receipt_at
    from (
      select store_id, product_id,
        coalesce(sum(quantity) filter (where dispatched or reserving), 0)::int as need,
        coalesce(sum(quantity) filter (where reserving), 0)::int as reserve,
        sum(returned_quantity)::int as returned,
        min(tms) as first_tms,
        greatest(max(shipped_at) filter (where dispatched), max(refunded_at) filter (where returned_quantity > 0)) as last_at
      from seed_l group by store_id, product_id
    ) a
    full join seed_inv v on v.store_id = a.store_id and v.product_id = a.product_id`);
  if (big) await tx.execute(sql`analyze seed_a`);

  // on_hand = receipt + adjustment − sold + returned, with sold = need − reserve.
  const inventoryRows = await run(tx, sql`
    insert into inventory (store_id, product_id, on_hand, reserved, reorder_point, last_movement_at, updated_at)
    select store_id, product_id, receipt_qty + coalesce(adj_qty, 0) - (need - reserve) + returned, reserve, reorder_point,
      greatest(case when receipt_qty > 0 then receipt_at end, adj_at, last_at), ${ts(now)}
    from seed_a where is_new order by store_id, product_id`);
  // The UPDATE row-locks the existing rows the movements below refer to; if one has vanished
  // meanwhile (deleted by someone else), stop rather than write movements without a stock row.
  const { n: existing } = await one<{ n: number }>(tx, sql`select count(*)::int as n from seed_a where not is_new and need > 0`);
  const updated = await run(tx, sql`
    update inventory i
    set on_hand = i.on_hand + a.reserve + a.returned, reserved = i.reserved + a.reserve,
        last_movement_at = greatest(i.last_movement_at, a.receipt_at, a.last_at), updated_at = ${ts(now)}
    from seed_a a
    where not a.is_new and a.need > 0 and i.store_id = a.store_id and i.product_id = a.product_id`);
  if (updated !== existing) throw new Error(`seed: ${existing - updated} stock row(s) disappeared while seeding`);

  // Movements go in roughly in key order, which keeps the ledger's index inserts local.
  const receipts = await run(tx, sql`
    insert into stock_movements (store_id, product_id, quantity, kind, reason, reference, created_at)
    select store_id, product_id, receipt_qty, 'receipt', case when is_new then 'Opening stock' else 'Replenishment' end,
      'PO-' || to_char(receipt_at at time zone 'UTC', 'YYYYMMDD') || '-' || lpad(store_id::text, 3, '0'), receipt_at
    from seed_a where receipt_qty > 0 order by store_id, product_id`);
  const adjustments = await run(tx, sql`
    insert into stock_movements (store_id, product_id, quantity, kind, reason, created_at)
    select store_id, product_id, adj_qty, adj_kind,
      case when adj_kind = 'count' then 'Cycle count'
           when adj_qty < 0 then (string_to_array(${w.list(w.adjustmentReasonsDown)}, '|'))[1 + floor(r_why * ${w.adjustmentReasonsDown.length})::int]
           else (string_to_array(${w.list(w.adjustmentReasonsUp)}, '|'))[1 + floor(r_why * ${w.adjustmentReasonsUp.length})::int] end,
      adj_at
    from seed_a where adj_kind is not null order by store_id, product_id`);
  const sales = await run(tx, sql`
    insert into stock_movements (store_id, product_id, quantity, kind, reference, order_id, shipment_id, created_at)
    select store_id, product_id, -quantity, 'sale', 'Shipment #' || shipment_id, order_id, shipment_id, shipped_at
    from seed_l where dispatched order by shipped_at`);
  const returns = await run(tx, sql`
    insert into stock_movements (store_id, product_id, quantity, kind, reason, reference, order_id, shipment_id, created_at)
    select store_id, product_id, returned_quantity, 'return', 'Customer return', 'Refund of order #' || order_id,
      order_id, shipment_id, refunded_at
    from seed_l where returned_quantity > 0 order by refunded_at`);
  return { inventoryRows, movements: receipts + adjustments + sales + returns };
}
