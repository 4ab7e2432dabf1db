// Customers back office: the list (search, sort, keyset pages, CSV, htmx fragments), the
// shipment-status summary, the detail page and who may see what.
import t from 'tap';
import { sql } from 'drizzle-orm';
import { buildTestApp, Client, makeUser } from './helper.ts';
import { csvLines } from './csv-rows.ts';
import { seedData } from '../src/db/seed.ts';
import { queryRows } from '../src/db/client.ts';
import { customerCounterDrift, listCustomers, SEARCH_WINDOW } from '../src/modules/customers/repository.ts';

const { app } = await buildTestApp(t);
await seedData(app.db, { stores: 3, products: 20, customers: 70, orders: 400 });
const admin = await makeUser(app, 'admin');
const stores = await queryRows<{ id: number }>(app.db, sql`select store_id as id from stores order by store_id`);
const storeA = stores[0]!.id;
const staff = await makeUser(app, 'staff', { storeIds: [storeA] });
const shopper = await makeUser(app, 'customer');
// Known rows for searching: a literal "%" and "_" in names must not act as wildcards.
await app.db.execute(sql`insert into customers (email_address, full_name) values
  ('Zelda.Unique@Find.Test', 'Zelda Findable'), ('percent@find.test', '100% Real Name'), ('under_score@find.test', 'Under Score')`);

const adminClient = new Client(app);
await adminClient.login(admin.email, admin.password);
const staffClient = new Client(app);
await staffClient.login(staff.email, staff.password);

const unescape = (s: string) => s.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'");
const rowIds = (html: string) => [...html.matchAll(/id="customers-row-(\d+)"/g)].map((m) => Number(m[1]));
const link = (html: string, rel: 'next' | 'prev') => {
  const m = new RegExp(`<a href="([^"]+)"[^>]*rel="${rel}"`).exec(html);
  return m ? unescape(m[1]!) : null;
};

const SORT_SQL: Record<string, string> = {
  customerId: 'c.customer_id', fullName: 'c.full_name', emailAddress: 'lower(c.email_address)', createdAt: 'c.created_at',
  orderCount: 'coalesce(s.n, 0)', lastOrderAt: `coalesce(s.l, '-infinity'::timestamptz)`,
};
/** The whole list in the expected order, computed independently of the app's query. */
async function expectedIds(sort: string, order: 'asc' | 'desc', opts: { q?: string; storeIds?: number[] } = {}) {
  const dir = sql.raw(order);
  const scope = opts.storeIds ? sql`where store_id = any(${`{${opts.storeIds.join(',')}}`}::int[])` : sql``;
  const search = opts.q ? sql`where c.full_name ilike ${`%${opts.q}%`} or c.email_address ilike ${`%${opts.q}%`}` : sql``;
  const rows = await queryRows<{ id: number }>(app.db, sql`
    select c.customer_id as id from customers c
    left join (select customer_id, count(*) as n, max(order_tms) as l from orders ${scope} group by customer_id) s using (customer_id)
    ${search}
    order by ${sql.raw(SORT_SQL[sort]!)} ${dir}, c.customer_id ${dir}`);
  return rows.map((r) => Number(r.id));
}

/** Follows "Next" from the first page to the end. */
async function walk(client: Client, url: string) {
  const ids: number[] = [];
  let next: string | null = url;
  let pages = 0;
  while (next) {
    const res = await client.get(next);
    if (res.statusCode !== 200) throw new Error(`${next}: ${res.statusCode}`);
    ids.push(...rowIds(res.body));
    next = link(res.body, 'next');
    if (++pages > 100) throw new Error('too many pages');
  }
  return { ids, pages };
}

