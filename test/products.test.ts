// Back-office product list: filters, sort in both directions on every column, keyset pages,
// CSV, htmx fragment vs page, staff scoping of available stock.
import t from 'tap';
import { sql } from 'drizzle-orm';
import { buildTestApp, Client, makeUser } from './helper.ts';
import { seedData } from '../src/db/seed.ts';
import { queryRows } from '../src/db/client.ts';
import { products } from '../src/db/schema/index.ts';
import { csvLines } from './csv-rows.ts';

const { app } = await buildTestApp(t);
await seedData(app.db, { stores: 3, products: 60, customers: 20, orders: 80 });
// Rows with empty optional columns, a price tie and an inactive one, so coalesce and tie-breaks are exercised.
await app.db.insert(products).values([
  { sku: 'ZZ-NULLS-1', productName: 'Plain Widget', unitPrice: '0.00' },
  { sku: 'ZZ-NULLS-2', productName: 'Plain Widget', unitPrice: '0.00', active: false },
  { sku: 'ZZ-50%_OFF', productName: 'Sale 50%_off tag', unitPrice: '1.00', brand: 'Tagco', colour: 'Red', size: 'M', rating: 3 },
]);
const admin = await makeUser(app, 'admin');
const storeIds = (await queryRows<{ id: number }>(app.db, sql`select store_id as id from stores order by store_id`)).map((r) => r.id);
const staff = await makeUser(app, 'staff', { storeIds: [storeIds[0]!] });
const customer = await makeUser(app, 'customer');

const ORDER_EXPR: Record<string, string> = {
  productId: 'product_id', sku: 'sku', productName: 'product_name', brand: "coalesce(brand, '')", colour: "coalesce(colour, '')",
  size: "coalesce(size, '')", rating: 'coalesce(rating, 0)', unitPrice: 'unit_price', available: 'avail',
};

/** The expected order of ids, by a plain ORDER BY over every product (no keyset). */
async function expectedIds(sort: string, order: 'asc' | 'desc', where = 'true', stores: number[] | null = null) {
  const scope = stores ? `and i.store_id in (${stores.join(',') || 'null'})` : '';
  const rows = await queryRows<{ id: number }>(app.db, sql.raw(`select product_id as id from (
      select p.*, coalesce((select sum(on_hand - reserved) from inventory i where i.product_id = p.product_id ${scope}), 0) as avail
      from products p) x where ${where} order by ${ORDER_EXPR[sort]} ${order}, product_id ${order}`));
  return rows.map((r) => r.id);
}

const idsOf = (html: string) => [...html.matchAll(/<tr id="product-(\d+)"/g)].map((m) => Number(m[1]));
const linkOf = (html: string, rel: string) => {
  const m = new RegExp(`<a href="([^"]+)"[^>]*rel="${rel}"`).exec(html);
  return m ? m[1]!.replace(/&amp;/g, '&') : null;
};

/** Follows "Next" links from the first page and returns every id in order. */
async function walk(c: Client, url: string) {
  const ids: number[] = [];
  let next: string | null = url;
  let pages = 0;
  while (next) {
    const res = await c.get(next);
    if (res.statusCode !== 200) throw new Error(`${next}: ${res.statusCode}`);
    ids.push(...idsOf(res.body));
    next = linkOf(res.body, 'next');
    if (++pages > 100) throw new Error('no end to the pages');
  }
  return ids;
}

const adminClient = new Client(app);
await adminClient.login(admin.email, admin.password);

