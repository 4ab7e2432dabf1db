// The data seed (src/db/seed) and the stock verification (modules/inventory/verify): the demo
// data is complete and consistent, a second seed appends without breaking anything, and
// verifyStock really does notice a broken ledger or reservation.
import t, { type Test } from 'tap';
import { sql } from 'drizzle-orm';
import { createTestDatabase } from './helper.ts';
import { queryRows } from '../src/db/client.ts';
import { seedData, seedDemo } from '../src/db/seed.ts';
import { formatDiscrepancies, verifyStock } from '../src/modules/inventory/verify.ts';
import { enableFastLoad } from '../src/db/seed/fastload.ts';
import { customerCounterDrift } from '../src/modules/customers/repository.ts';

const { db } = await createTestDatabase(t);
const now = new Date('2025-06-30T12:00:00Z');

async function count(query: ReturnType<typeof sql>): Promise<number> {
  const [row] = await queryRows<{ n: number | string }>(db, query);
  return Number(row?.n ?? NaN);
}

async function assertConsistent(t: Test, label: string) {
  const problems = await verifyStock(db);
  t.same(problems, [], `${label}: ${formatDiscrepancies(problems)}`);
}

/** Every foreign key of the schema holds: the seed's fast path skips the per-row FK triggers and
 * checks references set-based instead (src/db/seed/fastload.ts), so check the result here. */
async function assertReferencesValid(t: Test) {
  const fks = await queryRows<{ name: string; child: string; parent: string; ccols: string[]; pcols: string[] }>(db, sql`
    select c.conname as name, c.conrelid::regclass::text as child, c.confrelid::regclass::text as parent,
      array(select a.attname::text from unnest(c.conkey) with ordinality k(n, i)
        join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n order by k.i) as ccols,
      array(select a.attname::text from unnest(c.confkey) with ordinality k(n, i)
        join pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.n order by k.i) as pcols
    from pg_constraint c where c.contype = 'f' and c.connamespace = 'public'::regnamespace`);
  t.ok(fks.length >= 15, 'the schema has its foreign keys');
  for (const fk of fks) {
    const notNull = sql.join(fk.ccols.map((c) => sql`x.${sql.identifier(c)} is not null`), sql` and `);
    const match = sql.join(fk.ccols.map((c, i) => sql`p.${sql.identifier(fk.pcols[i]!)} = x.${sql.identifier(c)}`), sql` and `);
    const dangling = await count(sql`select count(*) as n from ${sql.identifier(fk.child)} x
      where ${notNull} and not exists (select 1 from ${sql.identifier(fk.parent)} p where ${match})`);
    t.equal(dangling, 0, `${fk.name} holds`);
  }
}

