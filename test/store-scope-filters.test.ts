// A store filter outside the viewer's stores is refused (403) on every list, report and page
// that takes one, never answered with an empty list a client takes for "nothing there"; an
// unknown store is 404 naming it. Routes are taken from the app's own list: any GET route whose
// query declares storeId, plus the pages below, which read their query by hand.
import t from 'tap';
import { sql } from 'drizzle-orm';
import { queryRows } from '../src/db/client.ts';
import { seedData } from '../src/db/seed.ts';
import { apiLogin, buildTestApp, makeUser, Client } from './helper.ts';
import { recordRoutes } from './fuzz-helpers.ts';

const recorder = recordRoutes();
const { app } = await buildTestApp(t);
await app.ready();
recorder.stop();
await seedData(app.db, { stores: 4, products: 10, customers: 6, orders: 12 });
const stores = (await queryRows<{ id: number }>(app.db, sql`select store_id::int as id from stores order by 1`)).map((r) => r.id);
const [mine, other] = [stores[0]!, stores.at(-1)!];
const staff = await makeUser(app, 'staff', { storeIds: [mine] });
const admin = await makeUser(app, 'admin');
const staffAuth = { authorization: `Bearer ${await apiLogin(app, staff.email, staff.password)}` };
const adminAuth = { authorization: `Bearer ${await apiLogin(app, admin.email, admin.password)}` };

const takesStore = (r: { schema?: { querystring?: Record<string, unknown> } }) =>
  Object.hasOwn((r.schema?.querystring?.properties as object | undefined) ?? {}, 'storeId');
const apiLists = recorder.routes.filter((r) => r.method === 'GET' && r.url.startsWith('/api/v1/') && !r.url.includes(':') && takesStore(r)).map((r) => r.url);
const pages = ['/dashboard', '/inventory', '/inventory/movements', '/inventory/reports', '/inventory/reports/store-products',
  '/inventory/reports/delivered-units', '/shipments', '/orders', '/orders/by-store'];

t.test('the API lists that take a storeId are found', async (t) => {
  for (const url of ['/api/v1/inventory', '/api/v1/inventory/movements', '/api/v1/orders', '/api/v1/shipments', '/api/v1/inventory/reports/store-products']) {
    t.ok(apiLists.includes(url), url);
  }
});

t.test('staff asking for another store\'s data get 403 (API)', async (t) => {
  for (const url of apiLists) {
    const res = await app.inject({ url: `${url}?storeId=${other}`, headers: staffAuth });
    t.equal(res.statusCode, 403, `${url}?storeId=${other}: ${res.body.slice(0, 120)}`);
    if (url === '/api/v1/users') continue; // admins only, whatever the store
    const own = await app.inject({ url: `${url}?storeId=${mine}`, headers: staffAuth });
    t.equal(own.statusCode, 200, `${url}?storeId=${mine} (their own): ${own.body.slice(0, 120)}`);
  }
});

t.test('an unknown store is 404 naming it (API)', async (t) => {
  for (const url of apiLists) {
    const res = await app.inject({ url: `${url}?storeId=999`, headers: adminAuth });
    t.equal(res.statusCode, 404, `${url}?storeId=999`);
    t.equal(res.json().message, 'Store #999 was not found.', url);
  }
});

t.test('staff asking for another store\'s data get 403 (pages)', async (t) => {
  const client = new Client(app);
  await client.login(staff.email, staff.password);
  for (const url of pages) {
    const res = await client.get(`${url}?storeId=${other}`);
    t.equal(res.statusCode, 403, `${url}?storeId=${other}`);
    const own = await client.get(`${url}?storeId=${mine}`);
    t.equal(own.statusCode, 200, `${url}?storeId=${mine}`);
  }
  const admins = new Client(app);
  await admins.login(admin.email, admin.password);
  for (const url of pages) {
    const res = await admins.get(`${url}?storeId=999`);
    t.equal(res.statusCode, 404, `${url}?storeId=999 (admin)`);
    t.match(res.body, 'Store #999 was not found.');
  }
});