t.test('only signed-in staff and admins reach the back office', async (t) => {
  const anon = new Client(app);
  const res = await anon.get('/customers');
  t.equal(res.statusCode, 303);
  t.match(res.headers.location, /^\/login\?next=/);

  const c = new Client(app);
  await c.login(shopper.email, shopper.password);
  for (const url of ['/customers', `/customers/${shopper.customerId}`, '/customers/new', '/customers?format=csv', `/customers/${shopper.customerId}/edit`]) {
    const r = await c.get(url);
    t.equal(r.statusCode, 403, url);
    t.match(r.body, 'The back office is for store staff');
  }
  await c.get('/account');
  const before = await queryRows<{ n: number }>(app.db, sql`select count(*)::int as n from customers`);
  const post = await c.post('/customers', { fullName: 'Sneaky', emailAddress: 'sneaky@example.test' });
  t.equal(post.statusCode, 403);
  const edit = await c.post(`/customers/${shopper.customerId}/edit`, { fullName: 'Renamed', emailAddress: shopper.email, version: '1' });
  t.equal(edit.statusCode, 403);
  const del = await c.post(`/customers/${shopper.customerId}/delete`, {});
  t.equal(del.statusCode, 403);
  const after = await queryRows<{ n: number }>(app.db, sql`select count(*)::int as n from customers`);
  t.equal(after[0]!.n, before[0]!.n, 'nothing created or deleted');
  const [me] = await queryRows<{ full_name: string }>(app.db, sql`select full_name from customers where customer_id = ${shopper.customerId}`);
  t.not(me!.full_name, 'Renamed');
});

t.test('the first page: sorted by name, 50 rows, a next link and no previous', async (t) => {
  const res = await adminClient.get('/customers');
  t.equal(res.statusCode, 200);
  t.match(res.body, '<html');
  t.match(res.body, 'id="customers-search"');
  t.match(res.body, 'id="customers-shipment-summary"');
  const ids = rowIds(res.body);
  t.same(ids, (await expectedIds('fullName', 'asc')).slice(0, 50));
  t.ok(link(res.body, 'next'));
  t.equal(link(res.body, 'prev'), null);
  t.match(res.body, 'aria-sort="ascending"', 'the sorted column is marked');
});

t.test('every column sorts both ways, and paging through covers every row once', async (t) => {
  for (const sort of Object.keys(SORT_SQL)) {
    for (const order of ['asc', 'desc'] as const) {
      const expected = await expectedIds(sort, order);
      const { ids, pages } = await walk(adminClient, `/customers?sort=${sort}&order=${order}&limit=13`);
      t.same(ids, expected, `${sort} ${order}`);
      t.equal(pages, Math.ceil(expected.length / 13), `${sort} ${order}: page count`);
    }
  }
});

t.test('previous goes back exactly one page; first is reachable from deep pages', async (t) => {
  const expected = await expectedIds('orderCount', 'desc');
  let res = await adminClient.get('/customers?sort=orderCount&order=desc&limit=10');
  const pages = [rowIds(res.body)];
  for (let i = 0; i < 4; i++) {
    res = await adminClient.get(link(res.body, 'next')!);
    pages.push(rowIds(res.body));
  }
  t.same(pages[4], expected.slice(40, 50), 'fifth page');
  const prevUrl = link(res.body, 'prev')!;
  t.match(prevUrl, /sort=orderCount/);
  const back = await adminClient.get(prevUrl);
  t.same(rowIds(back.body), pages[3], 'previous page is the fourth');
  const back2 = await adminClient.get(link(back.body, 'prev')!);
  t.same(rowIds(back2.body), pages[2]);
  t.match(res.body, /« First/);
});

t.test('bad list parameters are 400 with a message, not 500', async (t) => {
  const badCursor = await adminClient.get('/customers?cursor=garbage');
  t.equal(badCursor.statusCode, 400);
  t.match(badCursor.body, 'The cursor is not valid');
  const forged = await adminClient.get(`/customers?cursor=${Buffer.from('["x",1,"n"]').toString('base64url')}&sort=orderCount`);
  t.equal(forged.statusCode, 400, 'a cursor whose value does not fit the sort');
  const badSort = await adminClient.get('/customers?sort=password');
  t.equal(badSort.statusCode, 400);
  t.match(badSort.body, 'Cannot sort by');
  t.equal((await adminClient.get('/customers?limit=0')).statusCode, 400);
  t.equal((await adminClient.get('/customers?limit=201')).statusCode, 400);
  t.equal((await adminClient.get('/customers?order=up')).statusCode, 400);
});

