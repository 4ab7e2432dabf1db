import t from 'tap';
import { sql } from 'drizzle-orm';
import { buildTestApp, Client, makeUser } from './helper.ts';
import { seedData } from '../src/db/seed.ts';
import { queryRows } from '../src/db/client.ts';
import { csvLines } from './csv-rows.ts';

const { app } = await buildTestApp(t);
await seedData(app.db, { stores: 3, products: 30, customers: 30, orders: 150 });
const storeRows = await queryRows<{ id: number; name: string }>(app.db, sql`select store_id as id, store_name as name from stores order by store_id`);
const [s1, s2, s3] = storeRows as [{ id: number; name: string }, { id: number; name: string }, { id: number; name: string }];
const admin = await makeUser(app, 'admin');
const staff = await makeUser(app, 'staff', { storeIds: [s1.id] });
const customer = await makeUser(app, 'customer');

const adminC = new Client(app);
await adminC.login(admin.email, admin.password);
const staffC = new Client(app);
await staffC.login(staff.email, staff.password);
const customerC = new Client(app);
await customerC.login(customer.email, customer.password);

const count = async (query: ReturnType<typeof sql>) => (await queryRows<{ n: number }>(app.db, query))[0]!.n;
const storeCount = () => count(sql`select count(*)::int as n from stores`);
const auditCount = (entity = 'store') => count(sql`select count(*)::int as n from audit_events where entity = ${entity}`);

t.test('admins see every store with its counts', async (t) => {
  const res = await adminC.get('/stores');
  t.equal(res.statusCode, 200);
  for (const s of storeRows) t.match(res.body, `<a href="/stores/${s.id}">${s.name}</a>`);
  const [expected] = await queryRows<{ units: number; stocked: number; open: number }>(app.db, sql`select
    (select sum(on_hand)::int from inventory where store_id = ${s1.id}) as units,
    (select count(*)::int from inventory where store_id = ${s1.id} and on_hand > 0) as stocked,
    (select count(*)::int from orders where store_id = ${s1.id} and order_status = 'OPEN') as open`);
  const row = new RegExp(`<tr id="store-${s1.id}">[\\s\\S]*?</tr>`).exec(res.body)![0];
  const nums = [...row.matchAll(/<td class="num">(?:<a [^>]*>)?([\d,]+)/g)].map((m) => Number(m[1]!.replace(/,/g, '')));
  t.same(nums, [expected!.units, expected!.stocked, expected!.open], 'stock units, products stocked, open orders');
  t.match(res.body, 'href="/stores/new"', 'admins get the New store button');
  t.match(res.body, '<a href="/stores" aria-current="page">Stores</a>');
});

t.test('staff see only their stores, in the page and in the CSV', async (t) => {
  const res = await staffC.get('/stores');
  t.equal(res.statusCode, 200);
  t.match(res.body, `/stores/${s1.id}"`);
  t.notMatch(res.body, `/stores/${s2.id}"`);
  t.notMatch(res.body, `/stores/${s3.id}"`);
  t.notMatch(res.body, 'href="/stores/new"', 'no New store button for staff');
  const csv = await staffC.get('/stores?format=csv');
  t.equal(csv.statusCode, 200);
  const lines = csvLines(csv.body);
  t.equal(lines.length, 2, 'header and one store');
  t.match(lines[0], 'storeId,storeName,webAddress,physicalAddress,latitude,longitude,stockUnits,productsStocked,openOrders');
  t.match(lines[1], new RegExp(`^${s1.id},`));
});

t.test('two staff members at different stores each see only their own', async (t) => {
  // Regression: the signed-in user's store scope must be their own assignments, not everyone's.
  const other = await makeUser(app, 'staff', { storeIds: [s2.id] });
  const c = new Client(app);
  await c.login(other.email, other.password);
  const list = await c.get('/stores');
  t.match(list.body, `/stores/${s2.id}"`);
  t.notMatch(list.body, `/stores/${s1.id}"`, 'not the store of the other staff member');
  t.equal((await c.get(`/stores/${s1.id}`)).statusCode, 403);
  t.equal((await staffC.get(`/stores/${s2.id}`)).statusCode, 403);
  await app.db.execute(sql`delete from user_stores where user_id = ${other.id}`);
});

