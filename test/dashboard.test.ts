// The dashboard page: cards (with their change and the list behind them), pickers, the htmx
// fragment, CSV of every chart, roles and validation. The figures' correctness against the raw
// tables is in reports-figures.test.ts; here the page must show those same figures.
import t from 'tap';
import { sql } from 'drizzle-orm';
import { buildTestApp, Client, makeUser } from './helper.ts';
import { csvLines } from './csv-rows.ts';
import { seedData } from '../src/db/seed.ts';
import { queryRows } from '../src/db/client.ts';

const { app } = await buildTestApp(t);
await seedData(app.db, { stores: 3, products: 40, customers: 60, orders: 300 });
// A store name that would end a <script> element if the data blocks were not escaped.
await app.db.execute(sql`update stores set store_name = '</script><b>Quay & Co' where store_id = (select max(store_id) from stores)`);
const admin = await makeUser(app, 'admin');
const stores = (await queryRows<{ id: number }>(app.db, sql`select store_id as id from stores order by store_id`)).map((r) => Number(r.id));
const staff = await makeUser(app, 'staff', { storeIds: [stores[0]!] });
const customer = await makeUser(app, 'customer');
const thisYear = new Date().getUTCFullYear();

const card = (body: string, id: string) => {
  const m = new RegExp(`id="dashboard-card-${id}" href="([^"]*)"><span class="card-figure"><span class="card-label">[^<]*</span><br><strong>([\\d,.]+)</strong>`).exec(body);
  if (!m) throw new Error(`card ${id} not found`);
  return { href: m[1]!.replace(/&amp;/g, '&'), value: Number(m[2]!.replace(/,/g, '')) };
};

async function figures(year: number, month: number | null, storeIds: number[] | null) {
  const from = month ? `${year}-${String(month).padStart(2, '0')}-01` : `${year}-01-01`;
  const to = month ? sql`(${from}::date + interval '1 month')` : sql`${`${year + 1}-01-01`}::timestamp`;
  const scope = storeIds ? sql`o.store_id = any(${`{${storeIds.join(',')}}`}::int[])` : sql`true`;
  const [r] = await queryRows<{ orders: number; units: number; revenue: string; customers: number }>(app.db, sql`
    select count(distinct o.order_id)::int as orders, count(distinct o.customer_id)::int as customers,
      coalesce(sum(i.quantity) filter (where o.order_status not in ('CANCELLED','REFUNDED')), 0)::int as units,
      coalesce(sum(i.quantity * i.unit_price) filter (where o.order_status not in ('CANCELLED','REFUNDED')), 0)::numeric(16,2)::text as revenue
    from orders o join order_items i on i.order_id = o.order_id
    where o.order_tms >= (${from}::timestamp at time zone 'UTC') and o.order_tms < (${to} at time zone 'UTC') and ${scope}`);
  const inv = storeIds ? sql`store_id = any(${`{${storeIds.join(',')}}`}::int[])` : sql`true`;
  const [s] = await queryRows<{ stockUnits: number; low: number; products: number }>(app.db, sql`
    select (select coalesce(sum(on_hand), 0)::int from inventory where ${inv}) as "stockUnits",
      (select count(*)::int from inventory where ${inv} and on_hand - reserved <= reorder_point) as low,
      (select count(*)::int from products where active) as products`);
  return { ...r!, ...s! };
}

