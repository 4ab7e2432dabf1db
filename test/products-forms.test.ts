// Back-office product forms: every validation rule, SKU uniqueness, optimistic locking,
// deactivate / reactivate, delete refusals, the detail page's stock per store, and audit rows
// written with each change (and none on a refusal).
import t from 'tap';
import { sql } from 'drizzle-orm';
import { buildTestApp, Client, makeUser } from './helper.ts';
import { seedData } from '../src/db/seed.ts';
import { queryRows } from '../src/db/client.ts';
import { applyStockChanges } from '../src/modules/inventory/stock.ts';
import { systemActor } from '../src/lib/audit.ts';

const { app } = await buildTestApp(t);
await seedData(app.db, { stores: 3, products: 20, customers: 10, orders: 40 });
const admin = await makeUser(app, 'admin');
const storeIds = (await queryRows<{ id: number }>(app.db, sql`select store_id as id from stores order by store_id`)).map((r) => r.id);
const staff = await makeUser(app, 'staff', { storeIds: [storeIds[1]!] });

const c = new Client(app);
await c.login(admin.email, admin.password);

interface Counts { products: number; audits: number; maxVersion: number }
const counts = async () => (await queryRows<Counts>(app.db, sql`select (select count(*)::int from products) as products,
  (select count(*)::int from audit_events where entity = 'product') as audits, (select max(version)::int from products) as "maxVersion"`))[0]!;
const product = async (id: number) => (await queryRows<{ sku: string; product_name: string; unit_price: string; brand: string | null; rating: number | null; active: boolean; version: number }>(
  app.db, sql`select sku, product_name, unit_price::text, brand, rating, active, version from products where product_id = ${id}`))[0];
const audits = async (id: number) => queryRows<{ action: string; before: Record<string, unknown> | null; after: Record<string, unknown> | null; actor_id: number }>(
  app.db, sql`select action, before, after, actor_id from audit_events where entity = 'product' and entity_id = ${String(id)} order by audit_id`);

const valid = { sku: 'new-1', productName: 'Trail Runner Jacket', unitPrice: '129.90', brand: 'Acme', colour: 'Blue', size: 'L', rating: '4', active: 'on' };
const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

t.test('create: saved with an upper-cased SKU, redirected with a flash, audited', async (t) => {
  const before = await counts();
  await c.get('/products/new');
  const res = await c.post('/products', { ...valid, productId: '1', version: '7', createdAt: '2000-01-01', hacker: 'x' });
  t.equal(res.statusCode, 303);
  const id = Number(/\/products\/(\d+)$/.exec(res.headers.location as string)![1]);
  t.not(id, 1, 'extra fields are ignored');
  t.same(await product(id), { sku: 'NEW-1', product_name: 'Trail Runner Jacket', unit_price: '129.90', brand: 'Acme', rating: 4, active: true, version: 1 });
  const show = await c.get(res.headers.location as string);
  t.match(show.body, 'Product NEW-1 created.');
  const [audit] = await audits(id);
  t.match(audit, { action: 'create', before: null, after: { productId: id, sku: 'NEW-1', unitPrice: '129.90', active: true, version: 1 }, actor_id: admin.id });
  t.equal((await counts()).audits, before.audits + 1);
  // An unchecked "active" box creates an inactive product; empty optional fields are null.
  await c.get('/products/new');
  const inactive = await c.post('/products', { sku: 'NEW-2', productName: 'Hidden', unitPrice: '0', brand: '', rating: '' });
  const id2 = Number(/\/products\/(\d+)$/.exec(inactive.headers.location as string)![1]);
  t.same(await product(id2), { sku: 'NEW-2', product_name: 'Hidden', unit_price: '0.00', brand: null, rating: null, active: false, version: 1 });
});

