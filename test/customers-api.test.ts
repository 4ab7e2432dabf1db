// /api/v1/customers: roles (a customer reads only their own record), list paging/sorting/CSV,
// validation, optimistic locking, delete refusals, the customer's orders and shipments, the
// shipment-status counts, and the OpenAPI description.
import t from 'tap';
import { sql } from 'drizzle-orm';
import { buildTestApp, makeUser, apiLogin } from './helper.ts';
import { csvLines } from './csv-rows.ts';
import { seedData } from '../src/db/seed.ts';
import { queryRows } from '../src/db/client.ts';

const { app } = await buildTestApp(t);
await seedData(app.db, { stores: 3, products: 15, customers: 40, orders: 250 });
const stores = await queryRows<{ id: number }>(app.db, sql`select store_id as id from stores order by store_id`);
const storeA = stores[0]!.id;
const admin = await makeUser(app, 'admin');
const staff = await makeUser(app, 'staff', { storeIds: [storeA] });
const shopper = await makeUser(app, 'customer');
const adminToken = await apiLogin(app, admin.email, admin.password);
const staffToken = await apiLogin(app, staff.email, staff.password);
const shopperToken = await apiLogin(app, shopper.email, shopper.password);

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const call = (token: string | null, method: Method, url: string, payload?: unknown) => app.inject({
  method, url: `/api/v1/customers${url}`, payload: payload as never,
  headers: token ? { authorization: `Bearer ${token}` } : {},
});
const counts = async () => (await queryRows<{ customers: number; audits: number }>(app.db, sql`
  select (select count(*)::int from customers) as customers, (select count(*)::int from audit_events where entity = 'customer') as audits`))[0]!;
const audits = (id: number) => queryRows<{ action: string; before: Record<string, unknown> | null; after: Record<string, unknown> | null }>(app.db, sql`
  select action, before, after from audit_events where entity = 'customer' and entity_id = ${String(id)} order by audit_id`);

// A customer with orders at several stores, for the order/shipment sub-lists.
const [busy] = await queryRows<{ id: number }>(app.db, sql`
  select customer_id as id from orders group by 1 having count(distinct store_id) > 1 order by count(*) desc, 1 limit 1`);
const busyId = busy!.id;

t.test('authentication and roles', async (t) => {
  t.equal((await call(null, 'GET', '/')).statusCode, 401);
  t.equal((await call('not-a-real-token-abcdefghijkl', 'GET', '/')).statusCode, 401);
  const before = await counts();
  const own = shopper.customerId!;
  const refused: Array<[Method, string, unknown?]> = [
    ['GET', '/'], ['GET', '/?format=csv'], ['GET', '/shipment-status'], ['POST', '/', { fullName: 'X', emailAddress: 'x@example.test' }],
    ['GET', `/${busyId}`], ['GET', `/${busyId}/orders`], ['GET', `/${busyId}/shipments`],
    ['PUT', `/${own}`, { fullName: 'Me', emailAddress: shopper.email, version: 1 }], ['PATCH', `/${own}`, { fullName: 'Me', version: 1 }],
    ['DELETE', `/${own}`], ['GET', '/999999'],
  ];
  for (const [method, url, body] of refused) {
    const res = await call(shopperToken, method, url, body);
    t.equal(res.statusCode, 403, `${method} ${url}`);
    t.match(res.json(), { status: 403, message: /own customer record/ });
  }
  t.same(await counts(), before, 'nothing written');
  const mine = await call(shopperToken, 'GET', `/${own}`);
  t.equal(mine.statusCode, 200);
  t.match(mine.json(), { customerId: own, emailAddress: shopper.email, orderCount: 0, lastOrderAt: null, version: 1 });
  t.equal((await call(shopperToken, 'GET', `/${own}/orders`)).statusCode, 200);
  t.same((await call(shopperToken, 'GET', `/${own}/shipments`)).json(), { items: [], nextCursor: null });
});