t.test('search, sort, pagination and the htmx fragment', async (t) => {
  const frag = await adminC.get(`/stores?q=${encodeURIComponent(s2.name)}`, { 'hx-request': 'true' });
  t.equal(frag.statusCode, 200);
  t.match(frag.body, /^<div id="stores-rows"/);
  t.notMatch(frag.body, '<html');
  t.match(frag.body, `/stores/${s2.id}"`);
  t.notMatch(frag.body, `/stores/${s1.id}"`);
  const none = await adminC.get('/stores?q=no-such-store-anywhere', { 'hx-request': 'true' });
  t.match(none.body, 'No store matches this search.');

  const byIdDesc = await adminC.get('/stores?sort=storeId&order=desc&limit=2');
  const ids = [...byIdDesc.body.matchAll(/<tr id="store-(\d+)">/g)].map((m) => Number(m[1]));
  t.same(ids, [s3.id, s2.id]);
  const next = /href="([^"]*cursor=[^"]+)"[^>]*rel="next"/.exec(byIdDesc.body);
  t.ok(next, 'a next-page link');
  const page2 = await adminC.get(next![1]!.replace(/&amp;/g, '&'));
  t.same([...page2.body.matchAll(/<tr id="store-(\d+)">/g)].map((m) => Number(m[1])), [s1.id]);
  const bad = await adminC.get('/stores?sort=nonsense');
  t.equal(bad.statusCode, 400);
  t.match(bad.body, 'Cannot sort by');
});