t.test('admins: cards over every store for this year, each linking to its list', async (t) => {
  const c = new Client(app);
  await c.login(admin.email, admin.password);
  const res = await c.get('/dashboard');
  t.equal(res.statusCode, 200);
  const e = await figures(thisYear, null, null);
  t.equal(card(res.body, 'orders').value, e.orders);
  t.equal(card(res.body, 'revenue').value, Number(e.revenue));
  t.equal(card(res.body, 'units').value, e.units);
  t.equal(card(res.body, 'customers').value, e.customers);
  t.equal(card(res.body, 'products').value, e.products);
  t.equal(card(res.body, 'stock').value, e.stockUnits);
  t.equal(card(res.body, 'low-stock').value, e.low);
  t.equal(card(res.body, 'orders').href, `/orders?from=${thisYear}-01-01&to=${thisYear}-12-31`);
  t.equal(card(res.body, 'customers').href, '/customers');
  t.equal(card(res.body, 'products').href, '/products');
  t.equal(card(res.body, 'stock').href, '/inventory');
  t.equal(card(res.body, 'low-stock').href, '/inventory?lowStock=true');
  t.match(res.body, new RegExp(`(▲|▼)[^<]* vs ${thisYear - 1}|no change vs ${thisYear - 1}`), 'change against last year');
  t.match(res.body, /cancelled or refunded/);
  const picker = /<select id="dashboard-store" name="storeId">([\s\S]*?)<\/select>/.exec(res.body)![1]!;
  t.same([...picker.matchAll(/value="(\d+)"/g)].map((m) => Number(m[1])).sort(), [...stores].sort(), 'every store offered');
  t.match(res.body, '<option value="">All stores</option>');
});

t.test('the year picker offers the years that have orders', async (t) => {
  const c = new Client(app);
  await c.login(admin.email, admin.password);
  const years = (await queryRows<{ y: number }>(app.db, sql`select distinct extract(year from order_tms)::int as y from orders order by 1 desc`)).map((r) => r.y);
  const res = await c.get('/dashboard');
  const select = /<select id="dashboard-year" name="year">([\s\S]*?)<\/select>/.exec(res.body)![1]!;
  t.same([...select.matchAll(/value="(\d+)"/g)].map((m) => Number(m[1])), years);
  const empty = await c.get('/dashboard?year=2001');
  t.match(empty.body, '<option value="2001" selected>', 'a year without orders is shown when asked for');
  t.equal(card(empty.body, 'orders').value, 0);
  t.match(empty.body, 'No orders in this period.');
});

t.test('a month with its store: figures per day and links carrying the filters', async (t) => {
  const c = new Client(app);
  await c.login(admin.email, admin.password);
  const res = await c.get(`/dashboard?year=${thisYear}&month=2&storeId=${stores[1]}`);
  t.equal(res.statusCode, 200);
  const e = await figures(thisYear, 2, [stores[1]!]);
  t.equal(card(res.body, 'orders').value, e.orders);
  t.equal(card(res.body, 'revenue').value, Number(e.revenue));
  t.equal(card(res.body, 'orders').href, `/orders?from=${thisYear}-02-01&to=${thisYear}-02-${thisYear % 4 ? 28 : 29}&storeId=${stores[1]}`);
  t.equal(card(res.body, 'low-stock').href, `/inventory?lowStock=true&storeId=${stores[1]}`);
  t.match(res.body, `Sales per day, February ${thisYear}`);
  t.match(res.body, `<option value="2" selected>February</option>`);
  t.match(res.body, `<option value="${stores[1]}" selected>`);
  // "▲ 12% vs January 2026", or "▲ from 0 in January 2026" when that store sold nothing then.
  t.match(res.body, /(vs|from 0 in) January \d{4}/);
  const data = /<script type="application\/json" id="dashboard-data-sales">([^<]*)<\/script>/.exec(res.body);
  t.equal(JSON.parse(data![1]!).labels.length, thisYear % 4 ? 28 : 29, 'one bar per day');
});

t.test('charts: data blocks, table views and CSV for each', async (t) => {
  const c = new Client(app);
  await c.login(admin.email, admin.password);
  const res = await c.get(`/dashboard?year=${thisYear}`);
  for (const id of ['sales', 'top-units', 'top-revenue', 'order-status', 'shipment-status', 'stock-value']) {
    t.match(res.body, `<canvas data-chart="dashboard-data-${id}"`, `${id} canvas`);
    const block = new RegExp(`<script type="application/json" id="dashboard-data-${id}">([^<]*)</script>`).exec(res.body);
    t.ok(block, `${id} data block`);
    t.doesNotThrow(() => JSON.parse(block![1]!), `${id} JSON`);
    const csv = await c.get(`/dashboard?year=${thisYear}&format=csv&chart=${id}`);
    t.equal(csv.statusCode, 200, `${id} CSV`);
    t.match(csv.headers['content-type'], 'text/csv');
  }
  t.equal((res.body.match(/<details>/g) ?? []).length, 6, 'a table view per chart');
  const stock = JSON.parse(/id="dashboard-data-stock-value">([^<]*)</.exec(res.body)![1]!);
  t.ok(stock.labels.includes('</script><b>Quay & Co'), 'names survive the data block intact');
  t.notMatch(res.body, '</script><b>Quay', 'and never end it early');
  const sales = await c.get(`/dashboard?year=${thisYear}&format=csv&chart=sales`);
  t.equal(csvLines(sales.body)[0], 'period,orders,units,revenue');
  t.equal(csvLines(sales.body).length, 13);
  const low = await c.get('/dashboard?format=csv&chart=low-stock');
  t.equal(csvLines(low.body)[0], 'storeId,storeName,productId,productName,onHand,reserved,available,reorderPoint');
  const bad = await c.get('/dashboard?format=csv&chart=pie');
  t.equal(bad.statusCode, 400);
  t.match(bad.body, 'chart must be one of');
});

