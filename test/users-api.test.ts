import t from 'tap';
import { sql } from 'drizzle-orm';
import { buildTestApp, makeUser, apiLogin, Client, mailCount } from './helper.ts';
import { queryRows } from '../src/db/client.ts';
import { stores } from '../src/db/schema/index.ts';
import { csvLines } from './csv-rows.ts';

const { app, config } = await buildTestApp(t);
const created = await app.db.insert(stores).values([
  { storeName: 'East', physicalAddress: '1 East St' },
  { storeName: 'West', physicalAddress: '2 West St' },
]).returning();
const [east, west] = created as [typeof created[0], typeof created[0]];
const admin = await makeUser(app, 'admin');
const other = await makeUser(app, 'admin');
const staff = await makeUser(app, 'staff', { storeIds: [east.storeId] });
const customer = await makeUser(app, 'customer');
const tokens = {
  admin: await apiLogin(app, admin.email, admin.password),
  staff: await apiLogin(app, staff.email, staff.password),
  customer: await apiLogin(app, customer.email, customer.password),
};
type Who = keyof typeof tokens;
const call = (who: Who, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown) =>
  app.inject({ method, url, headers: { authorization: `Bearer ${tokens[who]}` }, ...(payload === undefined ? {} : { payload: payload as object }) });
const userCount = async () => (await queryRows<{ n: number }>(app.db, sql`select count(*)::int as n from users`))[0]!.n;

t.test('staff and customers get 403 on every users route; nothing written', async (t) => {
  const before = await userCount();
  for (const who of ['staff', 'customer'] as const) {
    t.equal((await call(who, 'GET', '/api/v1/users')).statusCode, 403, `${who} list`);
    t.equal((await call(who, 'GET', `/api/v1/users/${admin.id}`)).statusCode, 403, `${who} get`);
    t.equal((await call(who, 'POST', '/api/v1/users', { email: 'x@example.test', fullName: 'X', role: 'admin', password: 'long enough pw' })).statusCode, 403);
    t.equal((await call(who, 'PATCH', `/api/v1/users/${admin.id}`, { active: false, version: 1 })).statusCode, 403);
    t.equal((await call(who, 'DELETE', `/api/v1/users/${admin.id}`)).statusCode, 403);
  }
  t.equal(await userCount(), before);
  t.equal((await app.inject({ url: '/api/v1/users' })).statusCode, 401);
});

t.test('list with filters, cursor and CSV; get', async (t) => {
  const all = await call('admin', 'GET', '/api/v1/users?limit=200');
  t.equal(all.statusCode, 200);
  const s = all.json().items.find((u: { id: number }) => u.id === staff.id);
  t.same(s, { id: staff.id, email: staff.email, fullName: staff.fullName, role: 'staff', active: true, storeIds: [east.storeId], customerId: null, version: 1 });
  t.notOk(JSON.stringify(all.json()).includes('password'), 'no password or hash anywhere');
  const admins = await call('admin', 'GET', '/api/v1/users?role=admin&sort=id');
  t.same(admins.json().items.map((u: { id: number }) => u.id), [admin.id, other.id]);
  const page1 = await call('admin', 'GET', '/api/v1/users?sort=id&limit=2');
  const page2 = await call('admin', 'GET', `/api/v1/users?sort=id&limit=2&cursor=${page1.json().nextCursor}`);
  t.same(page2.json().items.map((u: { id: number }) => u.id), [staff.id, customer.id]);
  t.same((await call('admin', 'GET', `/api/v1/users?storeId=${east.storeId}`)).json().items.map((u: { id: number }) => u.id), [staff.id]);
  t.same((await call('admin', 'GET', '/api/v1/users?active=false')).json().items, []);
  t.equal((await call('admin', 'GET', '/api/v1/users?role=root')).statusCode, 400);
  const csv = await call('admin', 'GET', '/api/v1/users?format=csv&role=customer');
  t.equal(csvLines(csv.body)[0], 'id,email,fullName,role,active,storeIds,customerId,createdAt');
  t.match(csvLines(csv.body)[1], `${customer.id},${customer.email},`);
  const one = await call('admin', 'GET', `/api/v1/users/${customer.id}`);
  t.match(one.json(), { id: customer.id, role: 'customer', customerId: customer.customerId, storeIds: [] });
  t.equal((await call('admin', 'GET', '/api/v1/users/999999')).statusCode, 404);
});