t.test('create: every validation rule answers 422 with the message by the field and writes nothing', async (t) => {
  const [taken] = await queryRows<{ sku: string }>(app.db, sql`select sku from products order by product_id limit 1`);
  const cases: Array<[string, Record<string, string>, string, string]> = [
    ['negative price', { unitPrice: '-1' }, 'unitPrice', 'Enter a price of 0 or more with at most two decimals'],
    ['three decimals', { unitPrice: '1.999' }, 'unitPrice', 'Enter a price of 0 or more with at most two decimals'],
    ['price not a number', { unitPrice: '12,50' }, 'unitPrice', 'Enter a price of 0 or more'],
    ['price too large', { unitPrice: '100000000' }, 'unitPrice', 'Enter a price of 0 or more'],
    ['price missing', { unitPrice: '' }, 'unitPrice', 'Enter a price of 0 or more'],
    ['rating 0', { rating: '0' }, 'rating', 'Choose a rating from 1 to 5.'],
    ['rating 6', { rating: '6' }, 'rating', 'Choose a rating from 1 to 5.'],
    ['rating 2.5', { rating: '2.5' }, 'rating', 'Choose a rating from 1 to 5.'],
    ['rating text', { rating: 'five' }, 'rating', 'Choose a rating from 1 to 5.'],
    ['empty name', { productName: '' }, 'productName', 'Enter the product name (up to 200 characters).'],
    ['blank name', { productName: '   ' }, 'productName', 'Enter the product name (up to 200 characters).'],
    ['long name', { productName: 'n'.repeat(201) }, 'productName', 'Enter the product name (up to 200 characters).'],
    ['long brand', { brand: 'b'.repeat(61) }, 'brand', 'Use at most 60 characters.'],
    ['long colour', { colour: 'c'.repeat(61) }, 'colour', 'Use at most 60 characters.'],
    ['long size', { size: 's'.repeat(31) }, 'size', 'Use at most 30 characters.'],
    ['long sku', { sku: 'S'.repeat(65) }, 'sku', 'Use 1–64 letters, digits'],
    ['sku with spaces', { sku: 'AB 12' }, 'sku', 'Use 1–64 letters, digits'],
    ['sku missing', { sku: '' }, 'sku', 'Use 1–64 letters, digits'],
    ['duplicate sku, other case', { sku: taken!.sku.toLowerCase() }, 'sku', `Another product already has SKU ${taken!.sku} (SKUs are not case-sensitive).`],
  ];
  for (const [name, change, field, message] of cases) {
    const before = await counts();
    await c.get('/products/new');
    const res = await c.post('/products', { ...valid, sku: 'VALID-NEW', ...change });
    t.equal(res.statusCode, 422, name);
    t.match(res.body, escapeHtml(message), `${name}: message`);
    t.match(res.body, field === 'rating' ? 'aria-describedby="field-rating-error"' : `aria-describedby="field-${field}-error"`, `${name}: on the field`);
    if (change[field] && field !== 'rating' && change[field]!.trim()) t.match(res.body, `value="${escapeHtml(change[field]!)}"`, `${name}: value kept`);
    t.same(await counts(), before, `${name}: nothing written`);
  }
});

t.test('a form post without the CSRF token is refused and writes nothing', async (t) => {
  const before = await counts();
  const res = await c.post('/products', { ...valid, sku: 'NO-CSRF' }, { csrf: false });
  t.equal(res.statusCode, 403);
  t.same(await counts(), before);
});

t.test('edit: saves with the version, bumps it, audits before and after', async (t) => {
  const [row] = await queryRows<{ id: number }>(app.db, sql`select product_id as id from products where sku = 'NEW-1'`);
  const id = row!.id;
  const form = await c.get(`/products/${id}/edit`);
  t.equal(form.statusCode, 200);
  t.match(form.body, 'name="version" value="1"');
  t.match(form.body, 'value="Trail Runner Jacket"');
  const res = await c.post(`/products/${id}`, { ...valid, sku: 'NEW-1', productName: 'Trail Runner Jacket II', unitPrice: '99', brand: '', version: '1' });
  t.equal(res.statusCode, 303);
  t.equal(res.headers.location, `/products/${id}`);
  t.same(await product(id), { sku: 'NEW-1', product_name: 'Trail Runner Jacket II', unit_price: '99.00', brand: null, rating: 4, active: true, version: 2 });
  const last = (await audits(id)).at(-1)!;
  t.match(last, { action: 'update', before: { productName: 'Trail Runner Jacket', brand: 'Acme', version: 1 }, after: { productName: 'Trail Runner Jacket II', brand: null, unitPrice: '99.00', version: 2 } });
});

