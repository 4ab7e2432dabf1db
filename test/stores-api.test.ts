import t from 'tap';
import { sql } from 'drizzle-orm';
import { buildTestApp, makeUser, apiLogin } from './helper.ts';
import { queryRows } from '../src/db/client.ts';
import { stores, inventory, products } from '../src/db/schema/index.ts';
import { csvLines } from './csv-rows.ts';

const { app } = await buildTestApp(t);
const seeded = await app.db.insert(stores).values([
  { storeName: 'Alpha', physicalAddress: '1 Alpha Road', latitude: '10.5', longitude: '20.25' },
  { storeName: 'Bravo', webAddress: 'https://bravo.example' },
  { storeName: 'Charlie', physicalAddress: '3 Charlie Street' },
]).returning();
const [alpha, bravo, charlie] = seeded as [typeof seeded[0], typeof seeded[0], typeof seeded[0]];
const admin = await makeUser(app, 'admin');
const staff = await makeUser(app, 'staff', { storeIds: [alpha.storeId] });
const customer = await makeUser(app, 'customer');
const tokens = {
  admin: await apiLogin(app, admin.email, admin.password),
  staff: await apiLogin(app, staff.email, staff.password),
  customer: await apiLogin(app, customer.email, customer.password),
};
type Who = keyof typeof tokens;

const call = (who: Who | null, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown) =>
  app.inject({ method, url, headers: who ? { authorization: `Bearer ${tokens[who]}` } : {}, ...(payload === undefined ? {} : { payload: payload as object }) });

const storeCount = async () => (await queryRows<{ n: number }>(app.db, sql`select count(*)::int as n from stores`))[0]!.n;

t.test('every signed-in role lists and reads all stores; anonymous is 401', async (t) => {
  for (const who of ['admin', 'staff', 'customer'] as const) {
    const res = await call(who, 'GET', '/api/v1/stores');
    t.equal(res.statusCode, 200, who);
    t.same(res.json().items.map((s: { storeName: string }) => s.storeName), ['Alpha', 'Bravo', 'Charlie'], `${who} sees the whole catalogue of stores`);
  }
  const one = await call('customer', 'GET', `/api/v1/stores/${alpha.storeId}`);
  t.same(one.json(), { storeId: alpha.storeId, storeName: 'Alpha', webAddress: null, physicalAddress: '1 Alpha Road', latitude: 10.5, longitude: 20.25, version: 1 });
  t.equal((await call(null, 'GET', '/api/v1/stores')).statusCode, 401);
  t.equal((await call('staff', 'GET', '/api/v1/stores/999999')).statusCode, 404);
  t.equal((await call('staff', 'GET', '/api/v1/stores/abc')).statusCode, 400);
});

t.test('list: q, sort, order, cursor, limit, csv', async (t) => {
  const q = await call('staff', 'GET', '/api/v1/stores?q=charlie');
  t.same(q.json().items.map((s: { storeId: number }) => s.storeId), [charlie.storeId]);
  const p1 = await call('staff', 'GET', '/api/v1/stores?sort=storeId&order=desc&limit=2');
  t.same(p1.json().items.map((s: { storeId: number }) => s.storeId), [charlie.storeId, bravo.storeId]);
  t.type(p1.json().nextCursor, 'string');
  const p2 = await call('staff', 'GET', `/api/v1/stores?sort=storeId&order=desc&limit=2&cursor=${p1.json().nextCursor}`);
  t.same(p2.json(), { items: [{ storeId: alpha.storeId, storeName: 'Alpha', webAddress: null, physicalAddress: '1 Alpha Road', latitude: 10.5, longitude: 20.25, version: 1 }], nextCursor: null });
  t.equal((await call('staff', 'GET', '/api/v1/stores?sort=secret')).statusCode, 400);
  t.equal((await call('staff', 'GET', '/api/v1/stores?limit=500')).statusCode, 400);
  t.equal((await call('staff', 'GET', '/api/v1/stores?cursor=garbage')).statusCode, 400);
  const csv = await call('customer', 'GET', '/api/v1/stores?format=csv&sort=storeName&order=desc');
  t.equal(csv.statusCode, 200);
  t.match(String(csv.headers['content-type']), 'text/csv');
  const lines = csvLines(csv.body);
  t.equal(lines[0], 'storeId,storeName,webAddress,physicalAddress,latitude,longitude,version');
  t.same(lines.slice(1).map((l) => l.split(',')[1]), ['Charlie', 'Bravo', 'Alpha']);
});

t.test('writes are for admins: staff and customers get 403 and nothing changes', async (t) => {
  const before = await storeCount();
  for (const who of ['staff', 'customer'] as const) {
    t.equal((await call(who, 'POST', '/api/v1/stores', { storeName: 'Nope', physicalAddress: 'x' })).statusCode, 403, `${who} create`);
    t.equal((await call(who, 'PATCH', `/api/v1/stores/${alpha.storeId}`, { storeName: 'Nope', version: 1 })).statusCode, 403, `${who} update`);
    t.equal((await call(who, 'PUT', `/api/v1/stores/${alpha.storeId}`, { storeName: 'Nope', physicalAddress: 'x', version: 1 })).statusCode, 403, `${who} replace`);
    t.equal((await call(who, 'DELETE', `/api/v1/stores/${charlie.storeId}`)).statusCode, 403, `${who} delete`);
  }
  t.equal(await storeCount(), before);
  const [a] = await queryRows<{ name: string }>(app.db, sql`select store_name as name from stores where store_id = ${alpha.storeId}`);
  t.equal(a!.name, 'Alpha');
});

