// The inventory pages: the stock list (page, fragment, filters, scope, CSV) and the movement forms
// of a row, inline with htmx and as pages of their own without it.
import t, { type Test } from 'tap';
import { sql } from 'drizzle-orm';
import { Client } from './helper.ts';
import { queryRows } from '../src/db/client.ts';
import { pairState, reservedPair, setupInventory, writeCounts } from './inventory-fixtures.ts';
import { csvLines } from './csv-rows.ts';

const { app, db, S1, S2, A, B, D, admin, staff } = await setupInventory(t);
const adminClient = new Client(app);
await adminClient.login(admin.email, admin.password);
const staffClient = new Client(app);
await staffClient.login(staff.email, staff.password);
await adminClient.get('/inventory');
await staffClient.get('/inventory');
const htmx = { 'hx-request': 'true' };

/** Posts a form that must be refused: status, message in the body, and nothing written. */
async function refusedForm(t: Test, client: Client, url: string, form: Record<string, string>, status: number, message: RegExp, headers: Record<string, string> = htmx) {
  const before = await writeCounts(db);
  const res = await client.post(url, form, { headers });
  t.equal(res.statusCode, status, `${url} ${JSON.stringify(form)}: ${status}`);
  t.match(res.body, message);
  t.same(await writeCounts(db), before, 'nothing written');
  return res;
}

await adminClient.post(`/inventory/receive`, { storeId: String(S1), sku: 'INV-A', quantity: '20', reference: 'DN-1' });