t.test('htmx swaps the content in place; a history restore gets the whole page', async (t) => {
  const c = new Client(app);
  await c.login(admin.email, admin.password);
  const frag = await c.get(`/dashboard?year=${thisYear}&month=3`, { 'hx-request': 'true' });
  t.equal(frag.statusCode, 200);
  t.match(frag.body, /^\s*<div id="dashboard-content"/);
  t.notMatch(frag.body, '<html');
  t.notMatch(frag.body, 'id="dashboard-filters"', 'the filters stay where they are');
  t.match(frag.body, `March ${thisYear}`);
  t.match(frag.headers.vary as string, 'HX-Request');
  const restore = await c.get(`/dashboard?year=${thisYear}&month=3`, { 'hx-request': 'true', 'hx-history-restore-request': 'true' });
  t.match(restore.body, '<html');
  t.match(restore.body, 'id="dashboard-filters"');
  t.match(restore.body, 'hx-history="false"', 'no snapshot of drawn canvases is kept');
});

t.test('staff see their own stores only', async (t) => {
  const c = new Client(app);
  await c.login(staff.email, staff.password);
  const res = await c.get(`/dashboard?year=${thisYear}`);
  t.equal(res.statusCode, 200);
  const e = await figures(thisYear, null, [stores[0]!]);
  t.equal(card(res.body, 'orders').value, e.orders);
  t.equal(card(res.body, 'stock').value, e.stockUnits);
  t.equal(card(res.body, 'low-stock').value, e.low);
  t.match(res.body, '<option value="">All my stores</option>');
  const picker = /<select id="dashboard-store" name="storeId">([\s\S]*?)<\/select>/.exec(res.body)![1]!;
  t.same([...picker.matchAll(/value="(\d+)"/g)].map((m) => Number(m[1])), [stores[0]], 'only their store is offered');
  const other = await c.get(`/dashboard?storeId=${stores[1]}`);
  t.equal(other.statusCode, 403);
  t.match(other.body, `Store #${stores[1]} is not one of the stores you work at.`);
  const csv = await c.get(`/dashboard?storeId=${stores[1]}&format=csv&chart=sales`);
  t.equal(csv.statusCode, 403, 'nor its CSV');
});

t.test('refusals and validation', async (t) => {
  const anon = await app.inject({ method: 'GET', url: '/dashboard' });
  t.equal(anon.statusCode, 303);
  t.match(anon.headers.location, '/login?next=');
  const c = new Client(app);
  await c.login(customer.email, customer.password);
  t.equal((await c.get('/dashboard')).statusCode, 403, 'customers');
  const a = new Client(app);
  await a.login(admin.email, admin.password);
  for (const q of ['month=13', 'month=x', 'year=99', 'year=20260', 'storeId=abc', 'storeId=0']) {
    const res = await a.get(`/dashboard?${q}`);
    t.equal(res.statusCode, 400, q);
    t.match(res.body, 'must be a whole number');
  }
  t.equal((await a.get('/dashboard?storeId=999999')).statusCode, 404);
  const blank = await a.get('/dashboard?year=&month=&storeId=');
  t.equal(blank.statusCode, 200, 'empty choices (the form without JavaScript) mean the defaults');
});