t.test('the detail page: stock summary and the 20 newest orders', async (t) => {
  const res = await adminC.get(`/stores/${s1.id}`);
  t.equal(res.statusCode, 200);
  const [e] = await queryRows<{ onHand: number; reserved: number; low: number; value: string }>(app.db, sql`select
    sum(i.on_hand)::int as "onHand", sum(i.reserved)::int as reserved,
    (count(*) filter (where i.on_hand - i.reserved <= i.reorder_point))::int as low,
    sum(i.on_hand * p.unit_price)::numeric(16,2)::text as value
    from inventory i join products p using (product_id) where i.store_id = ${s1.id}`);
  const card = (label: string) => {
    const m = new RegExp(`${label}</span><strong>([\\d,.]+)</strong>`).exec(res.body);
    return m ? m[1]!.replace(/,/g, '') : null;
  };
  t.equal(Number(card('Units on hand')), e!.onHand);
  t.equal(Number(card('Reserved')), e!.reserved);
  t.equal(Number(card('Available')), e!.onHand - e!.reserved);
  t.equal(Number(card('Low-stock items')), e!.low);
  t.equal(card('Stock value \\(unit price\\)'), Number(e!.value).toFixed(2));
  const newest = await queryRows<{ id: number }>(app.db, sql`select order_id as id from orders where store_id = ${s1.id} order by order_tms desc, order_id desc limit 20`);
  const shown = [...res.body.matchAll(/<a href="\/orders\/(\d+)">#/g)].map((m) => Number(m[1]));
  t.same(shown, newest.map((r) => Number(r.id)), 'the 20 newest, newest first, linked to /orders/:id');
  t.match(res.body, 'id="store-history"', 'admins see the store history');
});

t.test('staff: their store yes, another store 403, no history; unknown 404', async (t) => {
  const own = await staffC.get(`/stores/${s1.id}`);
  t.equal(own.statusCode, 200);
  t.notMatch(own.body, 'id="store-history"');
  t.notMatch(own.body, `/stores/${s1.id}/edit`);
  const other = await staffC.get(`/stores/${s2.id}`);
  t.equal(other.statusCode, 403);
  t.match(other.body, 'You do not work at this store.');
  t.equal((await adminC.get('/stores/999999')).statusCode, 404);
  t.equal((await adminC.get('/stores/abc')).statusCode, 400);
});

t.test('staff cannot create, edit or delete stores, and nothing is written', async (t) => {
  const before = { stores: await storeCount(), audit: await auditCount() };
  await staffC.get(`/stores/${s1.id}`);
  t.equal((await staffC.get('/stores/new')).statusCode, 403);
  t.equal((await staffC.get(`/stores/${s1.id}/edit`)).statusCode, 403);
  const create = await staffC.post('/stores', { storeName: 'Staff Store', physicalAddress: '1 Road' });
  t.equal(create.statusCode, 403);
  t.match(create.body, 'Only administrators');
  t.equal((await staffC.post(`/stores/${s1.id}`, { storeName: 'Renamed', physicalAddress: '1 Road', version: '1' })).statusCode, 403);
  t.equal((await staffC.post(`/stores/${s1.id}/delete`)).statusCode, 403);
  t.same({ stores: await storeCount(), audit: await auditCount() }, before);
  const [{ name }] = await queryRows<{ name: string }>(app.db, sql`select store_name as name from stores where store_id = ${s1.id}`) as [{ name: string }];
  t.equal(name, s1.name);
});

t.test('customers get 403 on every store page', async (t) => {
  for (const url of ['/stores', `/stores/${s1.id}`, '/stores/new', `/stores/${s1.id}/edit`, '/stores?format=csv']) {
    t.equal((await customerC.get(url)).statusCode, 403, url);
  }
  await customerC.get('/account');
  t.equal((await customerC.post('/stores', { storeName: 'C', physicalAddress: 'x' })).statusCode, 403);
});

t.test('create: every validation rule, nothing written on refusal', async (t) => {
  await adminC.get('/stores/new');
  const before = { stores: await storeCount(), audit: await auditCount() };
  const cases: Array<[Record<string, string>, string, string]> = [
    [{}, 'storeName', 'Enter the store name'],
    [{ storeName: 'x'.repeat(121), physicalAddress: 'a' }, 'storeName', 'Enter the store name (up to 120 characters).'],
    [{ storeName: 'No Address' }, 'physicalAddress', 'Enter a physical address or a web address (or both).'],
    [{ storeName: 'Bad Web', webAddress: 'ftp://example.com' }, 'webAddress', 'Enter a web address starting with http:// or https://.'],
    [{ storeName: 'Half Pair', physicalAddress: '1 Road', latitude: '51.5' }, 'longitude', 'Enter both coordinates or neither.'],
    [{ storeName: 'Half Pair', physicalAddress: '1 Road', longitude: '0.1' }, 'latitude', 'Enter both coordinates or neither.'],
    [{ storeName: 'Far North', physicalAddress: '1 Road', latitude: '91', longitude: '0' }, 'latitude', 'Latitude is a number from -90 to 90.'],
    [{ storeName: 'Far East', physicalAddress: '1 Road', latitude: '0', longitude: '-180.5' }, 'longitude', 'Longitude is a number from -180 to 180.'],
    [{ storeName: 'Words', physicalAddress: '1 Road', latitude: 'north', longitude: '0' }, 'latitude', 'Latitude is a number from -90 to 90.'],
    [{ storeName: 'Online Only', webAddress: 'https://shop.example', latitude: '1', longitude: '1' }, 'latitude', 'Coordinates belong to a physical address.'],
    [{ storeName: s2.name.toUpperCase(), physicalAddress: '1 Road' }, 'storeName', 'Another store already has this name.'],
    // A long run of digits and a non-digit made the number check backtrack quadratically
    // (security report 13): every value is measured before any pattern sees it.
    [{ storeName: 'Long Latitude', physicalAddress: '1 Road', latitude: `${'1'.repeat(100_000)}x`, longitude: '0' }, 'latitude', 'This number is too long (32 characters at most).'],
    [{ storeName: 'Long Address', physicalAddress: 'a'.repeat(20_000) }, 'physicalAddress', 'Use at most 500 characters.'],
  ];
  for (const [form, field, message] of cases) {
    const res = await adminC.post('/stores', form);
    t.equal(res.statusCode, 422, `${field}: ${message}`);
    t.match(res.body, `id="field-${field}-error" class="field-error">${message.replace(/[()]/g, (m) => m)}`, message);
  }
  const kept = await adminC.post('/stores', { storeName: 'Kept Values', physicalAddress: '9 Lane', latitude: '12' });
  t.match(kept.body, 'value="Kept Values"', 'the form keeps what was typed');
  t.same({ stores: await storeCount(), audit: await auditCount() }, before, 'nothing written');
});

let created = 0;
t.test('create and edit a store (audited), with optimistic locking', async (t) => {
  await adminC.get('/stores/new');
  const res = await adminC.post('/stores', { storeName: 'Harbour', physicalAddress: '1 Quay', latitude: '51.5', longitude: '-0.12' });
  t.equal(res.statusCode, 303);
  const m = /^\/stores\/(\d+)$/.exec(String(res.headers.location));
  t.ok(m);
  created = Number(m![1]);
  const show = await adminC.get(`/stores/${created}`);
  t.match(show.body, 'Store Harbour created.');
  t.match(show.body, '51.5, -0.12');
  const [ev] = await queryRows<{ after: Record<string, unknown> }>(app.db, sql`select after from audit_events where entity = 'store' and entity_id = ${String(created)} and action = 'create'`);
  t.match(ev!.after, { storeName: 'Harbour', physicalAddress: '1 Quay' });

  const edit = await adminC.get(`/stores/${created}/edit`);
  t.equal(edit.statusCode, 200);
  t.match(edit.body, 'name="version" value="1"');
  t.match(edit.body, 'value="51.5"', 'coordinates without trailing zeros');
  const saved = await adminC.post(`/stores/${created}`, { storeName: 'Harbour Front', physicalAddress: '1 Quay', webAddress: 'https://harbour.example', version: '1' });
  t.equal(saved.statusCode, 303);
  const [row] = await queryRows<{ name: string; version: number; lat: string | null }>(app.db, sql`select store_name as name, version, latitude::text as lat from stores where store_id = ${created}`);
  t.same(row, { name: 'Harbour Front', version: 2, lat: null }, 'cleared coordinates are saved as null');
  const [upd] = await queryRows<{ before: Record<string, unknown>; after: Record<string, unknown> }>(app.db, sql`select before, after from audit_events where entity = 'store' and entity_id = ${String(created)} and action = 'update'`);
  t.match(upd, { before: { storeName: 'Harbour', version: 1 }, after: { storeName: 'Harbour Front', version: 2 } });

  const auditBefore = await auditCount();
  const stale = await adminC.post(`/stores/${created}`, { storeName: 'Stale Edit', physicalAddress: '2 Quay', version: '1' });
  t.equal(stale.statusCode, 409);
  t.match(stale.body, 'Someone else changed this store');
  t.match(stale.body, 'value="Harbour Front"', 'the current values are shown');
  t.match(stale.body, 'name="version" value="2"', 'with the current version');
  t.match(stale.body, 'Stale Edit', 'and the attempted values for comparison');
  t.equal(await auditCount(), auditBefore);
  const [after] = await queryRows<{ name: string }>(app.db, sql`select store_name as name from stores where store_id = ${created}`);
  t.equal(after!.name, 'Harbour Front');

  const noVersion = await adminC.post(`/stores/${created}`, { storeName: 'No Version', physicalAddress: '2 Quay' });
  t.equal(noVersion.statusCode, 422);
  const dup = await adminC.post(`/stores/${created}`, { storeName: s1.name.toLowerCase(), physicalAddress: '2 Quay', version: '2' });
  t.equal(dup.statusCode, 422);
  t.match(dup.body, 'Another store already has this name.');
  const same = await adminC.post(`/stores/${created}`, { storeName: 'HARBOUR FRONT', physicalAddress: '1 Quay', version: '2' });
  t.equal(same.statusCode, 303, 'a store may change the case of its own name');
});

t.test('delete: refused while anything refers to the store, allowed when empty', async (t) => {
  await adminC.get(`/stores/${s1.id}`);
  const before = { stores: await storeCount(), audit: await auditCount() };
  const used = await adminC.post(`/stores/${s1.id}/delete`);
  t.equal(used.statusCode, 409);
  t.match(used.body, /cannot be deleted: it has stock records for \d+ products; it has orders; 1 staff member is assigned to it/);
  t.same({ stores: await storeCount(), audit: await auditCount() }, before, 'nothing written');

  const other = await makeUser(app, 'staff', { storeIds: [created] });
  const staffed = await adminC.post(`/stores/${created}/delete`);
  t.equal(staffed.statusCode, 409);
  t.match(staffed.body, '1 staff member is assigned to it (change their stores first)');
  await app.db.execute(sql`delete from user_stores where user_id = ${other.id}`);

  const ok = await adminC.post(`/stores/${created}/delete`);
  t.equal(ok.statusCode, 303);
  t.equal(ok.headers.location, '/stores');
  t.equal(await storeCount(), before.stores - 1);
  const [ev] = await queryRows<{ before: Record<string, unknown> }>(app.db, sql`select before from audit_events where entity = 'store' and entity_id = ${String(created)} and action = 'delete'`);
  t.match(ev!.before, { storeName: 'HARBOUR FRONT' });
  t.equal((await adminC.get(`/stores/${created}`)).statusCode, 404);
});

t.test('store output is escaped', async (t) => {
  await adminC.get('/stores/new');
  const res = await adminC.post('/stores', { storeName: '<script>alert(1)</script>', webAddress: 'javascript:alert(1)' });
  t.equal(res.statusCode, 422, 'a javascript: address is refused');
  const ok = await adminC.post('/stores', { storeName: '<b>Bold</b> & Co', physicalAddress: '"quoted" <i>road</i>' });
  t.equal(ok.statusCode, 303);
  const list = await adminC.get('/stores?q=Bold');
  t.match(list.body, '&lt;b&gt;Bold&lt;/b&gt; &amp; Co');
  t.notMatch(list.body, '<b>Bold</b>');
});
