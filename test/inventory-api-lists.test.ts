// The inventory API's reads: the stock list (filters, every sort through keyset pages, staff
// scope, CSV), the ledger with running balances, idempotent replays, the reports and OpenAPI.
import t from 'tap';
import { sql } from 'drizzle-orm';
import { queryRows } from '../src/db/client.ts';
import { apiAs, pairState, setupInventory, writeCounts } from './inventory-fixtures.ts';
import { csvLines } from './csv-rows.ts';

const { app, db, S1, S2, S3, A, B, tokens, admin, staff } = await setupInventory(t);
const asAdmin = apiAs(app, tokens.admin);
const asStaff = apiAs(app, tokens.staff);

/** Every item of a list, following nextCursor. */
async function walk(client: ReturnType<typeof apiAs>, url: string) {
  const items: any[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res = await client.get(`${url}${url.includes('?') ? '&' : '?'}${cursor ? `cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
    items.push(...res.json().items);
    cursor = res.json().nextCursor;
    if (++pages > 500) throw new Error('no end of pages');
  } while (cursor);
  return items;
}

// A known history at (S1, A): receipt 10, damaged -2, count to 5, receipt 7, transfer out 4.
await asAdmin.post('/api/v1/inventory/receipts', { storeId: S1, productId: A, quantity: 10 });
await asAdmin.post('/api/v1/inventory/adjustments', { storeId: S1, productId: A, quantity: -2, reason: 'damaged' });
await asStaff.post('/api/v1/inventory/counts', { storeId: S1, productId: A, countedQuantity: 5 });
await asAdmin.post('/api/v1/inventory/receipts', { storeId: S1, productId: A, quantity: 7 });
await asAdmin.post('/api/v1/inventory/transfers', { fromStoreId: S1, toStoreId: S2, items: [{ productId: A, quantity: 4 }] });

t.test('every sort walks all rows once, in order, through keyset pages', async (t) => {
  // The expected order, tie-breaker included, straight from SQL (so the collation is the server's).
  const expr: Record<string, string> = {
    store: 'i.store_id', sku: 'p.sku', product: 'p.product_name', onHand: 'i.on_hand', reserved: 'i.reserved',
    available: 'i.on_hand - i.reserved', reorderPoint: 'i.reorder_point', lastMovementAt: "coalesce(i.last_movement_at, '-infinity')",
  };
  for (const sort of Object.keys(expr)) {
    for (const order of ['asc', 'desc']) {
      const tie = sort === 'store' ? 'i.product_id' : 'i.store_id::bigint * 2147483648 + i.product_id';
      const expected = await queryRows<{ k: string }>(db, sql.raw(`select i.store_id || ':' || i.product_id as k from inventory i
        join products p on p.product_id = i.product_id order by ${expr[sort]} ${order}, ${tie} ${order}`));
      const items = await walk(asAdmin, `/api/v1/inventory?sort=${sort}&order=${order}&limit=9`);
      t.same(items.map((i) => `${i.storeId}:${i.productId}`), expected.map((e) => e.k), `${sort} ${order}: every row once, in order`);
    }
  }
  const bad = await asAdmin.get('/api/v1/inventory?sort=colour');
  t.equal(bad.statusCode, 400);
  t.match(bad.json().message, /Cannot sort by "colour"/);
  t.equal((await asAdmin.get('/api/v1/inventory?cursor=garbage')).statusCode, 400);
});

t.test('filters: store, product, text, brand, low and out of stock; staff see their stores only', async (t) => {
  const one = await asAdmin.get(`/api/v1/inventory?storeId=${S1}&productId=${A}`);
  t.match(one.json().items, [{ storeId: S1, productId: A, onHand: 8, reserved: 0, available: 8, sku: 'INV-A', productName: 'Inventory Alpha' }]);
  t.same((await asAdmin.get('/api/v1/inventory?q=inventory alpha')).json().items.map((i: any) => i.storeId).sort(), [S1, S2].sort());
  t.equal((await asAdmin.get('/api/v1/inventory?q=INV-a')).json().items.length, 2, 'SKU search ignores case');
  t.same((await asAdmin.get('/api/v1/inventory?brand=Testbrand')).json().items.map((i: any) => i.sku), ['INV-A', 'INV-A']);
  const low = await walk(asAdmin, '/api/v1/inventory?lowStock=true&limit=50');
  t.ok(low.length > 0 && low.every((i) => i.available <= i.reorderPoint), 'low stock: available at or under the reorder point');
  const [{ lowCount }] = await queryRows<{ lowCount: number }>(db, sql`select count(*)::int as "lowCount" from inventory where on_hand - reserved <= reorder_point`) as [{ lowCount: number }];
  t.equal(low.length, lowCount);
  const out = await walk(asAdmin, '/api/v1/inventory?outOfStock=true&limit=50');
  t.ok(out.every((i) => i.available === 0), 'out of stock: nothing available');
  const mine = await walk(asStaff, '/api/v1/inventory?limit=50');
  t.ok(mine.length > 0 && mine.every((i) => i.storeId === S1), 'staff: only their store');
  t.equal((await asStaff.get(`/api/v1/inventory?storeId=${S2}`)).statusCode, 403, 'another store is refused, not an empty list');
});

t.test('CSV export keeps the filters and streams every row', async (t) => {
  const res = await asAdmin.get(`/api/v1/inventory?storeId=${S1}&format=csv&sort=sku`);
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /text\/csv/);
  const lines = csvLines(res.body);
  t.equal(lines[0], 'storeId,storeName,productId,sku,productName,brand,onHand,reserved,available,reorderPoint,lastMovementAt');
  const [{ n }] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from inventory where store_id = ${S1}`) as [{ n: number }];
  t.equal(lines.length - 1, Number(n));
  const ledger = await asStaff.get('/api/v1/inventory/movements?format=csv');
  t.match(csvLines(ledger.body)[0], /^movementId,createdAt,storeId/);
  t.ok(csvLines(ledger.body).slice(1).every((l) => l.split(',')[2] === String(S1)), 'staff export: their store only');
});

t.test('the ledger: filters, actor, and a running balance that is right on every page', async (t) => {
  const history = await walk(asAdmin, `/api/v1/inventory/movements?storeId=${S1}&productId=${A}&limit=2`);
  t.same(history.map((m) => [m.kind, m.quantity, m.balance]), [
    ['transfer_out', -4, 8], ['receipt', 7, 12], ['count', -3, 5], ['adjustment', -2, 8], ['receipt', 10, 10],
  ]);
  t.same(history.map((m) => m.actor), [admin.email, admin.email, staff.email, admin.email, admin.email]);
  const receipts = await walk(asAdmin, `/api/v1/inventory/movements?storeId=${S1}&productId=${A}&kind=receipt&limit=1`);
  t.same(receipts.map((m) => m.balance), [12, 10], 'filtered pages still count the movements they leave out');
  const oldestFirst = await walk(asAdmin, `/api/v1/inventory/movements?storeId=${S1}&productId=${A}&order=asc&limit=3`);
  t.same(oldestFirst.map((m) => m.balance), [10, 8, 5, 12, 8]);
  t.same((await walk(asAdmin, `/api/v1/inventory/movements?actor=${encodeURIComponent(staff.email.toUpperCase())}`)).map((m) => m.kind), ['count']);
  t.same((await walk(asAdmin, `/api/v1/inventory/movements?actor=${staff.id}`)).length, 1);
  const today = new Date().toISOString().slice(0, 10);
  t.equal((await walk(asAdmin, `/api/v1/inventory/movements?productId=${A}&from=${today}&to=${today}`)).length, 6);
  t.equal((await walk(asAdmin, `/api/v1/inventory/movements?productId=${A}&to=2000-01-01`)).length, 0);
  t.equal((await asAdmin.get('/api/v1/inventory/movements?from=yesterday')).statusCode, 400);

  // Every balance in the whole ledger, across pages and pairs, against a window over all of it.
  const all = await walk(asAdmin, '/api/v1/inventory/movements?limit=37');
  const expected = new Map((await queryRows<{ id: number; balance: number }>(db, sql`select movement_id as id,
    sum(quantity) over (partition by store_id, product_id order by movement_id)::int as balance from stock_movements`)).map((r) => [Number(r.id), Number(r.balance)]));
  t.equal(all.length, expected.size);
  t.ok(all.every((m) => m.balance === expected.get(m.movementId)), 'each balance = sum of movements up to it');
  const scoped = await walk(asStaff, '/api/v1/inventory/movements?limit=50');
  t.ok(scoped.length > 0 && scoped.every((m) => m.storeId === S1), 'staff: their store only');
});

t.test('Idempotency-Key: a replay returns the first answer and posts nothing', async (t) => {
  const key = { 'idempotency-key': 'receipt-key-0001' };
  const body = { storeId: S3, productId: B, quantity: 3 };
  const first = await asAdmin.post('/api/v1/inventory/receipts', body, key);
  t.equal(first.statusCode, 201);
  const before = await writeCounts(db);
  const again = await asAdmin.post('/api/v1/inventory/receipts', body, key);
  t.equal(again.statusCode, 201);
  t.equal(again.headers['idempotent-replayed'], 'true');
  t.same(again.json(), first.json());
  t.same(await writeCounts(db), before, 'one movement for two requests');
  t.equal((await pairState(db, S3, B)).movements, 1);

  const other = await asAdmin.post('/api/v1/inventory/receipts', { ...body, quantity: 4 }, key);
  t.equal(other.statusCode, 422);
  t.match(other.json().message, /already used for a different request/);
  t.equal((await asAdmin.post('/api/v1/inventory/receipts', body, { 'idempotency-key': 'bad key!' })).statusCode, 400);

  const tKey = { 'idempotency-key': 'transfer-key-0001' };
  const transfer = { fromStoreId: S3, toStoreId: S1, items: [{ productId: B, quantity: 1 }] };
  const t1 = await asAdmin.post('/api/v1/inventory/transfers', transfer, tKey);
  const afterFirst = await writeCounts(db);
  const t2 = await asAdmin.post('/api/v1/inventory/transfers', transfer, tKey);
  t.same([t1.statusCode, t2.statusCode], [201, 201]);
  t.equal(t2.json().transferId, t1.json().transferId);
  t.same(await writeCounts(db), afterFirst);

  // A refusal is not stored: the same key may be retried once the stock is there.
  const aKey = { 'idempotency-key': 'adjust-key-0001' };
  const adjust = { storeId: S3, productId: B, quantity: -5, reason: 'lost' };
  t.equal((await asAdmin.post('/api/v1/inventory/adjustments', adjust, aKey)).statusCode, 409);
  await asAdmin.post('/api/v1/inventory/receipts', { storeId: S3, productId: B, quantity: 10 });
  t.equal((await asAdmin.post('/api/v1/inventory/adjustments', adjust, aKey)).statusCode, 201);
  const keyed = { 'idempotency-key': 'count-key-0001' };
  const c1 = await asStaff.post('/api/v1/inventory/counts', { storeId: S1, productId: A, countedQuantity: 7 }, keyed);
  const c2 = await asStaff.post('/api/v1/inventory/counts', { storeId: S1, productId: A, countedQuantity: 7 }, keyed);
  t.same(c2.json(), c1.json(), 'counts replay too');
});

t.test('reports: order lines, products by store, units in delivered shipments', async (t) => {
  const [order] = await queryRows<{ order_id: number; store_id: number; n: number }>(db, sql`select o.order_id, o.store_id, count(*)::int as n
    from orders o join order_items i using (order_id) where o.store_id = ${S2} group by 1, 2 order by n desc, 1 limit 1`);
  const lines = await asAdmin.get(`/api/v1/inventory/reports/order-lines?orderId=${order!.order_id}`);
  t.equal(lines.statusCode, 200);
  t.equal(lines.json().items.length, order!.n);
  for (const l of lines.json().items) t.equal(Number(l.lineTotal), Math.round(l.quantity * Number(l.unitPrice) * 100) / 100);
  t.match(lines.json().items[0], { orderId: Number(order!.order_id), storeId: S2, customerName: String, productName: String });
  t.equal((await asAdmin.get('/api/v1/inventory/reports/order-lines?orderId=99999999')).statusCode, 404);
  t.equal((await asStaff.get(`/api/v1/inventory/reports/order-lines?orderId=${order!.order_id}`)).statusCode, 404, 'staff: not their store');
  t.equal((await asAdmin.get('/api/v1/inventory/reports/order-lines')).statusCode, 400);

  const byStore = await walk(asAdmin, `/api/v1/inventory/reports/store-products?storeId=${S1}&limit=4`);
  const expected = await queryRows<{ product_id: number; orders: number; units: number; open: number }>(db, sql`
    select i.product_id, count(*)::int as orders, sum(i.quantity)::int as units, count(*) filter (where o.order_status = 'OPEN')::int as open
    from orders o join order_items i using (order_id) where o.store_id = ${S1} group by 1`);
  t.equal(byStore.length, expected.length);
  for (const e of expected) t.match(byStore.find((r) => r.productId === Number(e.product_id)), { orders: e.orders, units: e.units, open: e.open });
  t.ok(byStore.every((r, k) => k === 0 || byStore[k - 1].orders >= r.orders), 'most ordered first');
  t.equal((await asStaff.get(`/api/v1/inventory/reports/store-products?storeId=${S2}`)).statusCode, 403);
  t.equal((await asAdmin.get('/api/v1/inventory/reports/store-products')).statusCode, 400, 'storeId is required');

  const delivered = await walk(asAdmin, '/api/v1/inventory/reports/delivered-units?limit=7');
  const [sum] = await queryRows<{ units: number; products: number }>(db, sql`select sum(i.quantity)::int as units, count(distinct i.product_id)::int as products
    from shipments s join order_items i on i.shipment_id = s.shipment_id where s.shipment_status = 'DELIVERED'`);
  t.ok(sum!.units > 0, 'the seed delivered something');
  t.equal(delivered.reduce((s, r) => s + r.units, 0), sum!.units);
  t.equal(delivered.length, sum!.products);
  const atS1 = await walk(asStaff, '/api/v1/inventory/reports/delivered-units?limit=50');
  const [s1] = await queryRows<{ units: number }>(db, sql`select coalesce(sum(i.quantity), 0)::int as units
    from shipments s join order_items i on i.shipment_id = s.shipment_id where s.shipment_status = 'DELIVERED' and s.store_id = ${S1}`);
  t.equal(atS1.reduce((s, r) => s + r.units, 0), s1!.units, 'staff: their store only');
  t.same((await walk(asAdmin, '/api/v1/inventory/reports/delivered-units?to=2000-01-01')), []);
  const csv = await asAdmin.get(`/api/v1/inventory/reports/store-products?storeId=${S1}&format=csv`);
  t.match(csvLines(csv.body)[0], 'productId,sku,productName,open,paid,shipped,complete,cancelled,refunded,orders,units,salesValue');
});

t.test('OpenAPI documents every inventory route under the inventory tag', async (t) => {
  const doc = (await app.inject({ url: '/api/openapi.json' })).json();
  const paths = Object.keys(doc.paths).filter((p) => p.startsWith('/api/v1/inventory'));
  for (const p of ['/api/v1/inventory/', '/api/v1/inventory/receipts', '/api/v1/inventory/adjustments', '/api/v1/inventory/counts',
    '/api/v1/inventory/transfers', '/api/v1/inventory/reorder-points', '/api/v1/inventory/movements', '/api/v1/inventory/reports/order-lines']) {
    t.ok(paths.some((x) => x.replace(/\/$/, '') === p.replace(/\/$/, '')), `${p} documented`);
  }
  for (const p of paths) for (const op of Object.values(doc.paths[p]) as Array<{ tags: string[] }>) t.same(op.tags, ['inventory'], p);
});