t.test('the filter choices follow product changes, with rows on the page or none', async (t) => {
  // The choices are remembered under the catalogue version, read with the page's rows (or on
  // its own when the page has none): a new product or an edit must show on the next view.
  const before = await adminClient.get('/products');
  t.notMatch(before.body, '<option value="Brandnew Co"');
  const [added] = await app.db.insert(products).values({ sku: 'ZZ-FRESH-1', productName: 'Fresh Item', unitPrice: '2.00', brand: 'Brandnew Co' }).returning({ id: products.productId });
  t.match((await adminClient.get('/products')).body, '<option value="Brandnew Co"', 'a new product: its brand is offered at once');
  await app.db.execute(sql`update products set colour = 'Ultraviolet', updated_at = now() where product_id = ${added!.id}`);
  const empty = await adminClient.get('/products?q=no%20such%20product%20anywhere');
  t.equal(idsOf(empty.body).length, 0);
  t.match(empty.body, '<option value="Ultraviolet"', 'an edit: its colour is offered, on a page without rows too');
  await app.db.delete(products).where(sql`${products.productId} = ${added!.id}`);
});

t.test('the full page has the layout, filters with choices from the data, and the rows', async (t) => {
  const res = await adminClient.get('/products');
  t.equal(res.statusCode, 200);
  t.match(res.body, '<!doctype html>');
  t.match(res.body, 'id="products-filters"');
  t.match(res.body, 'id="products-rows"');
  t.match(res.body, 'aria-current="page"');
  const brands = await queryRows<{ brand: string }>(app.db, sql`select distinct brand from products where brand is not null`);
  t.ok(brands.length > 3);
  for (const { brand } of brands) t.match(res.body, `<option value="${brand.replace(/&/g, '&amp;').replace(/'/g, '&#39;')}"`, `brand ${brand} offered`);
  t.match(res.body, '<option value="Red"', 'colour choice');
  t.match(res.body, '<option value="M"', 'size choice');
  t.equal(res.body.match(/id="products-sort-state"/g)?.length, 1, 'sort state once (not out of band)');
  t.equal(idsOf(res.body).length, 50, 'default page size');
  const all = await adminClient.get('/products?limit=200');
  const [n] = await queryRows<{ all: number; inactive: number }>(app.db, sql`select count(*)::int as all, count(*) filter (where not active)::int as inactive from products`);
  t.equal(idsOf(all.body).length, n!.all, 'active and inactive by default');
  t.equal(all.body.match(/<mark>Inactive<\/mark>/g)?.length, n!.inactive, 'inactive rows are marked');
  t.ok(n!.inactive > 0);
  t.equal(res.headers.vary, 'HX-Request, HX-Boosted, HX-History-Restore-Request');
});

t.test('htmx requests get the rows fragment with the sort state out of band; boosted ones the page', async (t) => {
  const frag = await adminClient.get('/products?brand=Tagco', { 'hx-request': 'true' });
  t.equal(frag.statusCode, 200);
  t.notMatch(frag.body, '<html');
  t.notMatch(frag.body, 'id="products-filters"');
  t.match(frag.body, /^\s*<section id="products-rows" hx-swap="outerHTML">/);
  t.match(frag.body, 'id="products-sort-state" hx-swap-oob="true"');
  t.same(idsOf(frag.body).length, 1);
  const boosted = await adminClient.get('/products', { 'hx-request': 'true', 'hx-boosted': 'true' });
  t.match(boosted.body, '<!doctype html>');
});

