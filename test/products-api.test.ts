// /api/v1/products: list (filters, sort, keyset, CSV), create/get/replace/delete with every
// validation rule, roles (customers read active products only, without per-store detail), staff
// store scoping, optimistic locking, audit rows, and nothing written on a refusal.
import t from 'tap';
import { sql } from 'drizzle-orm';
import { buildTestApp, makeUser, apiLogin } from './helper.ts';
import { seedData } from '../src/db/seed.ts';
import { queryRows } from '../src/db/client.ts';
import { products } from '../src/db/schema/index.ts';
import { csvLines } from './csv-rows.ts';

const { app } = await buildTestApp(t);
await seedData(app.db, { stores: 3, products: 40, customers: 10, orders: 50 });
await app.db.insert(products).values([
  { sku: 'API-NULLS', productName: 'Bare product', unitPrice: '3.00' },
  { sku: 'API-OFF', productName: 'Retired product', unitPrice: '3.00', brand: 'Gone', active: false },
  // Written by something that did not normalise the SKU: still taken, whatever the case.
  { sku: 'legacy-lower', productName: 'Legacy product', unitPrice: '3.00' },
]);
const storeIds = (await queryRows<{ id: number }>(app.db, sql`select store_id as id from stores order by store_id`)).map((r) => r.id);
const users = {
  admin: await makeUser(app, 'admin'),
  staff: await makeUser(app, 'staff', { storeIds: [storeIds[2]!] }),
  customer: await makeUser(app, 'customer'),
};
const tokens = {
  admin: await apiLogin(app, users.admin.email, users.admin.password),
  staff: await apiLogin(app, users.staff.email, users.staff.password),
  customer: await apiLogin(app, users.customer.email, users.customer.password),
};
type Who = keyof typeof tokens;

const api = (who: Who, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown, headers: Record<string, string> = {}) =>
  app.inject({ method, url: `/api/v1/products${url}`, headers: { authorization: `Bearer ${tokens[who]}`, ...headers }, ...(payload === undefined ? {} : { payload: payload as object }) });

interface Counts { products: number; audits: number; versions: number }
const counts = async () => (await queryRows<Counts>(app.db, sql`select (select count(*)::int from products) as products,
  (select count(*)::int from audit_events where entity = 'product') as audits, (select sum(version)::int from products) as versions`))[0]!;
const audits = (id: number) => queryRows<{ action: string; before: Record<string, unknown> | null; after: Record<string, unknown> | null; actor_id: number }>(
  app.db, sql`select action, before, after, actor_id from audit_events where entity = 'product' and entity_id = ${String(id)} order by audit_id`);

const ORDER_EXPR: Record<string, string> = {
  productId: 'product_id', sku: 'sku', productName: 'product_name', brand: "coalesce(brand, '')", colour: "coalesce(colour, '')",
  size: "coalesce(size, '')", rating: 'coalesce(rating, 0)', unitPrice: 'unit_price', available: 'avail',
};
async function expectedIds(sort: string, order: 'asc' | 'desc', where = 'true', stores: number[] | null = null) {
  const scope = stores ? `and i.store_id in (${stores.join(',')})` : '';
  return (await queryRows<{ id: number }>(app.db, sql.raw(`select product_id as id from (
      select p.*, coalesce((select sum(on_hand - reserved) from inventory i where i.product_id = p.product_id ${scope}), 0) as avail
      from products p) x where ${where} order by ${ORDER_EXPR[sort]} ${order}, product_id ${order}`))).map((r) => r.id);
}

/** Every item of a list, page after page. */
async function walk(who: Who, query: string) {
  const items: Array<Record<string, unknown>> = [];
  let cursor: string | null = null;
  do {
    const res = await api(who, 'GET', `?${query}${cursor ? `&cursor=${cursor}` : ''}`);
    if (res.statusCode !== 200) throw new Error(`${query}: ${res.statusCode} ${res.body}`);
    items.push(...res.json().items);
    cursor = res.json().nextCursor;
  } while (cursor);
  return items;
}

const valid = { sku: 'api-1', productName: 'API Parka', unitPrice: '249.00', brand: 'Northwind', colour: 'Green', size: 'XL', rating: 5 };