t.test('create: validation as field errors, 201 with the store', async (t) => {
  const before = await storeCount();
  const expectations: Array<[unknown, number, string]> = [
    [{ storeName: 'No Address' }, 422, 'physicalAddress'],
    [{ storeName: 'Half', physicalAddress: 'x', latitude: 1 }, 422, 'longitude'],
    [{ storeName: 'Range', physicalAddress: 'x', latitude: 91, longitude: 0 }, 400, 'latitude'],
    [{ storeName: 'Range', physicalAddress: 'x', latitude: 0, longitude: 181 }, 400, 'longitude'],
    [{ storeName: 'Str', physicalAddress: 'x', latitude: '1', longitude: '2' }, 400, 'latitude'],
    [{ storeName: 'Extra', physicalAddress: 'x', owner: 'me' }, 400, 'owner'],
    [{ storeName: '', physicalAddress: 'x' }, 400, 'storeName'],
    [{ storeName: '   ', physicalAddress: 'x' }, 422, 'storeName'],
    [{ storeName: 'Blank', physicalAddress: '  ', webAddress: null }, 422, 'physicalAddress'],
    [{ storeName: 'Web', webAddress: 'not a url' }, 400, 'webAddress'],
    [{ storeName: 'bravo', physicalAddress: 'x' }, 409, 'storeName'],
  ];
  for (const [body, status, field] of expectations) {
    const res = await call('admin', 'POST', '/api/v1/stores', body);
    t.equal(res.statusCode, status, JSON.stringify(body));
    const json = res.json();
    t.equal(json.status, status);
    t.ok(json.errors?.some((e: { field: string }) => e.field === field), `${field} named in ${res.body}`);
  }
  t.equal(await storeCount(), before, 'nothing written');
  const ok = await call('admin', 'POST', '/api/v1/stores', { storeName: 'Delta', physicalAddress: '4 Delta Way', latitude: -33.9, longitude: 151.2 });
  t.equal(ok.statusCode, 201);
  t.match(ok.json(), { storeName: 'Delta', latitude: -33.9, longitude: 151.2, webAddress: null, version: 1 });
  t.equal(ok.headers.location, `/api/v1/stores/${ok.json().storeId}`);
});

t.test('update: PATCH and PUT need the version; a stale one is 409 with the current store', async (t) => {
  const patch = await call('admin', 'PATCH', `/api/v1/stores/${bravo.storeId}`, { physicalAddress: '2 Bravo Lane', version: 1 });
  t.equal(patch.statusCode, 200);
  t.match(patch.json(), { storeName: 'Bravo', webAddress: 'https://bravo.example', physicalAddress: '2 Bravo Lane', version: 2 });
  const missing = await call('admin', 'PATCH', `/api/v1/stores/${bravo.storeId}`, { physicalAddress: 'x' });
  t.equal(missing.statusCode, 400);
  t.match(missing.json().errors, [{ field: 'version' }]);
  const stale = await call('admin', 'PATCH', `/api/v1/stores/${bravo.storeId}`, { storeName: 'Stale', version: 1 });
  t.equal(stale.statusCode, 409);
  t.match(stale.json(), { status: 409, message: /Someone else changed this store/, current: { storeId: bravo.storeId, storeName: 'Bravo', version: 2 } });
  const put = await call('admin', 'PUT', `/api/v1/stores/${bravo.storeId}`, { storeName: 'Bravo Online', webAddress: 'https://bravo.example', version: 2 });
  t.equal(put.statusCode, 200);
  t.match(put.json(), { storeName: 'Bravo Online', physicalAddress: null, version: 3 }, 'PUT clears the fields it does not send');
  const breakRule = await call('admin', 'PATCH', `/api/v1/stores/${bravo.storeId}`, { webAddress: null, version: 3 });
  t.equal(breakRule.statusCode, 422, 'removing the only address is refused');
  t.equal((await call('admin', 'PATCH', '/api/v1/stores/999999', { storeName: 'x', version: 1 })).statusCode, 404);
  const audits = await queryRows<{ n: number }>(app.db, sql`select count(*)::int as n from audit_events where entity = 'store' and entity_id = ${String(bravo.storeId)} and action = 'update'`);
  t.equal(audits[0]!.n, 2);
});

t.test('delete: 409 while in use, 204 when empty', async (t) => {
  const [p] = await app.db.insert(products).values({ sku: 'API-1', productName: 'Thing', unitPrice: '1.00' }).returning();
  await app.db.insert(inventory).values({ storeId: charlie.storeId, productId: p!.productId });
  const used = await call('admin', 'DELETE', `/api/v1/stores/${charlie.storeId}`);
  t.equal(used.statusCode, 409);
  t.match(used.json().message, 'Charlie cannot be deleted: it has stock records for 1 product');
  const inUseByStaff = await call('admin', 'DELETE', `/api/v1/stores/${alpha.storeId}`);
  t.equal(inUseByStaff.statusCode, 409);
  const gone = await call('admin', 'DELETE', `/api/v1/stores/${bravo.storeId}`);
  t.equal(gone.statusCode, 204);
  t.equal((await call('admin', 'GET', `/api/v1/stores/${bravo.storeId}`)).statusCode, 404);
  t.equal((await call('admin', 'DELETE', `/api/v1/stores/${bravo.storeId}`)).statusCode, 404);
});

t.test('documented in OpenAPI under the stores tag', async (t) => {
  const doc = (await app.inject({ url: '/api/openapi.json' })).json();
  for (const [path, methods] of [['/api/v1/stores/', ['get', 'post']], ['/api/v1/stores/{id}', ['get', 'put', 'patch', 'delete']]] as const) {
    for (const m of methods) t.same(doc.paths[path]?.[m]?.tags, ['stores'], `${m} ${path}`);
  }
});