t.test('the demo seed is complete and consistent', async (t) => {
  const s = await seedDemo(db, { now });
  t.match(s, { stores: 5, products: 300, customers: 2000, orders: 10_000 });
  t.equal(await count(sql`select count(*) as n from stores`), 5);
  t.equal(await count(sql`select count(*) as n from products`), 300);
  t.equal(await count(sql`select count(*) as n from customers`), 2000);
  t.equal(await count(sql`select count(*) as n from orders`), 10_000);
  t.equal(await count(sql`select count(*) as n from order_items`), s.orderItems);
  t.equal(await count(sql`select count(*) as n from shipments`), s.shipments);
  t.equal(await count(sql`select count(*) as n from stock_movements`), s.movements);
  t.equal(await count(sql`select count(*) as n from inventory`), 1500, 'every store stocks every product');
  t.comment(`seedDemo took ${s.ms} ms`);

  await assertConsistent(t, 'after the demo seed');

  const statuses = await queryRows<{ s: string; n: number }>(db, sql`
    select order_status as s, count(*)::int as n from orders group by 1 order by 1`);
  t.same(statuses.map((r) => r.s), ['CANCELLED', 'COMPLETE', 'OPEN', 'PAID', 'REFUNDED', 'SHIPPED'], 'every status present');
  const share = Object.fromEntries(statuses.map((r) => [r.s, r.n / 10_000]));
  t.ok(share.COMPLETE! > 0.7, 'most orders are complete');
  t.ok(share.CANCELLED! < 0.1 && share.REFUNDED! < 0.1, 'a few per cent cancelled and refunded');

  // Lines: 1–5 distinct products numbered 1..n, price copied, product stocked at the store.
  t.equal(await count(sql`select count(*) as n from orders o where not exists (select 1 from order_items i where i.order_id = o.order_id)`), 0);
  t.equal(await count(sql`select count(*) as n from (select order_id from order_items group by order_id
    having count(*) > 5 or max(line_item_id) <> count(*) or min(line_item_id) <> 1 or count(distinct product_id) <> count(*)) x`), 0);
  t.equal(await count(sql`select count(*) as n from order_items i join products p using (product_id) where i.unit_price <> p.unit_price`), 0);
  t.equal(await count(sql`select count(*) as n from order_items i join orders o using (order_id)
    where not exists (select 1 from inventory v where v.store_id = o.store_id and v.product_id = i.product_id)`), 0);
  t.equal(await count(sql`select count(*) as n from order_items where quantity not between 1 and 3`), 0);

  // Events: start with null→OPEN, end in the order's status, one per version, times increasing.
  t.equal(await count(sql`select count(*) as n from orders o where (select count(*) from order_events e where e.order_id = o.order_id) <> o.version`), 0);
  t.equal(await count(sql`select count(*) as n from orders o where (select e.to_status from order_events e
    where e.order_id = o.order_id order by e.event_id desc limit 1) <> o.order_status`), 0);
  t.equal(await count(sql`select count(*) as n from (select from_status, created_at,
    lag(to_status) over w as prev_to, lag(created_at) over w as prev_at, row_number() over w as k
    from order_events window w as (partition by order_id order by event_id)) e
    where (k = 1 and (from_status is not null or e.created_at is null)) or (k > 1 and (from_status <> prev_to or created_at < prev_at))`), 0);
  t.equal(await count(sql`select count(*) as n from order_events where created_at > ${now.toISOString()}::timestamptz
    or created_at < ${now.toISOString()}::timestamptz - interval '2 years'`), 0, 'within two years before now');

  // Shipments follow the order status.
  t.equal(await count(sql`select count(*) as n from orders o join shipments s using (order_id)
    where not case o.order_status when 'PAID' then s.shipment_status = 'CREATED'
      when 'SHIPPED' then s.shipment_status in ('SHIPPED', 'IN-TRANSIT')
      when 'COMPLETE' then s.shipment_status = 'DELIVERED' when 'REFUNDED' then s.shipment_status = 'DELIVERED' else false end`), 0);
  t.equal(await count(sql`select count(*) as n from order_items i join orders o using (order_id)
    where o.order_status in ('SHIPPED', 'COMPLETE', 'REFUNDED') and i.shipment_id is null`), 0, 'shipped orders are fully dispatched');
  t.equal(await count(sql`select count(*) as n from order_items i join shipments s using (shipment_id) join orders o on o.order_id = i.order_id
    where s.order_id <> i.order_id or s.store_id <> o.store_id or s.customer_id <> o.customer_id or s.delivery_address = ''`), 0);
  t.ok(await count(sql`select count(*) as n from (select order_id from shipments group by 1 having count(*) = 2) x`) > 0, 'some orders ship in two parcels');
  t.ok(await count(sql`select count(*) as n from shipments where shipment_status = 'CREATED'`) > 0, 'some paid orders are being packed');
  t.equal(await count(sql`select count(*) as n from shipments where shipped_at < created_at or in_transit_at < shipped_at or delivered_at < in_transit_at
    or (shipment_status = 'DELIVERED' and delivered_at is null)`), 0);
  t.equal(await count(sql`select count(*) as n from order_items i join orders o using (order_id) where i.returned_quantity > 0 and o.order_status <> 'REFUNDED'`), 0);
  t.ok(await count(sql`select count(*) as n from order_items where returned_quantity > 0`) > 0, 'some units came back');

  // Ledger and stock levels.
  const kinds = await queryRows<{ kind: string }>(db, sql`select distinct kind from stock_movements order by 1`);
  t.same(kinds.map((k) => k.kind).filter((k) => k !== 'count'), ['adjustment', 'receipt', 'return', 'sale']);
  t.equal(await count(sql`select count(*) as n from stock_movements where kind = 'sale' and (order_id is null or shipment_id is null)`), 0);
  t.equal(await count(sql`select count(*) as n from stock_movements where kind = 'adjustment' and reason is null`), 0);
  t.ok(await count(sql`select count(*) as n from inventory where on_hand - reserved <= reorder_point`) > 0, 'some items are low on stock');
  t.ok(await count(sql`select count(*) as n from inventory where reserved > 0`) > 0, 'open orders reserve stock');

  await assertReferencesValid(t);

  // Master data looks real.
  t.equal(await count(sql`select count(*) as n from customers where email_address <> lower(email_address) or email_address !~ '^[a-z._]+[0-9]+@[a-z.]+$' or full_name !~ '^[^ ]+ [^ ]'`), 0);
  t.ok(await count(sql`select count(distinct brand) as n from products`) >= 15, 'about twenty brands');
  t.ok(await count(sql`select count(*) as n from products where not active`) > 0, 'a few inactive products');
  t.equal(await count(sql`select count(*) as n from products where rating not between 1 and 5 or unit_price <= 0`), 0);
  t.equal(await count(sql`select count(*) as n from stores where physical_address is not null and (latitude is null or longitude is null)`), 0);
  t.ok(await count(sql`select count(*) as n from stores where web_address is null`) > 0, 'a physical-only store');
  t.ok(await count(sql`select count(*) as n from stores where physical_address is null`) > 0, 'a web-only store');
  t.ok(await count(sql`select count(*) as n from stores where physical_address is not null and web_address is not null`) > 0, 'a store with both');
});