t.test('a customer sees all their own orders, whichever store', async (t) => {
  const [acct] = await queryRows<{ id: number }>(app.db, sql`
    insert into users (email, password_hash, full_name, role, customer_id)
    select 'busy-' || customer_id || '@example.test', (select password_hash from users where user_id = ${shopper.id}), full_name, 'customer', customer_id
    from customers where customer_id = ${busyId} returning user_id as id`);
  t.ok(acct);
  const token = await apiLogin(app, `busy-${busyId}@example.test`, shopper.password);
  const res = await call(token, 'GET', `/${busyId}/orders?limit=200`);
  t.equal(res.statusCode, 200);
  const [n] = await queryRows<{ n: number }>(app.db, sql`select count(*)::int as n from orders where customer_id = ${busyId}`);
  t.equal(res.json().items.length, n!.n);
  t.equal((await call(token, 'GET', `/${busyId}`)).json().orderCount, n!.n);
  await app.db.execute(sql`delete from users where user_id = ${acct!.id}`);
});

t.test('list: shape, default sort, cursor paging to the end', async (t) => {
  const res = await call(adminToken, 'GET', '/?limit=5');
  t.equal(res.statusCode, 200);
  const body = res.json();
  t.equal(body.items.length, 5);
  t.same(Object.keys(body.items[0]).sort(), ['createdAt', 'customerId', 'emailAddress', 'fullName', 'lastOrderAt', 'orderCount', 'version']);
  t.match(body.items[0].createdAt, /^\d{4}-\d\d-\d\dT.*Z$/);
  const expected = await queryRows<{ id: number }>(app.db, sql`select customer_id as id from customers order by full_name, customer_id`);
  const ids: number[] = [];
  let cursor: string | null = null;
  do {
    const page = await call(adminToken, 'GET', `/?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
    t.equal(page.statusCode, 200);
    ids.push(...page.json().items.map((c: { customerId: number }) => c.customerId));
    cursor = page.json().nextCursor;
  } while (cursor);
  t.same(ids, expected.map((r) => r.id));
  t.equal((await call(adminToken, 'GET', '/')).json().items.length, Math.min(50, expected.length), 'default limit 50');
});

t.test('list: sort by order figures, search, and bad parameters', async (t) => {
  const res = await call(adminToken, 'GET', '/?sort=lastOrderAt&order=desc&limit=200');
  const expected = await queryRows<{ id: number; n: number; l: Date | null }>(app.db, sql`
    select c.customer_id as id, count(o.order_id)::int as n, max(o.order_tms) as l from customers c left join orders o using (customer_id)
    group by c.customer_id order by coalesce(max(o.order_tms), '-infinity') desc, c.customer_id desc`);
  t.same(res.json().items.map((c: { customerId: number }) => c.customerId), expected.map((r) => r.id));
  const top = res.json().items[0];
  t.equal(top.orderCount, expected[0]!.n);
  t.equal(top.lastOrderAt, new Date(expected[0]!.l!).toISOString());
  const staffView = await call(staffToken, 'GET', `/${busyId}`);
  const [scoped] = await queryRows<{ n: number }>(app.db, sql`select count(*)::int as n from orders where customer_id = ${busyId} and store_id = ${storeA}`);
  t.equal(staffView.json().orderCount, scoped!.n, 'staff: order figures of their stores');

  const [one] = await queryRows<{ email: string; id: number }>(app.db, sql`select email_address as email, customer_id as id from customers order by customer_id limit 1`);
  const search = await call(adminToken, 'GET', `/?q=${encodeURIComponent(one!.email.toUpperCase())}`);
  t.same(search.json().items.map((c: { customerId: number }) => c.customerId), [one!.id]);

  const badParams: Array<[string, string]> = [['/?sort=password', 'sort'], ['/?cursor=nope', 'cursor'], ['/?limit=0', 'limit'], ['/?limit=500', 'limit'], ['/?order=sideways', 'order']];
  for (const [url, field] of badParams) {
    const bad = await call(adminToken, 'GET', url);
    t.equal(bad.statusCode, 400, url);
    t.match(bad.json(), { status: 400, errors: [{ field: new RegExp(field) }] });
  }
  const forged = await call(adminToken, 'GET', `/?sort=createdAt&cursor=${Buffer.from('["not-a-date",1,"n"]').toString('base64url')}`);
  t.equal(forged.statusCode, 400);
});

t.test('list as CSV, with search and sort', async (t) => {
  const res = await call(adminToken, 'GET', '/?format=csv&sort=orderCount&order=desc&q=example');
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], 'text/csv');
  const lines = csvLines(res.body);
  t.equal(lines[0], 'customerId,fullName,emailAddress,createdAt,orderCount,lastOrderAt');
  const expected = await queryRows<{ id: number }>(app.db, sql`
    select c.customer_id as id from customers c left join orders o using (customer_id)
    where c.full_name ilike '%example%' or c.email_address ilike '%example%'
    group by c.customer_id order by count(o.order_id) desc, c.customer_id desc`);
  t.same(lines.slice(1).map((l) => Number(l.split(',')[0])), expected.map((r) => r.id));
  const accept = await app.inject({ method: 'GET', url: '/api/v1/customers?q=zzzz-none', headers: { authorization: `Bearer ${adminToken}`, accept: 'text/csv' } });
  t.equal(csvLines(accept.body).join('\n'), 'customerId,fullName,emailAddress,createdAt,orderCount,lastOrderAt', 'Accept: text/csv works too');
});

t.test('create: 201 with Location; validation 400/422; duplicate email 409; nothing written on refusal', async (t) => {
  const res = await call(staffToken, 'POST', '/', { fullName: ' Katherine Johnson ', emailAddress: 'Katherine@Example.test' });
  t.equal(res.statusCode, 201);
  const created = res.json();
  t.match(created, { fullName: 'Katherine Johnson', emailAddress: 'Katherine@Example.test', orderCount: 0, lastOrderAt: null, version: 1 });
  t.equal(res.headers.location, `/api/v1/customers/${created.customerId}`);
  const [a] = await audits(created.customerId);
  t.match(a, { action: 'create', before: null, after: { fullName: 'Katherine Johnson' } });

  const before = await counts();
  const bad: Array<[unknown, number, string]> = [
    [{ emailAddress: 'a@example.test' }, 400, 'fullName'],
    [{ fullName: '', emailAddress: 'a@example.test' }, 400, 'fullName'],
    [{ fullName: 'x'.repeat(201), emailAddress: 'a@example.test' }, 400, 'fullName'],
    [{ fullName: 'A' }, 400, 'emailAddress'],
    [{ fullName: 'A', emailAddress: 'not an email' }, 400, 'emailAddress'],
    [{ fullName: 'A', emailAddress: 42 }, 400, 'emailAddress'],
    [{ fullName: 'A', emailAddress: 'a@example.test', admin: true }, 400, 'admin'],
    [{ fullName: '   ', emailAddress: 'a@example.test' }, 422, 'fullName'],
    [{ fullName: 'Dup', emailAddress: 'KATHERINE@example.TEST' }, 409, 'emailAddress'],
  ];
  for (const [body, status, field] of bad) {
    const r = await call(adminToken, 'POST', '/', body);
    t.equal(r.statusCode, status, JSON.stringify(body).slice(0, 70));
    t.match(r.json(), { status, errors: [{ field: new RegExp(field) }] });
  }
  const dup = await call(adminToken, 'POST', '/', { fullName: 'Dup', emailAddress: 'katherine@example.test' });
  t.equal(dup.json().message, 'Another customer already uses this email address.');
  const text = await app.inject({ method: 'POST', url: '/api/v1/customers', payload: 'fullName=x', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'text/plain' } });
  t.equal(text.statusCode, 415);
  t.same(await counts(), before);
});

t.test('concurrent creates with one email in different cases: exactly one wins', async (t) => {
  const before = await counts();
  const emails = ['race@example.test', 'RACE@example.test', 'Race@Example.Test', 'race@EXAMPLE.test', 'rAcE@example.test'];
  const answers = await Promise.all(emails.map((emailAddress, i) => call(i % 2 ? staffToken : adminToken, 'POST', '/', { fullName: `Racer ${i}`, emailAddress })));
  t.same(answers.map((a) => a.statusCode).sort(), [201, 409, 409, 409, 409]);
  for (const a of answers.filter((x) => x.statusCode === 409)) t.match(a.json(), { errors: [{ field: 'emailAddress', message: 'Another customer already uses this email address.' }] });
  const after = await counts();
  t.equal(after.customers, before.customers + 1);
  t.equal(after.audits, before.audits + 1);
});

t.test('read one: 404 unknown, 400 malformed id', async (t) => {
  const res = await call(adminToken, 'GET', `/${busyId}`);
  t.equal(res.statusCode, 200);
  const [n] = await queryRows<{ n: number; l: Date }>(app.db, sql`select count(*)::int as n, max(order_tms) as l from orders where customer_id = ${busyId}`);
  t.match(res.json(), { customerId: busyId, orderCount: n!.n, lastOrderAt: new Date(n!.l).toISOString() });
  t.equal((await call(adminToken, 'GET', '/999999')).statusCode, 404);
  t.match((await call(adminToken, 'GET', '/999999')).json(), { status: 404, message: 'Customer #999999 was not found.' });
  t.equal((await call(adminToken, 'GET', '/abc')).statusCode, 400);
});

t.test('update: PUT and PATCH with versions; a stale version is 409 with the current record', async (t) => {
  const { customerId: id } = (await call(adminToken, 'POST', '/', { fullName: 'Margaret Hamilton', emailAddress: 'margaret@example.test' })).json();
  const put = await call(adminToken, 'PUT', `/${id}`, { fullName: 'Margaret H. Hamilton', emailAddress: 'margaret@example.test', version: 1 });
  t.equal(put.statusCode, 200);
  t.match(put.json(), { customerId: id, fullName: 'Margaret H. Hamilton', version: 2 });
  const patch = await call(staffToken, 'PATCH', `/${id}`, { emailAddress: 'mh@example.test', version: 2 });
  t.equal(patch.statusCode, 200);
  t.match(patch.json(), { fullName: 'Margaret H. Hamilton', emailAddress: 'mh@example.test', version: 3 });

  const before = await counts();
  // Two clients both read version 3; the first save wins, the second is told what is there now.
  const first = await call(adminToken, 'PATCH', `/${id}`, { fullName: 'First Writer', version: 3 });
  t.equal(first.statusCode, 200);
  const second = await call(staffToken, 'PUT', `/${id}`, { fullName: 'Second Writer', emailAddress: 'mh@example.test', version: 3 });
  t.equal(second.statusCode, 409);
  t.match(second.json(), { status: 409, message: /Someone else changed this customer/, current: { customerId: id, fullName: 'First Writer', version: 4 } });
  t.equal((await counts()).audits, before.audits + 1, 'only the first write is audited');

  const rules: Array<[Method, unknown, number]> = [
    ['PUT', { fullName: 'No Version', emailAddress: 'mh@example.test' }, 400],
    ['PUT', { fullName: 'Partial', version: 4 }, 400],
    ['PATCH', { fullName: 'No Version' }, 400],
    ['PATCH', { fullName: 'x'.repeat(201), version: 4 }, 400],
    ['PATCH', { emailAddress: 'bad', version: 4 }, 400],
    ['PATCH', { version: 4, customerId: 1 }, 400],
    ['PATCH', { fullName: ' ', version: 4 }, 422],
    ['PATCH', { emailAddress: 'KATHERINE@example.test', version: 4 }, 409],
  ];
  const mid = await counts();
  for (const [method, body, status] of rules) {
    const r = await call(adminToken, method, `/${id}`, body);
    t.equal(r.statusCode, status, `${method} ${JSON.stringify(body).slice(0, 60)}`);
  }
  t.same(await counts(), mid, 'refusals write nothing');
  const [row] = await queryRows<{ full_name: string; version: number }>(app.db, sql`select full_name, version from customers where customer_id = ${id}`);
  t.same(row, { full_name: 'First Writer', version: 4 });
  t.equal((await call(adminToken, 'PUT', '/999999', { fullName: 'X', emailAddress: 'x@example.test', version: 1 })).statusCode, 404);

  const trail = await audits(id);
  t.same(trail.map((a) => a.action), ['create', 'update', 'update', 'update']);
  t.match(trail[2], { before: { emailAddress: 'margaret@example.test', version: 2 }, after: { emailAddress: 'mh@example.test', version: 3 } });
});

t.test('delete: 409 while orders exist or an account is linked, 204 otherwise', async (t) => {
  const before = await counts();
  const withOrders = await call(adminToken, 'DELETE', `/${busyId}`);
  t.equal(withOrders.statusCode, 409);
  t.match(withOrders.json().message, /^This customer has orders and cannot be deleted/);
  const linked = await call(adminToken, 'DELETE', `/${shopper.customerId}`);
  t.equal(linked.statusCode, 409);
  t.match(linked.json().message, /linked to the sign-in account/);
  t.same(await counts(), before);

  const { customerId: id } = (await call(adminToken, 'POST', '/', { fullName: 'Short Lived', emailAddress: 'short@example.test' })).json();
  const stale = await call(adminToken, 'DELETE', `/${id}?version=2`);
  t.equal(stale.statusCode, 409);
  const ok = await call(staffToken, 'DELETE', `/${id}?version=1`);
  t.equal(ok.statusCode, 204);
  t.equal((await call(adminToken, 'GET', `/${id}`)).statusCode, 404);
  t.same((await audits(id)).map((a) => a.action), ['create', 'delete']);
  t.equal((await call(adminToken, 'DELETE', `/${id}`)).statusCode, 404);
});

t.test('the customer\'s orders: totals, store names, staff scope, cursor, status filter, CSV', async (t) => {
  const expected = await queryRows<{ id: number; tms: Date; status: string; store: number; name: string; total: string }>(app.db, sql`
    select o.order_id as id, o.order_tms as tms, o.order_status as status, o.store_id as store, s.store_name as name,
      (select sum(i.unit_price * i.quantity) from order_items i where i.order_id = o.order_id)::numeric(14,2)::text as total
    from orders o join stores s using (store_id) where o.customer_id = ${busyId} order by o.order_tms desc, o.order_id desc`);
  const all = (await call(adminToken, 'GET', `/${busyId}/orders?limit=200`)).json();
  t.same(all.items, expected.map((e) => ({ orderId: e.id, orderTimestamp: new Date(e.tms).toISOString(), orderStatus: e.status, storeId: e.store, storeName: e.name, total: e.total })));
  t.equal(all.nextCursor, null);

  const ids: number[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: Array<{ orderId: number }>; nextCursor: string | null } = (await call(adminToken, 'GET', `/${busyId}/orders?limit=2${cursor ? `&cursor=${cursor}` : ''}`)).json();
    ids.push(...page.items.map((o) => o.orderId));
    cursor = page.nextCursor;
  } while (cursor);
  t.same(ids, expected.map((e) => e.id), 'paged with cursors');

  const byTotal = (await call(adminToken, 'GET', `/${busyId}/orders?sort=total&order=asc&limit=200`)).json().items.map((o: { total: string }) => Number(o.total));
  t.same(byTotal, [...byTotal].sort((a, b) => a - b));

  const staffList = (await call(staffToken, 'GET', `/${busyId}/orders?limit=200`)).json();
  t.same(staffList.items.map((o: { orderId: number }) => o.orderId), expected.filter((e) => e.store === storeA).map((e) => e.id));
  t.ok(staffList.items.length < expected.length);

  const status = expected[0]!.status;
  const filtered = (await call(adminToken, 'GET', `/${busyId}/orders?status=${status}&limit=200`)).json();
  t.same(filtered.items.map((o: { orderId: number }) => o.orderId), expected.filter((e) => e.status === status).map((e) => e.id));
  t.equal((await call(adminToken, 'GET', `/${busyId}/orders?status=LOST`)).statusCode, 400);
  t.equal((await call(adminToken, 'GET', `/${busyId}/orders?sort=secret`)).statusCode, 400);
  t.equal((await call(adminToken, 'GET', '/999999/orders')).statusCode, 404);

  const csv = await call(adminToken, 'GET', `/${busyId}/orders?format=csv`);
  const lines = csvLines(csv.body);
  t.equal(lines[0], 'orderId,orderTimestamp,orderStatus,storeId,storeName,total');
  t.equal(lines.length, expected.length + 1);
});

t.test('the customer\'s shipments, scoped and paged', async (t) => {
  const expected = await queryRows<{ id: number; store: number }>(app.db, sql`
    select shipment_id as id, store_id as store from shipments where customer_id = ${busyId} order by created_at desc, shipment_id desc`);
  const all = (await call(adminToken, 'GET', `/${busyId}/shipments?limit=200`)).json();
  t.same(all.items.map((s: { shipmentId: number }) => s.shipmentId), expected.map((e) => e.id));
  if (all.items[0]) t.same(Object.keys(all.items[0]).sort(), ['createdAt', 'deliveryAddress', 'orderId', 'shipmentId', 'shipmentStatus', 'storeId', 'storeName']);
  const staffList = (await call(staffToken, 'GET', `/${busyId}/shipments?limit=200`)).json();
  t.same(staffList.items.map((s: { shipmentId: number }) => s.shipmentId), expected.filter((e) => e.store === storeA).map((e) => e.id));
  const first = (await call(adminToken, 'GET', `/${busyId}/shipments?limit=1`)).json();
  t.equal(first.items.length, Math.min(1, expected.length));
  if (expected.length > 1) {
    const second = (await call(adminToken, 'GET', `/${busyId}/shipments?limit=1&cursor=${first.nextCursor}`)).json();
    t.equal(second.items[0].shipmentId, expected[1]!.id);
  }
  const csv = await call(adminToken, 'GET', `/${busyId}/shipments?format=csv`);
  t.equal(csvLines(csv.body).length, expected.length + 1);
});

t.test('customers by shipment status', async (t) => {
  const res = await call(adminToken, 'GET', '/shipment-status');
  t.equal(res.statusCode, 200);
  const rows = await queryRows<{ s: string; n: number }>(app.db, sql`select shipment_status as s, count(distinct customer_id)::int as n from shipments group by 1`);
  const want = ['CREATED', 'SHIPPED', 'IN-TRANSIT', 'DELIVERED'].map((s) => ({ shipmentStatus: s, customers: rows.find((r) => r.s === s)?.n ?? 0 }));
  t.same(res.json(), want);
  const mine = await queryRows<{ s: string; n: number }>(app.db, sql`select shipment_status as s, count(distinct customer_id)::int as n from shipments where store_id = ${storeA} group by 1`);
  t.same((await call(staffToken, 'GET', '/shipment-status')).json(), ['CREATED', 'SHIPPED', 'IN-TRANSIT', 'DELIVERED'].map((s) => ({ shipmentStatus: s, customers: mine.find((r) => r.s === s)?.n ?? 0 })));
});

t.test('OpenAPI describes the customer routes', async (t) => {
  const doc = (await app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
  const paths = doc.paths as Record<string, Record<string, { tags?: string[] }>>;
  for (const [path, methods] of [['/api/v1/customers/', ['get', 'post']], ['/api/v1/customers/{id}', ['get', 'put', 'patch', 'delete']],
    ['/api/v1/customers/{id}/orders', ['get']], ['/api/v1/customers/{id}/shipments', ['get']], ['/api/v1/customers/shipment-status', ['get']]] as const) {
    for (const m of methods) t.same(paths[path]?.[m]?.tags, ['customers'], `${m} ${path}`);
  }
});