t.test('list: item shape, default limit, no trailing slash needed', async (t) => {
  const res = await app.inject({ url: '/api/v1/products', headers: { authorization: `Bearer ${tokens.admin}` } });
  t.equal(res.statusCode, 200);
  const body = res.json();
  t.equal(body.items.length, 43);
  t.equal(body.nextCursor, null);
  t.same(Object.keys(body.items[0]).sort(), ['active', 'available', 'brand', 'colour', 'productId', 'productName', 'rating', 'size', 'sku', 'unitPrice', 'version']);
  t.match(body.items[0], { productId: Number, unitPrice: /^\d+\.\d{2}$/, available: Number, version: Number });
  const bare = body.items.find((i: { sku: string }) => i.sku === 'API-NULLS');
  t.match(bare, { brand: null, colour: null, size: null, rating: null, unitPrice: '3.00', active: true, available: 0 });
  t.equal((await api('admin', 'GET', '?limit=5')).json().items.length, 5);
  for (const bad of ['limit=0', 'limit=201', 'limit=abc', 'order=up', 'sort=password', 'active=maybe', 'minPrice=-1', 'maxPrice=1.234', 'format=xml']) {
    const r = await api('admin', 'GET', `?${bad}`);
    t.equal(r.statusCode, 400, bad);
    t.match(r.json(), { status: 400, message: String, errors: Array });
  }
  const range = await api('admin', 'GET', '?minPrice=10&maxPrice=5');
  t.equal(range.statusCode, 400);
  t.match(range.json(), { message: 'The maximum price must be at least the minimum price.', errors: [{ field: 'maxPrice' }] });
  const noToken = await app.inject({ url: '/api/v1/products' });
  t.equal(noToken.statusCode, 401);
});

t.test('list: every column sorts both ways across pages; bad cursors are 400', async (t) => {
  for (const sort of Object.keys(ORDER_EXPR)) {
    for (const order of ['asc', 'desc'] as const) {
      const got = (await walk('admin', `sort=${sort}&order=${order}&limit=6`)).map((i) => i.productId);
      t.same(got, await expectedIds(sort, order), `${sort} ${order}`);
    }
  }
  t.same((await walk('admin', 'limit=7')).map((i) => i.productId), await expectedIds('productName', 'asc'), 'default: name ascending');
  for (const cursor of ['garbage', Buffer.from('[1,"x","n"]').toString('base64url'), Buffer.from('{"a":1}').toString('base64url'), 'x'.repeat(501)]) {
    const res = await api('admin', 'GET', `?cursor=${cursor}`);
    t.equal(res.statusCode, 400, cursor.slice(0, 20));
  }
  const textCursor = (await api('admin', 'GET', '?sort=sku&limit=2')).json().nextCursor;
  const misused = await api('admin', 'GET', `?sort=unitPrice&cursor=${textCursor}`);
  t.equal(misused.statusCode, 400, 'a cursor of another sort is refused as a bad cursor, not a 500');
  t.match(misused.json().message, 'The cursor is not valid');
});

t.test('list: filters combine', async (t) => {
  const [pick] = await queryRows<{ brand: string; colour: string }>(app.db, sql`select brand, colour from products where brand is not null and brand <> 'Gone' group by brand, colour order by count(*) desc limit 1`);
  const q = (s: string) => s.replace(/'/g, "''");
  const cases: Array<[string, string]> = [
    [`brand=${encodeURIComponent(pick!.brand)}&colour=${encodeURIComponent(pick!.colour)}`, `brand = '${q(pick!.brand)}' and colour = '${q(pick!.colour)}'`],
    ['minPrice=10.5&maxPrice=200&active=true', 'unit_price between 10.5 and 200 and active'],
    ['q=PRODUCT&active=false', "product_name ilike '%product%' and not active"],
    ['size=M&maxPrice=1000', "size = 'M' and unit_price <= 1000"],
  ];
  for (const [query, where] of cases) {
    t.same((await walk('admin', `${query}&limit=4`)).map((i) => i.productId), await expectedIds('productName', 'asc', where), query);
  }
});

t.test('list: CSV with the filters and sort', async (t) => {
  const res = await api('admin', 'GET', '?format=csv&sort=available&order=desc&active=true');
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], 'text/csv');
  const lines = csvLines(res.body);
  t.equal(lines[0], 'productId,sku,productName,brand,colour,size,rating,unitPrice,available,active');
  t.same(lines.slice(1).map((l) => Number(l.split(',')[0])), await expectedIds('available', 'desc', 'active'));
  const accept = await api('admin', 'GET', '?brand=Gone', undefined, { accept: 'text/csv' });
  t.equal(csvLines(accept.body).length, 2, 'Accept: text/csv works too');
  const mine = await api('customer', 'GET', '?format=csv&active=false');
  t.equal(csvLines(mine.body).join('\n'), 'productId,sku,productName,brand,colour,size,rating,unitPrice,available,active', 'customers: no inactive rows');
});