t.test('search by name or email, case-insensitive, wildcards taken literally', async (t) => {
  // "zelda find": faker's first names include Zelda, so a seeded customer may match "zelda".
  let res = await adminClient.get('/customers?q=zelda%20find');
  t.equal(res.statusCode, 200);
  const [zelda] = await queryRows<{ id: number }>(app.db, sql`select customer_id as id from customers where full_name = 'Zelda Findable'`);
  t.same(rowIds(res.body), [zelda!.id]);
  res = await adminClient.get('/customers?q=UNIQUE%40find');
  t.same(rowIds(res.body), [zelda!.id], 'by email');
  res = await adminClient.get('/customers?q=%25');
  t.equal(rowIds(res.body).length, 1, '"%" matches only the name containing it');
  t.match(res.body, '100% Real Name');
  res = await adminClient.get('/customers?q=Sc_re');
  t.same(rowIds(res.body).length, 0, '"_" is not a single-character wildcard (would match "Score")');
  res = await adminClient.get('/customers?q=r_sc');
  t.match(res.body, 'Under Score', 'but matches itself');
  res = await adminClient.get('/customers?q=nobody-at-all');
  t.same(rowIds(res.body), []);
  t.match(res.body, 'No customer matches “nobody-at-all”.');
  res = await adminClient.get('/customers?q=%3Cscript%3E');
  t.notMatch(res.body, '<script>x', 'the search text is escaped');
  t.match(res.body, 'value="&lt;script&gt;"');

  // Punctuation, short words and spaces are matched exactly.
  const named = await queryRows<{ id: number; name: string }>(app.db, sql`insert into customers (email_address, full_name) values
    ('m.dquillonx@find.test', 'Maureen D''Quillonx'), ('m.d.quillonx@find.test', 'Maureen Dquillonx'), ('jo.o@find.test', 'Jo D Quillonx Smithee')
    returning customer_id as id, full_name as name`);
  const idOf = (name: string) => named.find((r) => r.name === name)!.id;
  res = await adminClient.get(`/customers?q=${encodeURIComponent("d'quillonx")}`);
  t.same(rowIds(res.body), [idOf("Maureen D'Quillonx")], '"d\'quillonx" finds D\'Quillonx only, not Dquillonx or "D Quillonx"');
  res = await adminClient.get(`/customers?q=${encodeURIComponent("EN D'Q")}`);
  t.same(rowIds(res.body), [idOf("Maureen D'Quillonx")], 'across words and punctuation');
  res = await adminClient.get(`/customers?q=${encodeURIComponent('d quillonx smithee')}`);
  t.same(rowIds(res.body), [idOf('Jo D Quillonx Smithee')], 'words in order, spaces exact');
  res = await adminClient.get(`/customers?q=${encodeURIComponent('quillonx smithee d')}`);
  t.same(rowIds(res.body), [], 'not in another order');
  res = await adminClient.get(`/customers?q=${encodeURIComponent('dquillonx@find')}`);
  t.same(rowIds(res.body), [idOf("Maureen D'Quillonx")], 'emails too');
  await app.db.execute(sql`delete from customers where customer_id in (${sql.join(named.map((r) => sql`${r.id}`), sql`, `)})`);

  // Every seeded email is at an example domain (which one is random).
  const expected = await expectedIds('orderCount', 'desc', { q: 'example' });
  t.ok(expected.length > 5);
  const { ids } = await walk(adminClient, '/customers?q=example&sort=orderCount&order=desc&limit=4');
  t.same(ids, expected, 'search keeps its sort across pages');
  res = await adminClient.get('/customers?q=example&sort=orderCount&order=desc&limit=4');
  t.match(unescape(link(res.body, 'next')!), /q=example&/);
  t.match(res.body, /href="\/customers\?q=example&amp;sort=fullName&amp;order=asc/, 'sort headers keep the search');
});

t.test('a search gives the same pages whichever way it is read: the key-order window or every match', async (t) => {
  // A window of 3 rows never fills a page of 7, so the trigram branch reads every match; 12 rows
  // fill it for broad terms; the default window holds the whole test data set. ("a" has no
  // three-letter word, so it always gets WEAK_SEARCH_WINDOW: the walk.)
  for (const window of [3, 12, SEARCH_WINDOW]) {
    for (const sort of Object.keys(SORT_SQL)) {
      for (const order of ['asc', 'desc'] as const) {
        for (const q of ['a', 'example', 'zelda', 'nobody-at-all']) {
          for (const scope of ['all', [storeA]] as const) {
            const ids: number[] = [];
            let cursor: string | undefined;
            do {
              const page = await listCustomers(app.db, { q, sort, order, cursor, limit: 7 }, scope === 'all' ? 'all' : [...scope], window);
              ids.push(...page.items.map((r) => r.customerId));
              cursor = page.nextCursor ?? undefined;
            } while (cursor && ids.length < 500);
            const expected = await expectedIds(sort, order, { q, storeIds: scope === 'all' ? undefined : [...scope] });
            t.same(ids, expected, `window ${window}, ${sort} ${order}, q=${q}, scope ${String(scope)}`);
          }
        }
      }
    }
  }
});

t.test('htmx requests get the rows fragment; boosted and history restores get the page', async (t) => {
  const frag = await adminClient.get('/customers?q=zelda', { 'hx-request': 'true' });
  t.equal(frag.statusCode, 200);
  t.notMatch(frag.body, '<html');
  t.match(frag.body, /^\s*<div id="customers-rows" hx-swap="outerHTML">/);
  t.match(frag.body, 'Zelda Findable');
  t.notMatch(frag.body, 'customers-shipment-summary', 'the summary is not recomputed for a search');
  t.match(frag.body, 'id="customers-search-state" hx-swap-oob="true"', 'sort state goes back to the search form');
  t.match(frag.headers.vary as string, /HX-Request/);
  const boosted = await adminClient.get('/customers', { 'hx-request': 'true', 'hx-boosted': 'true' });
  t.match(boosted.body, '<html');
  const restore = await adminClient.get('/customers?q=zelda', { 'hx-request': 'true', 'hx-history-restore-request': 'true' });
  t.match(restore.body, '<html');
  t.match(restore.body, 'value="zelda"', 'the restored page shows the search');
  const page = await adminClient.get('/customers?q=zelda&sort=customerId&order=desc');
  t.match(page.body, /hx-get="\/customers" hx-target="#customers-rows" hx-swap="outerHTML" hx-push-url="true"/);
  t.match(page.body, '<script src="/static/js/customers.js" defer></script>');
  t.match(page.body, '<button type="submit">Search</button>', 'works without JavaScript');
  t.match(page.body, /name="sort" value="customerId"/);
  t.notMatch(page.body, 'hx-swap-oob', 'the full page has no out-of-band parts');
  const js = await adminClient.get('/static/js/customers.js');
  t.equal(js.statusCode, 200);
  t.match(js.body, 'htmx:historyRestore');
});

t.test('CSV export honours search and sort and streams every row', async (t) => {
  const res = await adminClient.get('/customers?format=csv&sort=orderCount&order=desc');
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], 'text/csv');
  t.match(res.headers['content-disposition'], /attachment; filename="customers-\d{4}-\d\d-\d\d\.csv"/);
  const lines = csvLines(res.body);
  t.equal(lines[0], 'customerId,fullName,emailAddress,createdAt,orderCount,lastOrderAt');
  const expected = await expectedIds('orderCount', 'desc');
  t.same(lines.slice(1).map((l) => Number(l.split(',')[0])), expected, 'all rows, in the page\'s order');
  const [top] = await queryRows<{ id: number; n: number; l: Date }>(app.db, sql`select customer_id as id, count(*)::int as n, max(order_tms) as l from orders where customer_id = ${expected[0]} group by 1`);
  const first = lines[1]!.split(',');
  t.equal(Number(first[4]), top!.n);
  t.equal(first[5], new Date(top!.l).toISOString());

  // The export is the whole list from the start: the page's cursor and limit do not apply.
  const f2 = await adminClient.get('/customers?format=csv&q=find.test&sort=emailAddress&order=desc&limit=1&cursor=anything');
  const rows = csvLines(f2.body).slice(1);
  t.same(rows.map((r) => r.split(',')[2]), ['Zelda.Unique@Find.Test', 'under_score@find.test', 'percent@find.test']);
  t.ok(rows.every((r) => r.endsWith(',0,')), 'no orders: zero and an empty date');
  const bad = await adminClient.get('/customers?format=csv&sort=nope');
  t.equal(bad.statusCode, 400);
  const page = await adminClient.get('/customers?q=find.test&sort=emailAddress&order=desc');
  t.match(page.body, 'href="/customers?q=find.test&amp;sort=emailAddress&amp;order=desc&amp;format=csv"', 'the export link carries the current list');
});