t.test('edit: a stale version is a 409 with the current values and the attempt, and writes nothing', async (t) => {
  const [row] = await queryRows<{ id: number }>(app.db, sql`select product_id as id from products where sku = 'NEW-1'`);
  const id = row!.id;
  const before = await counts();
  await c.get(`/products/${id}/edit`);
  const res = await c.post(`/products/${id}`, { ...valid, sku: 'NEW-1', productName: 'My stale edit', version: '1' });
  t.equal(res.statusCode, 409);
  t.match(res.body, 'Someone else changed this product while you were editing it.');
  t.match(res.body, 'value="Trail Runner Jacket II"', 'the form shows what is stored now');
  t.match(res.body, 'name="version" value="2"', 'saving again is based on the current version');
  t.match(res.body, /<td>Trail Runner Jacket II<\/td><td>My stale edit<\/td>/, 'the attempt is shown beside it');
  t.same(await counts(), before);
  t.equal((await product(id))!.product_name, 'Trail Runner Jacket II');

  const missing = await c.post(`/products/${id}`, { ...valid, sku: 'NEW-1' });
  t.equal(missing.statusCode, 422);
  t.match(missing.body, 'The form is out of date: reload it.');
  const invalid = await c.post(`/products/${id}`, { ...valid, sku: 'NEW-1', unitPrice: '-3', version: '2' });
  t.equal(invalid.statusCode, 422);
  t.match(invalid.body, 'name="version" value="2"');
  const [other] = await queryRows<{ sku: string }>(app.db, sql`select sku from products where product_id <> ${id} and sku <> 'NEW-2' limit 1`);
  const dup = await c.post(`/products/${id}`, { ...valid, sku: other!.sku.toLowerCase(), version: '2' });
  t.equal(dup.statusCode, 422);
  t.match(dup.body, 'Another product already has SKU');
  t.same(await counts(), before, 'no refusal wrote anything');
});

t.test('deactivate and reactivate: audited, bump the version, keep edits honest', async (t) => {
  const [row] = await queryRows<{ id: number }>(app.db, sql`select product_id as id from products where sku = 'NEW-1'`);
  const id = row!.id;
  await c.get(`/products/${id}`);
  const off = await c.post(`/products/${id}/deactivate`);
  t.equal(off.statusCode, 303);
  t.match(await product(id), { active: false, version: 3 });
  const page = await c.get(`/products/${id}`);
  t.match(page.body, 'deactivated: it is hidden from the shop');
  t.match(page.body, '<mark>Inactive</mark>');
  t.match(page.body, '>Reactivate</button>');
  t.match((await audits(id)).at(-1), { action: 'deactivate', before: { active: true }, after: { active: false } });
  const again = await c.post(`/products/${id}/deactivate`);
  t.equal(again.statusCode, 303, 'deactivating twice is harmless');
  t.equal((await audits(id)).filter((a) => a.action === 'deactivate').length, 1, 'and not audited twice');
  const stale = await c.post(`/products/${id}`, { ...valid, sku: 'NEW-1', version: '2' });
  t.equal(stale.statusCode, 409, 'an edit opened before the deactivation conflicts');
  // Editing an inactive product keeps it inactive (status changes only through the buttons).
  const edit = await c.post(`/products/${id}`, { ...valid, sku: 'NEW-1', version: '3', active: 'on' });
  t.equal(edit.statusCode, 303);
  t.match(await product(id), { active: false, version: 4 });
  const on = await c.post(`/products/${id}/reactivate`);
  t.equal(on.statusCode, 303);
  t.match(await product(id), { active: true, version: 5 });
  t.match((await audits(id)).at(-1), { action: 'reactivate', before: { active: false }, after: { active: true } });
});

t.test('a refused delete gives staff no figure of other stores (security report 16)', async (t) => {
  const [elsewhere] = await queryRows<{ id: number }>(app.db, sql`select i.product_id as id from order_items i join orders o using (order_id)
    group by 1 having count(*) filter (where o.store_id <> ${storeIds[1]!}) > 1 order by 1 limit 1`);
  const sc = new Client(app);
  await sc.login(staff.email, staff.password);
  await sc.get(`/products/${elsewhere!.id}`);
  const refused = await sc.post(`/products/${elsewhere!.id}/delete`);
  t.equal(refused.statusCode, 409);
  const reason = /This product cannot be deleted: [^<]*/.exec(refused.body)?.[0] ?? '';
  t.match(reason, 'it is referenced by order lines');
  t.notMatch(reason, /\d/, 'no count: order lines, stock rows and movements are counted over all stores');
});