t.test('staff see available stock and stock rows of their stores only', async (t) => {
  const staffItems = await walk('staff', 'sort=available&order=desc&limit=50');
  t.same(staffItems.map((i) => i.productId), await expectedIds('available', 'desc', 'true', [storeIds[2]!]));
  const [p] = await queryRows<{ id: number }>(app.db, sql`select product_id as id from inventory group by product_id having count(*) = 3 limit 1`);
  const rows = await queryRows<{ store_id: number; on_hand: number; reserved: number; reorder_point: number }>(app.db,
    sql`select store_id, on_hand, reserved, reorder_point from inventory where product_id = ${p!.id} order by store_id`);
  const mine = rows.find((r) => r.store_id === storeIds[2])!;
  const res = await api('staff', 'GET', `/${p!.id}`);
  t.equal(res.statusCode, 200);
  t.match(res.json(), { productId: p!.id, available: mine.on_hand - mine.reserved });
  t.same(res.json().stock.map((s: { storeId: number }) => s.storeId), [storeIds[2]]);
  t.match(res.json().stock[0], { onHand: mine.on_hand, reserved: mine.reserved, available: mine.on_hand - mine.reserved, reorderPoint: mine.reorder_point, storeName: String });
  const all = await api('admin', 'GET', `/${p!.id}`);
  t.equal(all.json().stock.length, 3);
  t.equal(all.json().available, rows.reduce((n, r) => n + r.on_hand - r.reserved, 0));
});

t.test('customers read active products, availability only, and never write', async (t) => {
  const items = await walk('customer', 'limit=200');
  t.notOk(items.some((i) => i.active === false), 'no inactive product');
  t.notOk(items.some((i) => i.sku === 'API-OFF'));
  t.same((await api('customer', 'GET', '?active=false')).json(), { items: [], nextCursor: null });
  const [off] = await queryRows<{ id: number }>(app.db, sql`select product_id as id from products where sku = 'API-OFF'`);
  t.equal((await api('customer', 'GET', `/${off!.id}`)).statusCode, 404);
  t.equal((await api('admin', 'GET', `/${off!.id}`)).statusCode, 200);
  const [p] = await queryRows<{ id: number }>(app.db, sql`select product_id as id from inventory i join products using (product_id) where active group by product_id limit 1`);
  const one = await api('customer', 'GET', `/${p!.id}`);
  t.equal(one.statusCode, 200);
  t.ok(one.json().stock.length > 0);
  for (const s of one.json().stock) t.same(Object.keys(s).sort(), ['available', 'storeId', 'storeName'], 'no on hand, reserved or reorder point');
  const before = await counts();
  t.equal((await api('customer', 'POST', '', valid)).statusCode, 403);
  t.equal((await api('customer', 'PUT', `/${p!.id}`, { ...valid, version: 1 })).statusCode, 403);
  t.equal((await api('customer', 'DELETE', `/${p!.id}`)).statusCode, 403);
  t.same(await counts(), before, 'nothing written');
});

t.test('create: 201 with the product, SKU upper-cased, audited', async (t) => {
  const res = await api('staff', 'POST', '', valid);
  t.equal(res.statusCode, 201);
  const body = res.json();
  t.match(body, { sku: 'API-1', productName: 'API Parka', unitPrice: '249.00', brand: 'Northwind', rating: 5, active: true, available: 0, version: 1 });
  t.equal(res.headers.location, `/api/v1/products/${body.productId}`);
  t.match(await audits(body.productId), [{ action: 'create', before: null, after: { sku: 'API-1', unitPrice: '249.00' }, actor_id: users.staff.id }]);
  const blank = await api('admin', 'POST', '', { sku: 'API-2', productName: '  Padded  ', unitPrice: '0.5', brand: '', colour: null, active: false });
  t.equal(blank.statusCode, 201);
  t.match(blank.json(), { productName: 'Padded', unitPrice: '0.50', brand: null, colour: null, size: null, rating: null, active: false });
});

