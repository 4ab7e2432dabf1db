// `q` filters for real on the lists that declare it (a client must never believe it filtered):
// shipments, stock movements and a customer's orders, API and pages, scoped like the rest.
import t from 'tap';
import { sql } from 'drizzle-orm';
import { queryRows } from '../src/db/client.ts';
import { seedData } from '../src/db/seed.ts';
import { apiLogin, buildTestApp, makeUser, Client } from './helper.ts';

const { app } = await buildTestApp(t);
await seedData(app.db, { stores: 3, products: 10, customers: 6, orders: 30 });
const admin = await makeUser(app, 'admin');
const auth = { authorization: `Bearer ${await apiLogin(app, admin.email, admin.password)}` };
const get = async (url: string, headers = auth) => {
  const res = await app.inject({ url, headers });
  if (res.statusCode !== 200) throw new Error(`${url} → ${res.statusCode} ${res.body}`);
  return res.json().items as Array<Record<string, unknown>>;
};

t.test('shipments: q matches the shipment, its order and its customer, within the viewer\'s stores', async (t) => {
  const [s] = await queryRows<{ shipmentId: number; orderId: number; storeId: number; name: string }>(app.db, sql`
    select s.shipment_id::int as "shipmentId", s.order_id::int as "orderId", s.store_id::int as "storeId", c.full_name as name
    from shipments s join customers c using (customer_id) order by s.shipment_id limit 1`);
  t.ok(s, 'the seed made a shipment');
  t.same(await get('/api/v1/shipments?q=zzzznothere'), []);
  t.ok((await get(`/api/v1/shipments?q=${s!.orderId}`)).some((r) => r.shipmentId === s!.shipmentId), 'by order number');
  const byName = await get(`/api/v1/shipments?q=${encodeURIComponent(s!.name)}&limit=200`);
  t.ok(byName.some((r) => r.shipmentId === s!.shipmentId), 'by customer name');
  const staff = await makeUser(app, 'staff', { storeIds: [s!.storeId === 1 ? 2 : 1] });
  const staffAuth = { authorization: `Bearer ${await apiLogin(app, staff.email, staff.password)}` };
  t.notOk((await get(`/api/v1/shipments?q=${s!.orderId}`, staffAuth)).some((r) => r.shipmentId === s!.shipmentId), 'staff still scoped');
  const client = new Client(app);
  await client.login(admin.email, admin.password);
  const page = await client.get('/shipments?q=zzzznothere');
  t.equal(page.statusCode, 200);
  t.notMatch(page.body, `/shipments/${s!.shipmentId}"`);
  t.match((await client.get(`/shipments?q=${s!.orderId}`)).body, `/shipments/${s!.shipmentId}`);
});

t.test('stock movements: q matches the product\'s SKU or name and the reference', async (t) => {
  const [p] = await queryRows<{ sku: string }>(app.db, sql`select p.sku from stock_movements m join products p using (product_id) order by m.movement_id limit 1`);
  t.same(await get('/api/v1/inventory/movements?q=zzzznothere'), []);
  const rows = await get(`/api/v1/inventory/movements?q=${encodeURIComponent(p!.sku)}&limit=200`);
  t.ok(rows.length > 0);
  t.ok(rows.every((r) => r.sku === p!.sku), 'only that product');
  const client = new Client(app);
  await client.login(admin.email, admin.password);
  const page = await client.get('/inventory/movements?q=zzzznothere');
  t.equal(page.statusCode, 200);
  t.notMatch(page.body, p!.sku);
});

t.test('a customer\'s orders: q matches the order number or a product on it', async (t) => {
  const [o] = await queryRows<{ orderId: number; customerId: number }>(app.db, sql`
    select order_id::int as "orderId", customer_id::int as "customerId" from orders order by order_id limit 1`);
  t.same(await get(`/api/v1/customers/${o!.customerId}/orders?q=zzzznothere`), []);
  const found = await get(`/api/v1/customers/${o!.customerId}/orders?q=${o!.orderId}`);
  t.same(found.map((r) => r.orderId), [o!.orderId]);
});

t.test('the per-product reports: q matches the product\'s SKU or name', async (t) => {
  const [row] = await queryRows<{ sku: string; storeId: number }>(app.db, sql`
    select p.sku, o.store_id::int as "storeId" from order_items i join orders o using (order_id) join products p using (product_id)
    order by i.order_id limit 1`);
  const base = `/api/v1/inventory/reports/store-products?storeId=${row!.storeId}&limit=200`;
  t.same(await get(`${base}&q=zzzznothere`), []);
  const found = await get(`${base}&q=${encodeURIComponent(row!.sku)}`);
  t.ok(found.length > 0 && found.every((r) => r.sku === row!.sku), 'store products: that product only');
  t.same(await get('/api/v1/inventory/reports/delivered-units?q=zzzznothere&limit=200'), []);
  const delivered = await get('/api/v1/inventory/reports/delivered-units?limit=200');
  // 30 seeded orders over two years: most are delivered (the odds of none are negligible).
  t.ok(delivered.length > 0, 'the seed delivered something');
  const sku = String(delivered[0]?.sku);
  const bySku = await get(`/api/v1/inventory/reports/delivered-units?q=${encodeURIComponent(sku)}&limit=200`);
  t.ok(bySku.length > 0 && bySku.every((r) => r.sku === sku), 'delivered units: that product only');
});
