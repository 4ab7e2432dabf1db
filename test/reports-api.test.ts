// The reports API: who may read what, validation of every parameter, CSV and the OpenAPI entry.
// (The figures themselves are checked against the raw tables in reports-figures.test.ts.)
import t from 'tap';
import { sql } from 'drizzle-orm';
import { buildTestApp, makeUser, apiLogin } from './helper.ts';
import { seedData } from '../src/db/seed.ts';
import { queryRows } from '../src/db/client.ts';
import { csvLines } from './csv-rows.ts';

const { app } = await buildTestApp(t);
await seedData(app.db, { stores: 3, products: 30, customers: 40, orders: 200 });
const stores = (await queryRows<{ id: number }>(app.db, sql`select store_id as id from stores order by store_id`)).map((r) => Number(r.id));
const [s1, s2, s3] = stores as [number, number, number];
const admin = await makeUser(app, 'admin');
const staff = await makeUser(app, 'staff', { storeIds: [s1] });
const customer = await makeUser(app, 'customer');
const tokens = {
  admin: await apiLogin(app, admin.email, admin.password),
  staff: await apiLogin(app, staff.email, staff.password),
  customer: await apiLogin(app, customer.email, customer.password),
};
const endpoints = ['sales', 'product-sales', 'order-status', 'shipment-status', 'stock-value'];

const get = (url: string, token?: string, headers: Record<string, string> = {}) =>
  app.inject({ method: 'GET', url, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });

t.test('a bearer token is required', async (t) => {
  for (const e of endpoints) {
    const res = await get(`/api/v1/reports/${e}`);
    t.equal(res.statusCode, 401, e);
    t.equal(res.json().status, 401);
  }
});

t.test('customers may not read reports', async (t) => {
  for (const e of endpoints) {
    const res = await get(`/api/v1/reports/${e}`, tokens.customer);
    t.equal(res.statusCode, 403, e);
    t.match(res.json().message, /store staff and administrators/);
  }
});

t.test('staff read their stores and get 403 for another', async (t) => {
  for (const e of endpoints) {
    const mine = await get(`/api/v1/reports/${e}?storeId=${s1}`, tokens.staff);
    t.equal(mine.statusCode, 200, `${e} own store`);
    t.equal(mine.json().storeId, s1);
    const other = await get(`/api/v1/reports/${e}?storeId=${s2}`, tokens.staff);
    t.equal(other.statusCode, 403, `${e} another store`);
    t.equal(other.json().message, `Store #${s2} is not one of the stores you work at.`);
  }
  // Without storeId, staff get their own stores only: the same figures as asking for store 1.
  const all = await get('/api/v1/reports/sales?year=2026', tokens.staff);
  const one = await get(`/api/v1/reports/sales?year=2026&storeId=${s1}`, tokens.staff);
  t.same(all.json().totals, one.json().totals);
  t.equal(all.json().storeId, null);
  const stock = await get('/api/v1/reports/stock-value', tokens.staff);
  t.same(stock.json().items.map((r: { storeId: number }) => r.storeId), [s1], 'stock of their store only');
});

t.test('admins read every store, or one', async (t) => {
  const all = await get('/api/v1/reports/stock-value', tokens.admin);
  t.same(all.json().items.map((r: { storeId: number }) => r.storeId).sort(), [s1, s2, s3].sort());
  const sum = (rows: Array<{ units: number }>) => rows.reduce((a, r) => a + r.units, 0);
  t.equal(all.json().totals.units, sum(all.json().items));
  const year = new Date().getUTCFullYear();
  const whole = (await get(`/api/v1/reports/sales?year=${year}`, tokens.admin)).json();
  let parts = 0;
  for (const s of stores) parts += (await get(`/api/v1/reports/sales?year=${year}&storeId=${s}`, tokens.admin)).json().totals.orders;
  t.equal(whole.totals.orders, parts, 'the stores add up to the whole');
  const missing = await get('/api/v1/reports/sales?storeId=999999', tokens.admin);
  t.equal(missing.statusCode, 404);
  t.equal(missing.json().message, 'Store #999999 was not found.');
});