t.test('customers by shipment status: distinct customers, loaded after the list, scoped to staff stores', async (t) => {
  const list = await adminClient.get('/customers');
  t.match(list.body, /id="customers-shipment-summary" hx-get="\/customers\/shipment-status" hx-trigger="load" hx-swap="outerHTML"/);
  t.match(list.body, '<a href="/customers/shipment-status">', 'a plain link without JavaScript');
  const cardsOf = (html: string) => Object.fromEntries([...html.matchAll(/id="customers-shipment-status-([a-z-]+)">\s*<span class="card-label">([A-Z-]+)<\/span>\s*<strong>([\d,]+)<\/strong>/g)]
    .map((m) => [m[2]!, Number(m[3]!.replace(/,/g, ''))]));
  const expected = async (storeIds?: number[]) => {
    const rows = await queryRows<{ s: string; n: number }>(app.db, sql`select shipment_status as s, count(distinct customer_id)::int as n from shipments
      ${storeIds ? sql`where store_id = any(${`{${storeIds.join(',')}}`}::int[])` : sql``} group by 1`);
    return Object.fromEntries(['CREATED', 'SHIPPED', 'IN-TRANSIT', 'DELIVERED'].map((s) => [s, rows.find((r) => r.s === s)?.n ?? 0]));
  };
  const all = await expected();
  t.ok(all.DELIVERED! > 0);
  const frag = await adminClient.get('/customers/shipment-status', { 'hx-request': 'true' });
  t.equal(frag.statusCode, 200);
  t.notMatch(frag.body, '<html');
  t.match(frag.body, /^<section id="customers-shipment-summary"/, 'the fragment replaces the placeholder');
  t.same(cardsOf(frag.body), all, 'every status, zeros included');
  const page = await adminClient.get('/customers/shipment-status');
  t.match(page.body, '<html');
  t.same(cardsOf(page.body), all);
  const csv = await adminClient.get('/customers/shipment-status?format=csv');
  t.equal(csvLines(csv.body).join('\n'), ['shipmentStatus,customers', ...Object.entries(all).map(([s, n]) => `${s},${n}`)].join('\n'));

  const mine = await expected([storeA]);
  const sres = await staffClient.get('/customers/shipment-status', { 'hx-request': 'true' });
  t.same(cardsOf(sres.body), mine, 'staff: their stores only');
  t.match(sres.body, 'from your stores');
  t.ok(mine.DELIVERED! < all.DELIVERED!);
  const c = new Client(app);
  await c.login(shopper.email, shopper.password);
  t.equal((await c.get('/customers/shipment-status')).statusCode, 403);
});