t.test('filters combine, and the name search is a case-insensitive contains with wildcards escaped', async (t) => {
  const [pick] = await queryRows<{ brand: string; colour: string; size: string }>(app.db,
    sql`select brand, colour, size from products where brand is not null group by brand, colour, size order by count(*) desc limit 1`);
  const cases: Array<[string, string]> = [
    [`brand=${encodeURIComponent(pick!.brand)}`, `brand = '${pick!.brand.replace(/'/g, "''")}'`],
    [`colour=${encodeURIComponent(pick!.colour)}&size=${encodeURIComponent(pick!.size)}`, `colour = '${pick!.colour}' and size = '${pick!.size}'`],
    ['minPrice=20&maxPrice=150.5', 'unit_price between 20 and 150.5'],
    ['active=false', 'not active'],
    ['active=true&minPrice=100', 'active and unit_price >= 100'],
    ['q=WIDGET', "product_name ilike '%widget%'"],
    ['q=50%25_o', "sku = 'ZZ-50%_OFF'"],
    ['q=50%25x', 'false'],
    [`q=${encodeURIComponent(pick!.brand.slice(1, 4).toLowerCase())}&brand=${encodeURIComponent(pick!.brand)}&maxPrice=500&active=true`,
      `product_name ilike '%${pick!.brand.slice(1, 4).replace(/'/g, "''")}%' and brand = '${pick!.brand.replace(/'/g, "''")}' and unit_price <= 500 and active`],
  ];
  for (const [query, where] of cases) {
    const got = await walk(adminClient, `/products?${query}&limit=9`);
    const want = await expectedIds('productName', 'asc', where);
    t.same(got, want, query);
  }
  const none = await adminClient.get('/products?q=no-such-product-anywhere');
  t.match(none.body, 'No products match these filters.');
});

t.test('every column sorts both ways across keyset pages', async (t) => {
  for (const sort of Object.keys(ORDER_EXPR)) {
    for (const order of ['asc', 'desc'] as const) {
      const got = await walk(adminClient, `/products?sort=${sort}&order=${order}&limit=11`);
      t.same(got, await expectedIds(sort, order), `${sort} ${order}`);
    }
  }
  // With a narrowing filter the stock sums are taken product by product (another query shape).
  const [{ brand }] = await queryRows<{ brand: string }>(app.db, sql`select brand from products where brand is not null group by brand order by count(*) desc limit 1`) as [{ brand: string }];
  for (const order of ['asc', 'desc'] as const) {
    const got = await walk(adminClient, `/products?brand=${encodeURIComponent(brand)}&sort=available&order=${order}&limit=4`);
    t.same(got, await expectedIds('available', order, `brand = '${brand.replace(/'/g, "''")}'`), `available ${order}, filtered`);
  }
  const res = await adminClient.get('/products?sort=unitPrice&order=desc');
  t.match(res.body, 'aria-sort="descending"');
  t.match(res.body, /href="\/products\?sort=unitPrice&amp;order=asc&amp;active=all|href="\/products\?sort=unitPrice&amp;order=asc"/);
});

t.test('previous and first links walk back to the same rows', async (t) => {
  const first = await adminClient.get('/products?sort=brand&order=desc&limit=10');
  const second = await adminClient.get(linkOf(first.body, 'next')!);
  const third = await adminClient.get(linkOf(second.body, 'next')!);
  const back = await adminClient.get(linkOf(third.body, 'prev')!);
  t.same(idsOf(back.body), idsOf(second.body));
  const backAgain = await adminClient.get(linkOf(back.body, 'prev')!);
  t.same(idsOf(backAgain.body), idsOf(first.body));
  t.match(third.body, '« First');
});

t.test('a bad cursor, sort or filter is refused with a message', async (t) => {
  const cursor = await adminClient.get('/products?cursor=not-a-cursor');
  t.equal(cursor.statusCode, 400);
  t.match(cursor.body, 'The cursor is not valid');
  const tampered = await adminClient.get(`/products?cursor=${Buffer.from('["x",1,"q"]').toString('base64url')}`);
  t.equal(tampered.statusCode, 400);
  const sort = await adminClient.get('/products?sort=password');
  t.equal(sort.statusCode, 422);
  t.match(sort.body, 'Sort by one of');
  const price = await adminClient.get('/products?minPrice=abc&maxPrice=-5');
  t.equal(price.statusCode, 422);
  t.match(price.body, 'Enter a minimum price of 0 or more');
  t.match(price.body, 'Enter a maximum price of 0 or more');
  t.match(price.body, 'aria-invalid="true"');
  t.match(price.body, 'value="abc"', 'the typed value is kept');
  t.same(idsOf(price.body), [], 'no rows for invalid filters');
  const range = await adminClient.get('/products?minPrice=10&maxPrice=9.99', { 'hx-request': 'true' });
  t.equal(range.statusCode, 422, 'htmx swaps 422');
  t.match(range.body, 'The maximum price must be at least the minimum price.');
  t.match(range.body, 'id="products-rows"');
  const decimals = await adminClient.get('/products?minPrice=1.005');
  t.equal(decimals.statusCode, 422);
  const limit = await adminClient.get('/products?limit=500');
  t.equal(limit.statusCode, 422);
});

t.test('CSV honours filters and sort and streams every page', async (t) => {
  const res = await adminClient.get('/products?active=true&minPrice=10&sort=unitPrice&order=desc&format=csv');
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], 'text/csv');
  t.match(res.headers['content-disposition'], 'attachment; filename="products.csv"');
  const lines = csvLines(res.body);
  t.equal(lines[0], 'productId,sku,productName,brand,colour,size,rating,unitPrice,available,active');
  const ids = lines.slice(1).map((l) => Number(l.split(',')[0]));
  t.same(ids, await expectedIds('unitPrice', 'desc', 'active and unit_price >= 10'));
  const all = await adminClient.get('/products?format=csv&sort=available');
  t.equal(csvLines(all.body).length - 1, (await expectedIds('productId', 'asc')).length, 'one line per product');
  const bad = await adminClient.get('/products?format=csv&maxPrice=x');
  t.equal(bad.statusCode, 400);
  const link = await adminClient.get('/products?brand=Tagco&sort=sku');
  t.match(link.body, 'href="/products?sort=sku&amp;order=asc&amp;brand=Tagco&amp;format=csv"');
});