t.test('the fast path stays on with the order-counter trigger, and the seed counts its orders itself', async (t) => {
  // The trigger on orders would otherwise turn fast loading off (it skips every ordinary trigger).
  // (SET LOCAL: the setting ends with this transaction.) Tests connect as a superuser.
  t.equal(await db.transaction((tx) => enableFastLoad(tx)), true, 'enableFastLoad accepts the counter trigger');
  const before = await count(sql`select count(*) as n from orders`);
  await seedData(db, { stores: 0, products: 0, customers: 10, orders: 60, now });
  t.equal(await count(sql`select count(*) as n from orders`), before + 60);
  t.same(await customerCounterDrift(db), [], 'every seeded order counted, with the trigger skipped');
});

t.test('a second seed appends and keeps stock consistent', async (t) => {
  const before = await queryRows<{ stores: number; products: number; customers: number; orders: number; onhand: number }>(db, sql`
    select (select count(*)::int from stores) as stores, (select count(*)::int from products) as products,
      (select count(*)::int from customers) as customers, (select count(*)::int from orders) as orders,
      (select sum(on_hand)::int from inventory) as onhand`);
  const s = await seedData(db, { stores: 1, products: 25, customers: 0, orders: 400, now });
  t.match(s, { stores: 1, products: 25, customers: 0, orders: 400 });
  t.equal(await count(sql`select count(*) as n from stores`), before[0]!.stores + 1);
  t.equal(await count(sql`select count(*) as n from products`), before[0]!.products + 25);
  t.equal(await count(sql`select count(*) as n from orders`), before[0]!.orders + 400);
  await assertConsistent(t, 'after appending with existing customers');

  // Only new customers and orders: existing inventory rows gain stock and reservations.
  // (also the path with per-row FK triggers, as for a database role that is not a superuser)
  const s2 = await seedData(db, { stores: 0, products: 0, customers: 50, orders: 300, now: new Date(), fastLoad: false });
  t.match(s2, { stores: 0, products: 0, customers: 50, orders: 300, inventoryRows: 0 });
  t.equal(await count(sql`select count(*) as n from customers`), before[0]!.customers + 50);
  await assertConsistent(t, 'after appending on existing stock');
  await assertReferencesValid(t);

  // Ids continue from the sequences, so the application's own inserts still work.
  const [c] = await queryRows<{ id: number }>(db, sql`insert into customers (email_address, full_name)
    values ('after.seed@example.test', 'After Seed') returning customer_id as id`);
  t.equal(Number(c!.id), before[0]!.customers + 51);
});