t.test('the stock list: page, htmx fragment, filters, staff scope and CSV', async (t) => {
  const page = await adminClient.get('/inventory');
  t.equal(page.statusCode, 200);
  t.match(page.body, '<html');
  t.match(page.body, 'id="inventory-filters"');
  t.match(page.body, 'href="/inventory/reports"');
  t.match(page.body, 'href="/inventory/verify"', 'admins get the stock check link');
  const fragment = await adminClient.get(`/inventory?storeId=${S1}&q=INV-A`, htmx);
  t.notMatch(fragment.body, '<html');
  t.match(fragment.body, /^<div id="inventory-rows"/);
  t.match(fragment.body, `id="inventory-row-${S1}-${A}"`);
  t.equal((fragment.body.match(/<tr id="inventory-row-/g) ?? []).length, 1);
  const low = await adminClient.get('/inventory?lowStock=true');
  t.match(low.body, '<h1>Low stock</h1>');
  t.ok([...low.body.matchAll(/<tr id="inventory-row-\d+-\d+"( class="stock-(\w+)")?/g)].every((m) => m[2] === 'low' || m[2] === 'out'), 'only low or out of stock rows');
  const own = await staffClient.get('/inventory?limit=200');
  const storesShown = new Set([...own.body.matchAll(/<tr id="inventory-row-(\d+)-\d+"/g)].map((m) => Number(m[1])));
  t.same([...storesShown], [S1], 'staff see their store only');
  t.notMatch(own.body, 'href="/inventory/verify"');
  const csv = await adminClient.get(`/inventory?storeId=${S1}&brand=Testbrand&format=csv`);
  t.match(csv.headers['content-type'], /text\/csv/);
  t.same(csvLines(csv.body).slice(1).map((l) => l.split(',')[3]), ['INV-A']);
  t.equal((await adminClient.get('/inventory?sort=nope')).statusCode, 400);
  const blank = await adminClient.get('/inventory?q=&storeId=&brand=&lowStock=', htmx);
  t.equal(blank.statusCode, 200, 'the empty fields a filter form sends mean "no filter"');
  t.equal((await adminClient.get('/inventory/movements?storeId=&productId=&kind=&from=&to=&actor=', htmx)).statusCode, 200);
});

t.test('a row form opens inline with htmx and as a page without it', async (t) => {
  const base = `/inventory/${S1}/${A}`;
  const inline = await adminClient.get(`${base}/adjust`, htmx);
  t.equal(inline.statusCode, 200);
  t.match(inline.body, /^\s*<tr id="inventory-row-\d+-\d+" class="editing">/);
  t.match(inline.body, `hx-post="${base}/adjust" hx-target="#inventory-row-${S1}-${A}"`);
  t.match(inline.body, '<option value="damaged">Damaged</option>');
  t.match(inline.body, `hx-get="${base}/row"`, 'cancel brings the row back');
  const full = await adminClient.get(`${base}/count`);
  t.match(full.body, '<html');
  t.notMatch(full.body, 'hx-post=');
  t.match(full.body, 'name="countedQuantity"');
  const transfer = await adminClient.get(`${base}/transfer`);
  t.notMatch(transfer.body, `<option value="${S1}"`, 'the store itself is not a destination');
  t.match(transfer.body, `<option value="${S2}"`);
  t.equal((await adminClient.get(`${base}/row`, htmx)).statusCode, 200);
  const plain = await adminClient.get(`${base}/row`);
  t.equal(plain.statusCode, 302, 'without htmx the row address leads to the list');
  t.equal(plain.headers.location, `/inventory?storeId=${S1}&q=INV-A`);
  t.equal((await staffClient.get(`/inventory/${S2}/${A}/receive`)).statusCode, 403);
  t.equal((await adminClient.get(`/inventory/${S2}/${B}/receive`)).statusCode, 404, 'no such row');
  t.equal((await adminClient.get(`${base}/explode`)).statusCode, 400);
});

t.test('receiving through the inline form swaps the updated row and the flash', async (t) => {
  const res = await adminClient.post(`/inventory/${S1}/${A}/receive`, { quantity: '5', reference: 'DN-2' }, { headers: htmx });
  t.equal(res.statusCode, 200);
  t.match(res.body, /^\s*<tr id="inventory-row-\d+-\d+">/);
  t.match(res.body, '<td class="num">25</td>');
  t.match(res.body, /<template>\s*<div id="flash" aria-live="polite" hx-swap-oob="true">\s*<p class="flash flash-success" role="status">Received 5 of INV-A at .*On hand: 25\.<\/p>/);
  t.same(await pairState(db, S1, A), { onHand: 25, reserved: 0, reorderPoint: 0, ledger: 25, movements: 2 });
});

t.test('without JavaScript a movement redirects to the list with a flash', async (t) => {
  const res = await adminClient.post(`/inventory/${S1}/${A}/adjust`, { quantity: '-2', reason: 'damaged', note: 'Wet box' });
  t.equal(res.statusCode, 303);
  t.equal(res.headers.location, `/inventory?storeId=${S1}&q=INV-A`);
  const list = await adminClient.get(res.headers.location as string);
  t.match(list.body, /Adjusted INV-A at .* by -2 \(damaged\)\. On hand: 23\./);
  const [m] = await queryRows<{ reason: string; reference: string; actor_id: number }>(db, sql`select reason, reference, actor_id from stock_movements
    where store_id = ${S1} and product_id = ${A} order by movement_id desc limit 1`);
  t.same(m, { reason: 'damaged', reference: 'Wet box', actor_id: admin.id });
});

t.test('bad input re-renders the form with field errors (422) and writes nothing', async (t) => {
  const base = `/inventory/${S1}/${A}`;
  for (const quantity of ['0', '-1', '2.5', 'abc', '']) {
    const res = await refusedForm(t, adminClient, `${base}/receive`, { quantity }, 422, /Enter a whole number of units from 1 to 1,000,000\./);
    t.match(res.body, 'aria-invalid="true"');
    t.match(res.body, /^\s*<tr id="inventory-row-/);
  }
  await refusedForm(t, adminClient, `${base}/adjust`, { quantity: '-1' }, 422, /Choose a reason from the list\./);
  await refusedForm(t, adminClient, `${base}/adjust`, { quantity: '0', reason: 'correction' }, 422, /An adjustment of 0 changes nothing/);
  await refusedForm(t, adminClient, `${base}/adjust`, { quantity: '-3', reason: 'found' }, 422, /Found adds stock: enter the number of units, without a minus sign/);
  await refusedForm(t, adminClient, `${base}/adjust`, { quantity: '-3', reason: 'other' }, 422, /Explain an .{1,6}other.{1,6} adjustment in the note/);
  await refusedForm(t, adminClient, `${base}/adjust`, { quantity: '-24', reason: 'lost' }, 409, /Cannot remove 24: Inventory Alpha at .* has only 23 on hand\./);
  await refusedForm(t, adminClient, `${base}/count`, { countedQuantity: '-4' }, 422, /Enter the number of units counted/);
  await refusedForm(t, adminClient, `${base}/transfer`, { toStoreId: String(S1), quantity: '1' }, 422, /two different stores/);
  await refusedForm(t, adminClient, `${base}/transfer`, { toStoreId: String(S2), quantity: '24' }, 409, /Inventory Alpha has 23 available/);
  await refusedForm(t, adminClient, `${base}/reorder-point`, { reorderPoint: '-1' }, 422, /Enter a whole number from 0/);
  const page = await refusedForm(t, adminClient, `${base}/receive`, { quantity: 'x' }, 422, /<html/, {});
  t.match(page.body, 'value="x"', 'the value typed is kept');
});

t.test('a missing CSRF token is refused', async (t) => {
  const before = await writeCounts(db);
  const res = await adminClient.post(`/inventory/${S1}/${A}/receive`, { quantity: '1' }, { csrf: false });
  t.equal(res.statusCode, 403);
  t.same(await writeCounts(db), before);
});

t.test('reserved stock: adjustments and counts cannot go below it', async (t) => {
  const r = await reservedPair(db, S1, D);
  const base = `/inventory/${r.storeId}/${r.productId}`;
  const res = await refusedForm(t, staffClient, `${base}/adjust`, { quantity: String(-(r.onHand - r.reserved + 1)), reason: 'expired' }, 409,
    new RegExp(`${r.reserved} of them are reserved for open orders, so at most ${r.onHand - r.reserved} can be removed`));
  t.match(res.body, `<small>On hand ${r.onHand} · reserved ${r.reserved}`, 'the form shows the current numbers');
  await refusedForm(t, staffClient, `${base}/count`, { countedQuantity: String(r.reserved - 1) }, 409, /are reserved for open orders\. Count again/);
});

t.test('counts: a difference or a zero movement, each on record', async (t) => {
  const base = `/inventory/${S1}/${A}`;
  const diff = await staffClient.post(`${base}/count`, { countedQuantity: '21' }, { headers: htmx });
  t.match(diff.body, /Count recorded: INV-A at .* is now 21 \(-2\)\./);
  const same = await staffClient.post(`${base}/count`, { countedQuantity: '21' }, { headers: htmx });
  t.match(same.body, /matches the records \(21\)/);
  const last = await queryRows<{ kind: string; quantity: number; actor_id: number }>(db, sql`select kind, quantity, actor_id from stock_movements
    where store_id = ${S1} and product_id = ${A} order by movement_id desc limit 2`);
  t.same(last, [{ kind: 'count', quantity: 0, actor_id: staff.id }, { kind: 'count', quantity: -2, actor_id: staff.id }]);
});

t.test('transfer and reorder point from the row', async (t) => {
  const base = `/inventory/${S1}/${A}`;
  const moved = await adminClient.post(`${base}/transfer`, { toStoreId: String(S2), quantity: '6' }, { headers: htmx });
  t.equal(moved.statusCode, 200);
  t.match(moved.body, /Transferred 6 of INV-A from .* to /);
  t.same(await pairState(db, S2, A), { onHand: 6, reserved: 0, reorderPoint: 0, ledger: 6, movements: 1 });
  const rp = await adminClient.post(`${base}/reorder-point`, { reorderPoint: '15' }, { headers: htmx });
  t.match(rp.body, 'stock-low', 'the row is marked low now (15 available at a reorder point of 15)');
  t.equal((await pairState(db, S1, A)).reorderPoint, 15);
  await refusedForm(t, staffClient, `/inventory/${S2}/${A}/reorder-point`, { reorderPoint: '1' }, 403, /do not work at this store/);
});

t.test('receive a product by SKU on its own page', async (t) => {
  await refusedForm(t, adminClient, '/inventory/receive', { storeId: String(S2), sku: 'NOPE-1', quantity: '3' }, 422, /No product has this SKU\./, {});
  await refusedForm(t, adminClient, '/inventory/receive', { storeId: '', sku: 'INV-B', quantity: '3' }, 422, /Choose a store\./, {});
  await refusedForm(t, staffClient, '/inventory/receive', { storeId: String(S2), sku: 'INV-B', quantity: '3' }, 403, /do not work at this store/, {});
  const res = await staffClient.post('/inventory/receive', { storeId: String(S1), sku: 'inv-b', quantity: '9' });
  t.equal(res.statusCode, 303, 'SKUs are matched in upper case too');
  t.same(await pairState(db, S1, B), { onHand: 9, reserved: 0, reorderPoint: 0, ledger: 9, movements: 1 });
  const page = await staffClient.get('/inventory/receive');
  t.match(page.body, `<option value="${S1}"`);
  t.notMatch(page.body, `<option value="${S2}"`, 'staff receive at their stores only');
});