t.test('staff see available stock over their stores only', async (t) => {
  const c = new Client(app);
  await c.login(staff.email, staff.password);
  for (const order of ['asc', 'desc'] as const) {
    t.same(await walk(c, `/products?sort=available&order=${order}&limit=20`), await expectedIds('available', order, 'true', [storeIds[0]!]), order);
  }
  t.same(await walk(c, '/products?q=widget&sort=available&order=desc&limit=1'), await expectedIds('available', 'desc', "product_name ilike '%widget%'", [storeIds[0]!]), 'filtered');
  const res = await c.get('/products?sku=&q=Plain&sort=productId');
  t.match(res.body, 'Available stock is counted over your stores only.');
  const [row] = await queryRows<{ id: number; mine: number; all: number }>(app.db, sql`select product_id as id,
      sum(on_hand - reserved) filter (where store_id = ${storeIds[0]!})::int as mine, sum(on_hand - reserved)::int as all
    from inventory group by product_id having sum(on_hand - reserved) filter (where store_id = ${storeIds[0]!}) <> sum(on_hand - reserved) limit 1`);
  const page = await c.get(`/products?q=&sort=productId&order=asc&limit=200`);
  const cell = new RegExp(`<tr id="product-${row!.id}"[\\s\\S]*?<td class="num">([\\d,]+)</td>\\s*</tr>`).exec(page.body);
  t.equal(Number(cell![1]!.replace(/,/g, '')), row!.mine, 'their stores');
  const adminPage = await adminClient.get(`/products?sort=productId&order=asc&limit=200`);
  const adminCell = new RegExp(`<tr id="product-${row!.id}"[\\s\\S]*?<td class="num">([\\d,]+)</td>\\s*</tr>`).exec(adminPage.body);
  t.equal(Number(adminCell![1]!.replace(/,/g, '')), row!.all, 'admins: every store');
});

t.test('customers and visitors cannot open the back-office list', async (t) => {
  const c = new Client(app);
  await c.login(customer.email, customer.password);
  const res = await c.get('/products');
  t.equal(res.statusCode, 403);
  const anon = await new Client(app).get('/products');
  t.equal(anon.statusCode, 303);
  t.match(anon.headers.location, '/login?next=');
});