t.test('the customers\' order counters follow every change to orders', async (t) => {
  /** Customers whose kept counters differ from counting their orders now. */
  const drift = () => customerCounterDrift(app.db);
  const counters = async (id: number) => (await queryRows<{ n: number; l: string | null }>(app.db,
    sql`select order_count as n, last_order_at::text as l from customer_order_stats where customer_id = ${id}`))[0]!;
  const rowVersion = async (id: number) => (await queryRows<{ x: string }>(app.db, sql`select xmin::text as x from customers where customer_id = ${id}`))[0]!.x;
  t.same(await drift(), [], 'the seed\'s orders are all counted');

  const [a, b] = (await queryRows<{ id: number }>(app.db, sql`insert into customers (email_address, full_name)
    values ('count-a@find.test', 'Count A'), ('count-b@find.test', 'Count B') returning customer_id as id`)).map((r) => r.id);
  t.same(await counters(a!), { n: 0, l: null }, 'a new customer has no orders');
  const untouched = await rowVersion(a!);

  // One statement, several orders of two customers (a bulk insert counts per statement).
  const placed = await queryRows<{ id: number }>(app.db, sql`insert into orders (customer_id, store_id, order_tms) values
    (${a}, ${storeA}, '2026-03-01T10:00:00Z'), (${a}, ${storeA}, '2026-05-01T10:00:00Z'), (${b}, ${storeA}, '2026-04-01T10:00:00Z')
    returning order_id as id`);
  t.same(await counters(a!), { n: 2, l: '2026-05-01 10:00:00+00' });
  t.same(await counters(b!), { n: 1, l: '2026-04-01 10:00:00+00' });
  t.equal(await rowVersion(a!), untouched, 'the customer row itself is not rewritten (its indexes stay as they were)');
  await app.db.execute(sql`insert into orders (customer_id, store_id, order_tms) values (${a}, ${storeA}, '2026-01-01T00:00:00Z')`);
  t.same(await counters(a!), { n: 3, l: '2026-05-01 10:00:00+00' }, 'an older order does not move the latest');

  // Moving an order to another customer, or changing its time, counts both again.
  await app.db.execute(sql`update orders set customer_id = ${b} where order_id = ${placed[1]!.id}`);
  t.same(await counters(a!), { n: 2, l: '2026-03-01 10:00:00+00' });
  t.same(await counters(b!), { n: 2, l: '2026-05-01 10:00:00+00' });
  await app.db.execute(sql`update orders set order_status = 'PAID' where order_id = ${placed[0]!.id}`);
  t.same(await counters(a!), { n: 2, l: '2026-03-01 10:00:00+00' }, 'a status change touches nothing');

  await app.db.execute(sql`delete from orders where customer_id = ${b}`);
  t.same(await counters(b!), { n: 0, l: null }, 'deleted orders are counted out');
  t.same(await drift(), [], 'no customer drifts');
  await app.db.execute(sql`delete from customer_order_stats where customer_id = ${b}`);
  t.match(await drift(), [{ customerId: b, kept: null, counted: 0 }], 'a missing counters row is drift too');
  await app.db.execute(sql`insert into customer_order_stats (customer_id) values (${b})`);
  await app.db.execute(sql`delete from customers where customer_id = ${b}`);
  t.same(await queryRows(app.db, sql`select 1 from customer_order_stats where customer_id = ${b}`), [], 'a deleted customer takes its counters');

  // The list shows and sorts by the counters.
  const res = await adminClient.get('/customers?q=count-a@find.test');
  t.match(res.body, /<td class="num">2<\/td>/);
  const top = await adminClient.get('/customers?sort=lastOrderAt&order=desc&limit=5');
  t.same(rowIds(top.body), (await expectedIds('lastOrderAt', 'desc')).slice(0, 5));

});