t.test('create: validation, then 201 without the password; the password works', async (t) => {
  const before = await userCount();
  const mails = await mailCount(config);
  const base = { email: 'api.staff@example.test', fullName: 'Api Staff', role: 'staff', storeIds: [west.storeId], password: 'api password 123' };
  const cases: Array<[unknown, number, string]> = [
    [{ ...base, email: 'nope' }, 400, 'email'],
    [{ ...base, role: 'customer' }, 400, 'role'],
    [{ ...base, password: 'short' }, 400, 'password'],
    [{ ...base, password: 'zzzzzzzzzzzz' }, 422, 'password'],
    [{ ...base, storeIds: [] }, 422, 'storeIds'],
    [{ ...base, storeIds: [999999] }, 422, 'storeIds'],
    [{ ...base, role: 'admin' }, 422, 'storeIds'],
    [{ ...base, fullName: '  ' }, 422, 'fullName'],
    [{ ...base, email: staff.email.toUpperCase() }, 409, 'email'],
    [{ ...base, isAdmin: true }, 400, 'isAdmin'],
  ];
  for (const [body, status, field] of cases) {
    const res = await call('admin', 'POST', '/api/v1/users', body);
    t.equal(res.statusCode, status, `${field}: ${res.body}`);
    t.ok(res.json().errors?.some((e: { field: string }) => e.field === field), `${field} named`);
  }
  t.equal(await userCount(), before, 'nothing written');
  t.equal(await mailCount(config), mails, 'no mail');

  const res = await call('admin', 'POST', '/api/v1/users', base);
  t.equal(res.statusCode, 201);
  t.same(Object.keys(res.json()).sort(), ['active', 'customerId', 'email', 'fullName', 'id', 'role', 'storeIds', 'version']);
  t.match(res.json(), { email: 'api.staff@example.test', role: 'staff', active: true, storeIds: [west.storeId] });
  t.ok(await apiLogin(app, base.email, base.password), 'signs in with the password given');

  const invited = await call('admin', 'POST', '/api/v1/users', { email: 'api.admin@example.test', fullName: 'Api Admin', role: 'admin' });
  t.equal(invited.statusCode, 201);
  t.equal(await mailCount(config), mails + 1, 'without a password, a set-password link is mailed');
});

t.test('update: version required, conflicts answer with the current user, rules hold', async (t) => {
  const u = await makeUser(app, 'staff', { storeIds: [east.storeId] });
  t.equal((await call('admin', 'PATCH', `/api/v1/users/${u.id}`, { fullName: 'No Version' })).statusCode, 400);
  const ok = await call('admin', 'PATCH', `/api/v1/users/${u.id}`, { fullName: 'Patched', storeIds: [east.storeId, west.storeId], version: 1 });
  t.equal(ok.statusCode, 200);
  t.match(ok.json(), { fullName: 'Patched', storeIds: [east.storeId, west.storeId], version: 2 });
  const stale = await call('admin', 'PATCH', `/api/v1/users/${u.id}`, { fullName: 'Stale', version: 1 });
  t.equal(stale.statusCode, 409);
  t.match(stale.json(), { status: 409, message: /Someone else changed this user/, current: { id: u.id, fullName: 'Patched', version: 2 } });
  const put = await call('admin', 'PUT', `/api/v1/users/${u.id}`, { role: 'admin', storeIds: [], version: 2 });
  t.equal(put.statusCode, 200);
  t.match(put.json(), { role: 'admin', storeIds: [], version: 3 });
  const demoteNoStores = await call('admin', 'PATCH', `/api/v1/users/${u.id}`, { role: 'staff', version: 3 });
  t.equal(demoteNoStores.statusCode, 422, 'a staff member needs a store');
  const toCustomer = await call('admin', 'PATCH', `/api/v1/users/${customer.id}`, { role: 'staff', storeIds: [east.storeId], version: 1 });
  t.equal(toCustomer.statusCode, 422);
  t.match(toCustomer.json().message, 'Customer accounts keep the customer role');
  const ownRole = await call('admin', 'PATCH', `/api/v1/users/${admin.id}`, { role: 'staff', storeIds: [east.storeId], version: 1 });
  t.equal(ownRole.statusCode, 409);
  t.match(ownRole.json().message, 'You cannot change your own role');
  const [row] = await queryRows<{ role: string }>(app.db, sql`select role from users where user_id = ${admin.id}`);
  t.equal(row!.role, 'admin');
});

t.test('DELETE deactivates: the web session and the token of the user stop at once', async (t) => {
  const u = await makeUser(app, 'staff', { storeIds: [east.storeId] });
  const token = await apiLogin(app, u.email, u.password);
  const web = new Client(app);
  await web.login(u.email, u.password);
  t.equal((await web.get('/stores')).statusCode, 200);
  const res = await call('admin', 'DELETE', `/api/v1/users/${u.id}`);
  t.equal(res.statusCode, 204);
  t.equal((await app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } })).statusCode, 401);
  t.equal((await web.get('/stores')).statusCode, 303, 'the browser session is over');
  t.match((await call('admin', 'GET', `/api/v1/users/${u.id}`)).json(), { active: false, version: 2 });
  const back = await call('admin', 'PATCH', `/api/v1/users/${u.id}`, { active: true, version: 2 });
  t.match(back.json(), { active: true, version: 3 });
  t.equal((await call('admin', 'DELETE', `/api/v1/users/${admin.id}`)).statusCode, 409, 'not yourself');
  t.equal((await call('admin', 'DELETE', '/api/v1/users/999999')).statusCode, 404);
});

t.test('documented in OpenAPI under the users tag; the password is write-only', async (t) => {
  const doc = (await app.inject({ url: '/api/openapi.json' })).json();
  for (const [path, methods] of [['/api/v1/users/', ['get', 'post']], ['/api/v1/users/{id}', ['get', 'put', 'patch', 'delete']]] as const) {
    for (const m of methods) t.same(doc.paths[path]?.[m]?.tags, ['users'], `${m} ${path}`);
  }
  const create = doc.paths['/api/v1/users/'].post;
  const body = JSON.stringify(create.requestBody);
  t.match(body, '"writeOnly":true');
  t.notMatch(JSON.stringify(create.responses['201']), 'password');
});