t.test('verifyStock reports broken invariants', async (t) => {
  const [row] = await queryRows<{ store_id: number; product_id: number }>(db, sql`
    select store_id, product_id from inventory where reserved > 0 order by store_id, product_id limit 1`);
  const { store_id: storeId, product_id: productId } = row!;
  const other = storeId === 1 ? 2 : 1;

  // A movement that on_hand does not reflect (movements cannot be deleted, so repair on_hand).
  await db.execute(sql`insert into stock_movements (store_id, product_id, quantity, kind, reason)
    values (${storeId}, ${productId}, 2, 'adjustment', 'test: unbalanced')`);
  let found = await verifyStock(db);
  t.equal(found.length, 1);
  t.match(found[0], { storeId, productId, problems: [/movements add up to/] });
  t.equal(found[0]!.ledgerSum, found[0]!.onHand! + 2);
  t.match(formatDiscrepancies(found), `store ${storeId}, product ${productId}`);
  t.same(await verifyStock(db, { storeIds: [other] }), [], 'other stores are not reported');
  t.equal((await verifyStock(db, { storeIds: [storeId, other] })).length, 1);
  await db.execute(sql`update inventory set on_hand = on_hand + 2 where store_id = ${storeId} and product_id = ${productId}`);
  t.same(await verifyStock(db), []);

  // A reservation that no open order accounts for.
  await db.execute(sql`update inventory set reserved = reserved + 1 where store_id = ${storeId} and product_id = ${productId}`);
  found = await verifyStock(db);
  t.match(found, [{ storeId, productId, problems: [/^Reserved is \d+, but open orders reserve \d+\.$/] }]);
  t.equal(found[0]!.reserved, found[0]!.openReserved + 1);
  await db.execute(sql`update inventory set reserved = reserved - 1 where store_id = ${storeId} and product_id = ${productId}`);

  // An open order cancelled behind the ledger's back leaves its reservations dangling.
  const [open] = await queryRows<{ order_id: number }>(db, sql`
    select order_id from orders where order_status = 'OPEN' order by order_id limit 1`);
  await db.execute(sql`update orders set order_status = 'CANCELLED' where order_id = ${open!.order_id}`);
  const lines = await count(sql`select count(*) as n from order_items where order_id = ${open!.order_id}`);
  found = await verifyStock(db);
  t.equal(found.length, lines, 'one discrepancy per line of the order');
  t.ok(found.every((d) => d.reserved! > d.openReserved));
  await db.execute(sql`update orders set order_status = 'OPEN' where order_id = ${open!.order_id}`);

  // Stock without any movement.
  const [p] = await queryRows<{ id: number }>(db, sql`insert into products (sku, product_name, unit_price)
    values ('TEST-NO-MOVES', 'Test product', 1.00) returning product_id as id`);
  await db.execute(sql`insert into inventory (store_id, product_id, on_hand) values (${storeId}, ${p!.id}, 3)`);
  found = await verifyStock(db);
  t.match(found, [{ storeId, productId: p!.id, onHand: 3, ledgerSum: 0, problems: ['On hand is 3, but there are no stock movements.'] }]);
  await db.execute(sql`insert into stock_movements (store_id, product_id, quantity, kind)
    values (${storeId}, ${found[0]!.productId}, 3, 'receipt')`);
  t.same(await verifyStock(db), [], 'consistent again');
  t.equal(formatDiscrepancies([]), 'Stock is consistent: no discrepancies found.');
});
