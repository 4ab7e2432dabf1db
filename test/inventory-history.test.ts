// The inventory pages beyond the stock list: multi-line transfers and their page, the movement
// history with running balances and links, the stock reports and the admin-only stock check.
import t from 'tap';
import { sql } from 'drizzle-orm';
import { Client } from './helper.ts';
import { queryRows } from '../src/db/client.ts';
import { pairState, setupInventory, writeCounts } from './inventory-fixtures.ts';
import { csvLines } from './csv-rows.ts';

const { app, db, S1, S2, S3, A, B, C, admin, staff } = await setupInventory(t);
const adminClient = new Client(app);
await adminClient.login(admin.email, admin.password);
const staffClient = new Client(app);
await staffClient.login(staff.email, staff.password);
for (const c of [adminClient, staffClient]) await c.get('/inventory/transfers/new');
for (const [sku, quantity] of [['INV-A', '30'], ['INV-B', '12']]) {
  await adminClient.post('/inventory/receive', { storeId: String(S1), sku: sku!, quantity: quantity! });
}

const lines = (pairs: Array<[string, string]>) => Object.fromEntries(pairs.flatMap(([sku, q], n) => [[`sku_${n}`, sku], [`quantity_${n}`, q]]));

t.test('a multi-line transfer moves every line, then shows both sides', async (t) => {
  const form = await adminClient.get('/inventory/transfers/new');
  t.equal((form.body.match(/name="sku_\d+"/g) ?? []).length, 5);
  const more = await adminClient.post('/inventory/transfers/new', { lines: '5', more: '1', fromStoreId: String(S1) });
  t.equal((more.body.match(/name="sku_\d+"/g) ?? []).length, 10, '"More lines" adds five, keeping what was typed');
  t.match(more.body, `<option value="${S1}" selected>`);

  const res = await adminClient.post('/inventory/transfers/new', { lines: '5', fromStoreId: String(S1), toStoreId: String(S2), reference: 'TR-1', ...lines([['INV-A', '10'], ['INV-B', '2']]) });
  t.equal(res.statusCode, 303);
  const id = /^\/inventory\/transfers\/([0-9a-f-]{36})$/.exec(res.headers.location as string)?.[1];
  t.ok(id, 'redirects to the transfer');
  const page = await adminClient.get(res.headers.location as string);
  t.match(page.body, 'Transferred 12 units of 2 products.');
  t.match(page.body, /<h1>Transfer from .* to .*<\/h1>/);
  t.equal((page.body.match(/transfer out #\d+/g) ?? []).length, 2);
  t.equal((page.body.match(/transfer in #\d+/g) ?? []).length, 2);
  t.match(page.body, 'TR-1');
  t.same(await pairState(db, S2, B), { onHand: 2, reserved: 0, reorderPoint: 0, ledger: 2, movements: 1 });
  t.equal((await staffClient.get(res.headers.location as string)).statusCode, 200, 'staff of the sending store see it');
  const other = new Client(app);
  const { makeUser } = await import('./helper.ts');
  const s3staff = await makeUser(app, 'staff', { storeIds: [S3] });
  await other.login(s3staff.email, s3staff.password);
  t.equal((await other.get(res.headers.location as string)).statusCode, 404, 'staff of neither store do not');
});

t.test('transfer form errors sit next to their line, and nothing moves', async (t) => {
  const post = async (form: Record<string, string>, status: number, message: RegExp) => {
    const before = await writeCounts(db);
    const res = await adminClient.post('/inventory/transfers/new', { lines: '5', ...form });
    t.equal(res.statusCode, status, JSON.stringify(form));
    t.match(res.body, message);
    t.same(await writeCounts(db), before, 'nothing written');
    return res;
  };
  const from = { fromStoreId: String(S1), toStoreId: String(S3) };
  await post({ ...from }, 422, /Add at least one product to transfer\./);
  await post({ ...from, ...lines([['INV-A', '1'], ['INV-A', '2']]) }, 422, /This product is already on line 1/);
  await post({ ...from, ...lines([['NOPE-9', '1']]) }, 422, /No product has this SKU\./);
  await post({ ...from, ...lines([['INV-A', '1.5']]) }, 422, /Enter a whole number of units/);
  await post({ ...from, ...lines([['', '3']]) }, 422, /Enter the SKU of the product\./);
  await post({ fromStoreId: String(S1), toStoreId: String(S1), ...lines([['INV-A', '1']]) }, 422, /two different stores/);
  await post({ toStoreId: String(S3), ...lines([['INV-A', '1']]) }, 422, /Choose the store the stock leaves\./);
  const short = await post({ ...from, ...lines([['INV-A', '1'], ['INV-B', '11']]) }, 409, /Only 10 available at the source store\./);
  t.match(short.body, /Inventory Beta has 10 available/);
  t.equal((await pairState(db, S3, A)).onHand, null, 'no row appeared at the destination');
  const res = await staffClient.post('/inventory/transfers/new', { lines: '5', fromStoreId: String(S2), toStoreId: String(S1), ...lines([['INV-A', '1']]) });
  t.equal(res.statusCode, 403);
});

t.test('history: newest first, balance after each movement, links to what caused it', async (t) => {
  await adminClient.get('/inventory');
  await adminClient.post(`/inventory/${S1}/${A}/count`, { countedQuantity: '18' });
  const res = await adminClient.get(`/inventory/movements?storeId=${S1}&productId=${A}`);
  t.equal(res.statusCode, 200);
  t.match(res.body, /<h1>History of INV-A at .*<\/h1>/);
  const rows = [...res.body.matchAll(/<tr id="inventory-movement-\d+">[\s\S]*?<td>(receipt|count|transfer out|adjustment)<\/td>\s*<td class="num">([+-]?\d+)<\/td>\s*<td class="num">(\d+)<\/td>/g)]
    .map((m) => [m[1], Number(m[2]), Number(m[3])]);
  t.same(rows, [['count', -2, 18], ['transfer out', -10, 20], ['receipt', 30, 30]]);
  t.match(res.body, /href="\/inventory\/transfers\/[0-9a-f-]{36}">Transfer<\/a>/);
  const fragment = await adminClient.get(`/inventory/movements?storeId=${S1}&productId=${A}&kind=receipt`, { 'hx-request': 'true' });
  t.match(fragment.body, /^<div id="inventory-movement-rows"/);
  t.equal((fragment.body.match(/<tr id="inventory-movement-/g) ?? []).length, 1);
  const [sale] = await queryRows<{ store_id: number; order_id: number; shipment_id: number }>(db, sql`select store_id, order_id, shipment_id from stock_movements where kind = 'sale' limit 1`);
  const sales = await adminClient.get(`/inventory/movements?storeId=${sale!.store_id}&kind=sale&limit=200`);
  t.match(sales.body, `href="/orders/${sale!.order_id}"`);
  t.match(sales.body, `href="/shipments/${sale!.shipment_id}"`);
  const mine = await staffClient.get('/inventory/movements?limit=200');
  t.ok([...mine.body.matchAll(/<tr id="inventory-movement-(\d+)">/g)].length > 0);
  const storesSeen = await queryRows<{ n: number }>(db, sql`select count(distinct store_id)::int as n from stock_movements
    where movement_id = any(${`{${[...mine.body.matchAll(/<tr id="inventory-movement-(\d+)">/g)].map((m) => m[1]).join(',')}}`}::bigint[]) and store_id <> ${S1}`);
  t.equal(storesSeen[0]!.n, 0, 'staff see their store only');
  const csv = await adminClient.get(`/inventory/movements?storeId=${S1}&productId=${A}&format=csv`);
  t.same(csvLines(csv.body).slice(1).map((l) => l.split(',')[9]), ['18', '20', '30'], 'balances in the export');
  t.equal((await adminClient.get('/inventory/movements?kind=teleport')).statusCode, 400);
});

t.test('reports: order lines, products by store, delivered units', async (t) => {
  const [order] = await queryRows<{ order_id: number; store_id: number }>(db, sql`select order_id, store_id from orders where store_id = ${S1} order by order_id limit 1`);
  const lines = await staffClient.get(`/inventory/reports/order-lines?orderId=${order!.order_id}`);
  t.equal(lines.statusCode, 200);
  t.match(lines.body, 'id="report-order-lines"');
  t.match(lines.body, `href="/orders/${order!.order_id}"`);
  const [total] = await queryRows<{ total: string }>(db, sql`select sum(quantity * unit_price)::numeric(12,2)::text as total from order_items where order_id = ${order!.order_id}`);
  t.match(lines.body, `<strong>${Number(total!.total).toLocaleString('en-US', { minimumFractionDigits: 2 })}</strong>`);
  t.equal((await staffClient.get('/inventory/reports/order-lines?orderId=99999999')).statusCode, 404);
  const [foreign] = await queryRows<{ order_id: number }>(db, sql`select order_id from orders where store_id <> ${S1} limit 1`);
  t.equal((await staffClient.get(`/inventory/reports/order-lines?orderId=${foreign!.order_id}`)).statusCode, 404, 'another store\'s order is not shown to staff');

  const byStore = await staffClient.get('/inventory/reports/store-products');
  t.equal(byStore.statusCode, 200, 'defaults to the staff member\'s store');
  t.match(byStore.body, /OPEN: <strong>\d+<\/strong>/);
  t.equal((await staffClient.get(`/inventory/reports/store-products?storeId=${S2}`)).statusCode, 403);
  const frag = await adminClient.get(`/inventory/reports/store-products?storeId=${S2}&sort=units&order=desc`, { 'hx-request': 'true' });
  t.match(frag.body, /^<div id="report-store-products"/);
  const delivered = await adminClient.get('/inventory/reports/delivered-units?limit=200');
  const [sum] = await queryRows<{ units: number }>(db, sql`select sum(i.quantity)::int as units from shipments s join order_items i on i.shipment_id = s.shipment_id where s.shipment_status = 'DELIVERED'`);
  const shown = [...delivered.body.matchAll(/<tr><td>[^<]*<\/td><td>[^<]*<\/td><td class="num">([\d,]+)<\/td>/g)].reduce((s, m) => s + Number(m[1]!.replace(/,/g, '')), 0);
  t.equal(shown, sum!.units);
  const csv = await adminClient.get(`/inventory/reports/delivered-units?storeId=${S1}&format=csv`);
  t.match(csvLines(csv.body)[0], /^productId,sku,productName,units,returned,salesValue/);
  t.match((await adminClient.get('/inventory/reports')).body, 'href="/inventory/reports/delivered-units"');
});

t.test('the stock check: admins only; all clear, or the rows that differ', async (t) => {
  t.equal((await staffClient.get('/inventory/verify')).statusCode, 403);
  const clear = await adminClient.get('/inventory/verify');
  t.equal(clear.statusCode, 200);
  t.match(clear.body, /All clear: the ledger and the stock agree everywhere/);
  // Break one row behind the app's back, look, and put it right again.
  await db.execute(sql`update inventory set on_hand = on_hand + 3 where store_id = ${S1} and product_id = ${C}`);
  await db.execute(sql`insert into inventory (store_id, product_id, on_hand) values (${S1}, ${C}, 3) on conflict do nothing`);
  const broken = await adminClient.get('/inventory/verify');
  t.match(broken.body, /1 store and product pair differs/);
  t.match(broken.body, /On hand is 3, but there are no stock movements\./);
  t.match((await adminClient.get(`/inventory/verify?storeId=${S2}`)).body, /All clear: the ledger and the stock agree at this store/, 'one store at a time');
  t.match((await adminClient.get(`/inventory/verify?storeId=${S1}`)).body, /1 store and product pair differs/);
  await db.execute(sql`update inventory set on_hand = 0 where store_id = ${S1} and product_id = ${C}`);
  t.match((await adminClient.get('/inventory/verify')).body, /All clear/);
});