t.test('delete: refused while order lines or stock refer to the product, allowed otherwise', async (t) => {
  // An active one: the way out offered is "Deactivate" (~3 % of seeded products are inactive).
  const [ordered] = await queryRows<{ id: number }>(app.db, sql`select product_id as id from order_items join products using (product_id) where active limit 1`);
  let before = await counts();
  await c.get(`/products/${ordered!.id}`);
  const refused = await c.post(`/products/${ordered!.id}/delete`);
  t.equal(refused.statusCode, 409);
  t.match(refused.body, 'This product cannot be deleted: it is referenced by');
  t.match(refused.body, /referenced by order lines/);
  t.match(refused.body, 'Deactivate it instead');
  t.match(refused.body, '>Deactivate</button>', 'the way out is right there');
  t.same(await counts(), before, 'nothing written');

  const [stocked] = await queryRows<{ id: number }>(app.db, sql`select product_id as id from products where sku = 'NEW-2'`);
  await app.db.transaction((tx) => applyStockChanges(tx, [{ storeId: storeIds[0]!, productId: stocked!.id, onHand: 5, kind: 'receipt' }], systemActor));
  before = await counts();
  const stock = await c.post(`/products/${stocked!.id}/delete`);
  t.equal(stock.statusCode, 409);
  t.match(stock.body, 'referenced by stock records and stock movements.');
  t.same(await counts(), before);

  await c.get('/products/new');
  const created = await c.post('/products', { ...valid, sku: 'TO-DELETE' });
  const id = Number(/\/products\/(\d+)$/.exec(created.headers.location as string)![1]);
  const gone = await c.post(`/products/${id}/delete`);
  t.equal(gone.statusCode, 303);
  t.equal(gone.headers.location, '/products');
  t.equal(await product(id), undefined);
  t.match((await audits(id)).at(-1), { action: 'delete', before: { sku: 'TO-DELETE' }, after: null });
  const list = await c.get('/products');
  t.match(list.body, 'Product TO-DELETE deleted.');
  t.equal((await c.post(`/products/${id}/delete`)).statusCode, 404);
});

t.test('detail: stock per store (staff: their stores only) and the history link for admins', async (t) => {
  // An active product: ~3 % of seeded products are inactive, and deactivating one of those
  // again is (rightly) not audited.
  const [row] = await queryRows<{ id: number }>(app.db, sql`select product_id as id from inventory join products using (product_id)
    where active group by product_id having count(*) = 3 limit 1`);
  const id = row!.id;
  const stock = await queryRows<{ store_id: number; store_name: string; on_hand: number; reserved: number }>(app.db,
    sql`select i.store_id, s.store_name, on_hand, reserved from inventory i join stores s using (store_id) where product_id = ${id} order by store_id`);
  const page = await c.get(`/products/${id}`);
  t.equal(page.statusCode, 200);
  for (const s of stock) t.match(page.body, `id="product-stock-${s.store_id}"`);
  const total = stock.reduce((n, s) => n + s.on_hand - s.reserved, 0);
  t.match(page.body, `<td id="product-available">${total.toLocaleString('en-US')}</td>`);
  t.match(page.body, `href="/audit?entity=product&amp;entityId=${id}"`);

  const sc = new Client(app);
  await sc.login(staff.email, staff.password);
  const mine = await sc.get(`/products/${id}`);
  t.equal(mine.statusCode, 200);
  const own = stock.find((s) => s.store_id === storeIds[1])!;
  t.match(mine.body, `id="product-stock-${own.store_id}"`);
  for (const s of stock.filter((x) => x.store_id !== storeIds[1])) t.notMatch(mine.body, `id="product-stock-${s.store_id}"`, 'other stores hidden');
  t.match(mine.body, `<td id="product-available">${(own.on_hand - own.reserved).toLocaleString('en-US')}</td>`);
  t.notMatch(mine.body, 'href="/audit', 'the audit log is for admins');
  // Staff manage the catalogue too.
  const off = await sc.post(`/products/${id}/deactivate`);
  t.equal(off.statusCode, 303);
  t.match((await audits(id)).at(-1), { action: 'deactivate', actor_id: staff.id });
  await sc.post(`/products/${id}/reactivate`);

  t.equal((await c.get('/products/999999')).statusCode, 404);
  t.equal((await c.get('/products/abc')).statusCode, 404);
  t.equal((await c.get('/products/99999999999/edit')).statusCode, 404);
});