t.test('staff see every customer, with order figures of their stores only', async (t) => {
  const expected = await expectedIds('orderCount', 'desc', { storeIds: [storeA] });
  const { ids } = await walk(staffClient, '/customers?sort=orderCount&order=desc&limit=25');
  t.same(ids, expected);
  const [total] = await queryRows<{ n: number }>(app.db, sql`select count(*)::int as n from customers`);
  t.equal(ids.length, total!.n, 'customers are not store-scoped');
  const res = await staffClient.get('/customers');
  t.match(res.body, 'Order counts and dates cover your stores only.');
});

t.test('detail page: orders and shipments, limited, with see-all links; staff see their stores only', async (t) => {
  const [busy] = await queryRows<{ id: number; n: number }>(app.db, sql`
    select customer_id as id, count(*)::int as n from orders group by 1
    having count(distinct store_id) > 1 and count(*) > 10 order by 2 desc, 1 limit 1`);
  t.ok(busy, 'a customer with more than 10 orders at several stores');
  const id = busy!.id;
  const res = await adminClient.get(`/customers/${id}`);
  t.equal(res.statusCode, 200);
  const orderIds = [...res.body.matchAll(/id="customers-order-(\d+)"/g)].map((m) => Number(m[1]));
  const expected = await queryRows<{ id: number }>(app.db, sql`select order_id as id from orders where customer_id = ${id} order by order_tms desc, order_id desc limit 10`);
  t.same(orderIds, expected.map((r) => Number(r.id)), 'the ten newest orders');
  t.match(res.body, `href="/orders?customerId=${id}">See all ${busy!.n} orders</a>`);
  const [o] = await queryRows<{ total: string; store: string; status: string }>(app.db, sql`
    select (select sum(unit_price * quantity) from order_items i where i.order_id = o.order_id)::numeric(14,2)::text as total,
      s.store_name as store, o.order_status as status
    from orders o join stores s using (store_id) where o.order_id = ${orderIds[0]}`);
  const row = new RegExp(`id="customers-order-${orderIds[0]}">[\\s\\S]*?</tr>`).exec(res.body)![0];
  t.match(row, Number(o!.total).toLocaleString('en-US', { minimumFractionDigits: 2 }));
  t.match(row, o!.store);
  t.match(row, o!.status);
  const shipmentIds = [...res.body.matchAll(/id="customers-shipment-(\d+)"/g)].map((m) => Number(m[1]));
  const expectedShipments = await queryRows<{ id: number }>(app.db, sql`select shipment_id as id from shipments where customer_id = ${id} order by created_at desc, shipment_id desc limit 10`);
  t.same(shipmentIds, expectedShipments.map((r) => r.id));
  t.match(res.body, `href="/audit?entity=customer&amp;entityId=${id}"`, 'History link for admins');
  t.match(res.body, 'id="customers-delete-refusal"', 'delete is not offered while orders exist');
  t.notMatch(res.body, `action="/customers/${id}/delete"`);

  const sres = await staffClient.get(`/customers/${id}`);
  t.equal(sres.statusCode, 200);
  const staffOrders = [...sres.body.matchAll(/id="customers-order-(\d+)"/g)].map((m) => Number(m[1]));
  const mine = await queryRows<{ id: number }>(app.db, sql`select order_id as id from orders where customer_id = ${id} and store_id = ${storeA} order by order_tms desc, order_id desc limit 10`);
  t.same(staffOrders, mine.map((r) => Number(r.id)), 'only orders of the staff member\'s store');
  const others = await queryRows<{ id: number }>(app.db, sql`select order_id as id from orders where customer_id = ${id} and store_id <> ${storeA}`);
  for (const other of others) t.notMatch(sres.body, `id="customers-order-${other.id}"`);
  const staffShipments = [...sres.body.matchAll(/id="customers-shipment-(\d+)"/g)].map((m) => Number(m[1]));
  const myShipments = await queryRows<{ id: number }>(app.db, sql`select shipment_id as id from shipments where customer_id = ${id} and store_id = ${storeA} order by created_at desc, shipment_id desc limit 10`);
  t.same(staffShipments, myShipments.map((r) => r.id));
  t.notMatch(sres.body, '/audit?', 'no History link for staff (the audit pages are admin-only)');
  t.match(sres.body, 'Orders at your stores');
});

t.test('detail page of a customer without orders offers delete; unknown ids are 404', async (t) => {
  const [lonely] = await queryRows<{ id: number }>(app.db, sql`select customer_id as id from customers where email_address = 'percent@find.test'`);
  const res = await adminClient.get(`/customers/${lonely!.id}`);
  t.match(res.body, `action="/customers/${lonely!.id}/delete"`);
  t.match(res.body, 'No orders.');
  t.match(res.body, 'No shipments.');
  t.match(res.body, '100% Real Name');
  const missing = await adminClient.get('/customers/999999');
  t.equal(missing.statusCode, 404);
  t.match(missing.body, 'Customer #999999 was not found.');
  t.match(missing.body, 'class="app-header"', 'inside the layout');
  t.equal((await adminClient.get('/customers/abc')).statusCode, 400);
  t.equal((await adminClient.get('/customers/0')).statusCode, 400);
});