t.test('create: every validation rule is a 400 (409 for a taken SKU) and writes nothing', async (t) => {
  const cases: Array<[string, Record<string, unknown>, number, string]> = [
    ['price as a JSON number', { unitPrice: 19.99 }, 400, 'unitPrice'],
    ['negative price', { unitPrice: '-1.00' }, 400, 'unitPrice'],
    ['three decimals', { unitPrice: '1.999' }, 400, 'unitPrice'],
    ['price with a comma', { unitPrice: '1,99' }, 400, 'unitPrice'],
    ['price too large', { unitPrice: '123456789.00' }, 400, 'unitPrice'],
    ['rating 0', { rating: 0 }, 400, 'rating'],
    ['rating 6', { rating: 6 }, 400, 'rating'],
    ['rating 2.5', { rating: 2.5 }, 400, 'rating'],
    ['rating as text', { rating: '4' }, 400, 'rating'],
    ['empty name', { productName: '' }, 400, 'productName'],
    ['blank name', { productName: '   ' }, 400, 'productName'],
    ['long name', { productName: 'n'.repeat(201) }, 400, 'productName'],
    ['long brand', { brand: 'b'.repeat(61) }, 400, 'brand'],
    ['long colour', { colour: 'c'.repeat(61) }, 400, 'colour'],
    ['long size', { size: 's'.repeat(31) }, 400, 'size'],
    ['long sku', { sku: 'S'.repeat(65) }, 400, 'sku'],
    ['bad sku', { sku: 'has space' }, 400, 'sku'],
    ['extra field', { productId: 1 }, 400, 'productId'],
    ['extra version on create', { version: 1 }, 400, 'version'],
    ['active as text', { active: 'yes' }, 400, 'active'],
    ['taken sku, other case', { sku: 'api-1' }, 409, 'sku'],
    ['taken sku, stored in lower case', { sku: 'LEGACY-LOWER' }, 409, 'sku'],
  ];
  for (const [name, change, status, field] of cases) {
    const before = await counts();
    const res = await api('admin', 'POST', '', { ...valid, sku: 'API-NEW', ...change });
    t.equal(res.statusCode, status, name);
    t.match(res.json(), { status, message: String }, `${name}: error body`);
    t.ok(res.json().errors?.some((e: { field: string }) => e.field === field), `${name}: names ${field}`);
    t.same(await counts(), before, `${name}: nothing written`);
  }
  const missing = await api('admin', 'POST', '', {});
  t.equal(missing.statusCode, 400);
  t.same(missing.json().errors.map((e: { field: string }) => e.field).sort(), ['productName', 'sku', 'unitPrice']);
  const notJson = await api('admin', 'POST', '', 'sku=x', { 'content-type': 'application/x-www-form-urlencoded' });
  t.ok([400, 415].includes(notJson.statusCode), 'a form body is not accepted by the API');
});

t.test('replace: needs the version; a stale one is a 409 with the current product', async (t) => {
  const [row] = await queryRows<{ id: number }>(app.db, sql`select product_id as id from products where sku = 'API-1'`);
  const id = row!.id;
  const ok = await api('admin', 'PUT', `/${id}`, { ...valid, sku: 'API-1', productName: 'API Parka 2', unitPrice: '199.5', brand: null, version: 1 });
  t.equal(ok.statusCode, 200);
  t.match(ok.json(), { productName: 'API Parka 2', unitPrice: '199.50', brand: null, colour: 'Green', active: true, version: 2 });
  t.match((await audits(id)).at(-1), { action: 'update', before: { productName: 'API Parka', version: 1 }, after: { productName: 'API Parka 2', version: 2 }, actor_id: users.admin.id });

  const before = await counts();
  const stale = await api('staff', 'PUT', `/${id}`, { ...valid, sku: 'API-1', productName: 'Lost update', version: 1 });
  t.equal(stale.statusCode, 409);
  t.match(stale.json(), { status: 409, message: /Someone else changed this product/, current: { productId: id, productName: 'API Parka 2', version: 2 } });
  t.equal((await api('admin', 'PUT', `/${id}`, { ...valid, sku: 'API-1' })).statusCode, 400, 'version is required');
  t.equal((await api('admin', 'PUT', `/${id}`, { ...valid, sku: 'API-1', version: '2' })).statusCode, 400, 'version is a number');
  t.equal((await api('admin', 'PUT', `/${id}`, { ...valid, sku: 'API-1', unitPrice: 5, version: 2 })).statusCode, 400);
  t.equal((await api('admin', 'PUT', `/${id}`, { ...valid, sku: 'API-1', version: 2, extra: true })).statusCode, 400);
  const taken = await api('admin', 'PUT', `/${id}`, { ...valid, sku: 'api-off', version: 2 });
  t.equal(taken.statusCode, 409);
  t.match(taken.json(), { errors: [{ field: 'sku' }] });
  t.equal((await api('admin', 'PUT', '/999999', { ...valid, version: 1 })).statusCode, 404);
  t.equal((await api('admin', 'PUT', '/abc', { ...valid, version: 1 })).statusCode, 400);
  t.same(await counts(), before, 'no refusal wrote anything');
});

