// Bulk-load mode for the seed chunks. Per-row foreign-key triggers are most of the cost of
// loading millions of rows (about half of the demo seed on PGlite), so, where allowed, a chunk
// runs with session_replication_role = replica, which skips them — the technique pg_restore's
// --disable-triggers uses — and enforces the same guarantees set-based instead:
//   * references to rows written in the same chunk (orders, shipments, new inventory rows) hold
//     by construction, and concurrent transactions cannot remove uncommitted rows;
//   * every other parent row the chunk refers to (customers, stores, products) is locked FOR KEY
//     SHARE in one statement per table, exactly the lock an FK trigger takes, and counted, so a
//     missing or concurrently deleted parent fails the chunk just as the FK would; existing
//     inventory rows are UPDATEd (row-locked) by writeStock, which checks the count.
// Only used when the role may set it (superuser: always on PGlite) and when no ordinary trigger
// that would be skipped exists on an INSERT into the seeded tables or an UPDATE of inventory (the
// ledger's own guard fires on UPDATE/DELETE of stock_movements only, which the seed never does),
// except the customers' order-counter trigger on orders, whose work countSeededOrders does instead.
import { sql } from 'drizzle-orm';
import { type Exec, one } from './util.ts';

/** The trigger on orders that keeps customer_order_stats (migrations 0007 and 0009). */
const COUNTER_TRIGGER = 'orders_count_insert';

export async function enableFastLoad(tx: Exec): Promise<boolean> {
  const { ok } = await one<{ ok: boolean }>(tx, sql`
    select current_setting('is_superuser') = 'on' and not exists (
      select 1 from pg_trigger t
      where not t.tgisinternal and t.tgenabled = 'O'
        and t.tgrelid in ('inventory'::regclass, 'stock_movements'::regclass, 'orders'::regclass,
          'order_items'::regclass, 'shipments'::regclass, 'order_events'::regclass)
        and (t.tgtype & 4 <> 0 or (t.tgrelid = 'inventory'::regclass and t.tgtype & 16 <> 0))
        and not (t.tgrelid = 'orders'::regclass and t.tgname = ${COUNTER_TRIGGER})
    ) as ok`);
  if (ok) await tx.execute(sql`set local session_replication_role = replica`);
  return ok;
}

/** The FK checks of a fast-loaded chunk, set-based: locks and counts the parents referred to by
 * seed_o (orders), seed_l (lines) and seed_inv (new inventory rows). */
export async function lockReferences(tx: Exec): Promise<void> {
  const checks = [
    { what: 'customer', n: await one<{ want: number; got: number }>(tx, sql`
      with want as (select distinct customer_id from seed_o),
      got as (select 1 from customers c where c.customer_id in (select customer_id from want) for key share of c)
      select (select count(*) from want)::int as want, (select count(*) from got)::int as got`) },
    { what: 'store', n: await one<{ want: number; got: number }>(tx, sql`
      with want as (select store_id from seed_o union select store_id from seed_inv),
      got as (select 1 from stores s where s.store_id in (select store_id from want) for key share of s)
      select (select count(*) from want)::int as want, (select count(*) from got)::int as got`) },
    { what: 'product', n: await one<{ want: number; got: number }>(tx, sql`
      with want as (select product_id from seed_l union select product_id from seed_inv),
      got as (select 1 from products p where p.product_id in (select product_id from want) for key share of p)
      select (select count(*) from want)::int as want, (select count(*) from got)::int as got`) },
  ];
  for (const c of checks) {
    if (c.n.got !== c.n.want) throw new Error(`seed: ${c.n.want - c.n.got} referenced ${c.what}(s) do not exist`);
  }
}

/** What the skipped counter trigger would have done for the chunk's orders (seed_o), in one
 * statement: the same upsert as customers_count_new_orders(). */
export async function countSeededOrders(tx: Exec): Promise<void> {
  await tx.execute(sql`
    insert into customer_order_stats as s (customer_id, order_count, last_order_at)
      select customer_id, count(*)::int, max(tms) from seed_o group by customer_id
    on conflict (customer_id) do update
      set order_count = s.order_count + excluded.order_count, last_order_at = greatest(s.last_order_at, excluded.last_order_at)`);
}