t.test('the report shapes', async (t) => {
  const sales = (await get('/api/v1/reports/sales?year=2026&month=2', tokens.admin)).json();
  t.match(sales, { year: 2026, month: 2, from: '2026-02-01', to: '2026-02-28', storeId: null, grain: 'day' });
  t.equal(sales.items.length, 28);
  t.match(sales.items[0], { period: '2026-02-01', orders: Number, units: Number, revenue: /^\d+\.\d{2}$/ });
  const year = (await get('/api/v1/reports/sales?year=2025', tokens.admin)).json();
  t.equal(year.grain, 'month');
  t.same(year.items.map((r: { period: string }) => r.period), Array.from({ length: 12 }, (_, i) => `2025-${String(i + 1).padStart(2, '0')}`));
  const defaulted = (await get('/api/v1/reports/sales', tokens.admin)).json();
  t.equal(defaulted.year, new Date().getUTCFullYear(), 'this year by default (it has orders)');
  t.equal(defaulted.month, null);

  const products = (await get('/api/v1/reports/product-sales?year=2026&limit=5&sort=revenue', tokens.admin)).json();
  t.ok(products.items.length <= 5 && products.items.length > 0);
  t.match(products.items[0], { productId: Number, productName: String, orders: Number, units: Number, revenue: /^\d+\.\d{2}$/ });
  const revenues = products.items.map((r: { revenue: string }) => Number(r.revenue));
  t.same(revenues, [...revenues].sort((a, b) => b - a), 'largest revenue first');

  const status = (await get('/api/v1/reports/order-status?year=2026', tokens.admin)).json();
  t.same(status.items.map((r: { orderStatus: string }) => r.orderStatus), ['OPEN', 'PAID', 'SHIPPED', 'COMPLETE', 'CANCELLED', 'REFUNDED']);
  t.equal(status.totals.orders, status.items.reduce((a: number, r: { orders: number }) => a + r.orders, 0));
  const shipments = (await get('/api/v1/reports/shipment-status?year=2026', tokens.admin)).json();
  t.same(shipments.items.map((r: { shipmentStatus: string }) => r.shipmentStatus), ['CREATED', 'SHIPPED', 'IN-TRANSIT', 'DELIVERED']);

  const empty = (await get('/api/v1/reports/sales?year=2001', tokens.admin)).json();
  t.same(empty.totals, { orders: 0, units: 0, revenue: '0.00' }, 'an empty period answers zeros');
  t.ok(empty.items.every((r: { orders: number; revenue: string }) => r.orders === 0 && r.revenue === '0.00'));
  const none = (await get('/api/v1/reports/product-sales?year=2001', tokens.admin)).json();
  t.same(none.items, []);
});

t.test('every parameter is validated', async (t) => {
  const bad = [
    'sales?month=13', 'sales?month=0', 'sales?year=abc', 'sales?year=1800', 'sales?storeId=0', 'sales?storeId=x',
    'product-sales?limit=0', 'product-sales?limit=201', 'product-sales?sort=price', 'order-status?month=1.5',
    'shipment-status?format=xml', 'stock-value?storeId=-1',
  ];
  for (const q of bad) {
    const res = await get(`/api/v1/reports/${q}`, tokens.admin);
    t.equal(res.statusCode, 400, q);
    t.equal(res.json().status, 400);
    t.ok(res.json().errors.length > 0, `${q} names the field`);
  }
});

t.test('CSV', async (t) => {
  const res = await get('/api/v1/reports/sales?year=2025&format=csv', tokens.admin);
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], 'text/csv');
  t.match(res.headers['content-disposition'], 'sales-2025.csv');
  const lines = csvLines(res.body);
  t.equal(lines[0], 'period,orders,units,revenue');
  t.equal(lines.length, 13);
  const json = (await get('/api/v1/reports/sales?year=2025', tokens.admin)).json();
  t.equal(lines[3], `${json.items[2].period},${json.items[2].orders},${json.items[2].units},${json.items[2].revenue}`, 'the same rows as the JSON');
  const accept = await get(`/api/v1/reports/stock-value?storeId=${s1}`, tokens.staff, { accept: 'text/csv' });
  t.match(accept.headers['content-type'], 'text/csv');
  t.equal(csvLines(accept.body)[0], 'storeId,storeName,items,units,value,lowStock');
  for (const e of ['product-sales', 'order-status', 'shipment-status']) {
    const r = await get(`/api/v1/reports/${e}?year=2026&format=csv`, tokens.admin);
    t.equal(r.statusCode, 200, e);
    t.match(r.headers['content-type'], 'text/csv', e);
  }
  const refused = await get(`/api/v1/reports/sales?storeId=${s2}&format=csv`, tokens.staff);
  t.equal(refused.statusCode, 403, 'CSV obeys the same scope');
});

t.test('OpenAPI documents the reports', async (t) => {
  const doc = (await app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
  for (const e of endpoints) {
    const op = doc.paths[`/api/v1/reports/${e}`]?.get;
    t.ok(op, e);
    t.same(op.tags, ['reports'], `${e} tagged`);
    t.ok(op.responses['200'] && op.responses['403'], `${e} responses`);
  }
  const params = doc.paths['/api/v1/reports/product-sales'].get.parameters.map((p: { name: string }) => p.name).sort();
  t.same(params, ['format', 'limit', 'month', 'sort', 'storeId', 'year']);
});