t.test('concurrent writers: one SKU, one version; exactly one wins, the others get clean 409s', async (t) => {
  const before = await counts();
  const creates = await Promise.all(Array.from({ length: 6 }, () => api('admin', 'POST', '', { ...valid, sku: 'race-1' })));
  t.same(creates.map((r) => r.statusCode).sort(), [201, 409, 409, 409, 409, 409]);
  for (const r of creates.filter((x) => x.statusCode === 409)) t.match(r.json(), { errors: [{ field: 'sku' }] });
  const id = creates.find((r) => r.statusCode === 201)!.json().productId;
  const edits = await Promise.all(['a', 'b', 'c', 'd'].map((n) => api('staff', 'PUT', `/${id}`, { ...valid, sku: 'RACE-1', productName: `Edit ${n}`, version: 1 })));
  t.same(edits.map((r) => r.statusCode).sort(), [200, 409, 409, 409]);
  const after = await counts();
  t.equal(after.products, before.products + 1);
  t.equal(after.audits, before.audits + 2, 'one create and one update audited');
  t.equal((await api('admin', 'DELETE', `/${id}`)).statusCode, 204);
});

t.test('deactivating through PUT hides the product from the customer catalogue', async (t) => {
  const [row] = await queryRows<{ id: number; version: number }>(app.db, sql`select product_id as id, version from products where sku = 'API-1'`);
  const seen = async () => (await walk('customer', 'limit=200')).some((i) => i.productId === row!.id);
  t.ok(await seen());
  const off = await api('staff', 'PUT', `/${row!.id}`, { ...valid, sku: 'API-1', active: false, version: row!.version });
  t.equal(off.statusCode, 200);
  t.equal(off.json().active, false);
  t.notOk(await seen(), 'gone from the customer list');
  t.equal((await api('customer', 'GET', `/${row!.id}`)).statusCode, 404);
  t.match((await audits(row!.id)).at(-1), { action: 'update', before: { active: true }, after: { active: false } });
  const kept = await api('staff', 'PUT', `/${row!.id}`, { ...valid, sku: 'API-1', version: off.json().version });
  t.equal(kept.json().active, false, 'omitting active leaves it as it is');
});

t.test('delete: 409 while referenced (suggesting deactivation), 204 otherwise', async (t) => {
  const [ordered] = await queryRows<{ id: number }>(app.db, sql`select product_id as id from order_items limit 1`);
  const before = await counts();
  const refused = await api('admin', 'DELETE', `/${ordered!.id}`);
  t.equal(refused.statusCode, 409);
  t.match(refused.json(), { status: 409, message: /cannot be deleted.*order line.*Deactivate it instead/, errors: [{ field: 'productId', references: ['order lines'] }] });
  t.notMatch(refused.json().message, /\d/, 'no count over all stores (staff see their own stores\' figures only)');
  t.same(await counts(), before, 'nothing written');
  const [fresh] = await queryRows<{ id: number }>(app.db, sql`select product_id as id from products where sku = 'API-2'`);
  const gone = await api('staff', 'DELETE', `/${fresh!.id}`);
  t.equal(gone.statusCode, 204);
  t.equal((await api('admin', 'GET', `/${fresh!.id}`)).statusCode, 404);
  t.match((await audits(fresh!.id)).at(-1), { action: 'delete', before: { sku: 'API-2' }, after: null, actor_id: users.staff.id });
  t.equal((await api('admin', 'DELETE', `/${fresh!.id}`)).statusCode, 404);
});

t.test('brands with product counts (customers count active products only)', async (t) => {
  const res = await api('admin', 'GET', '/brands');
  t.equal(res.statusCode, 200);
  const expected = await queryRows<{ brand: string; productCount: number }>(app.db,
    sql`select brand, count(*)::int as "productCount" from products where brand is not null group by brand order by brand`);
  t.same(res.json(), { items: expected, nextCursor: null });
  const customer = await api('customer', 'GET', '/brands');
  t.notOk(customer.json().items.some((b: { brand: string }) => b.brand === 'Gone'), 'a brand with only inactive products is not offered');
  const csv = await api('admin', 'GET', '/brands?format=csv');
  t.equal(csvLines(csv.body)[0], 'brand,productCount');
  t.equal(csvLines(csv.body).length, expected.length + 1);
});

t.test('the OpenAPI document describes the products API', async (t) => {
  const doc = (await app.inject({ url: '/api/openapi.json' })).json();
  for (const [path, methods] of [['/api/v1/products/', ['get', 'post']], ['/api/v1/products/brands', ['get']], ['/api/v1/products/{id}', ['get', 'put', 'delete']]] as const) {
    for (const m of methods) t.same(doc.paths[path]?.[m]?.tags, ['products'], `${m} ${path}`);
  }
});
