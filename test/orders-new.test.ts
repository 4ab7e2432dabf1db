// The new-order form: customer and product resolution, per-line validation (422), short stock
// (409 naming each line), the idempotency key (double submit = one order), availability, the
// htmx helpers, and staff scope. Every refusal writes nothing.
import t from 'tap';
import { sql } from 'drizzle-orm';
import { buildTestApp, Client, makeUser } from './helper.ts';
import { queryRows } from '../src/db/client.ts';
import { stores, products, customers } from '../src/db/schema/index.ts';
import { applyStockChanges } from '../src/modules/inventory/stock.ts';

const { app } = await buildTestApp(t);
const db = app.db;
const [north, south] = await db.insert(stores).values([{ storeName: 'North', physicalAddress: '1 High St' }, { storeName: 'South', physicalAddress: '2 Low St' }]).returning();
const [tee, cap, mug, old] = await db.insert(products).values([
  { sku: 'T-1', productName: 'Tee', unitPrice: '19.99' },
  { sku: 'C-1', productName: 'Cap', unitPrice: '5.50' },
  { sku: 'M-1', productName: 'Mug', unitPrice: '8.00' },
  { sku: 'O-1', productName: 'Old thing', unitPrice: '1.00', active: false },
]).returning();
const [ann] = await db.insert(customers).values([
  { emailAddress: 'ann@example.test', fullName: 'Ann Archer' }, { emailAddress: 'ann2@example.test', fullName: 'Ann Archer' },
  { emailAddress: 'bob@example.test', fullName: 'Bob Baker' },
]).returning();
const N = north!.storeId, S = south!.storeId;
const actor = { userId: null, email: 'test' };
await db.transaction((tx) => applyStockChanges(tx, [
  { storeId: N, productId: tee!.productId, onHand: 10, kind: 'receipt' },
  { storeId: N, productId: cap!.productId, onHand: 4, kind: 'receipt' },
  { storeId: N, productId: old!.productId, onHand: 4, kind: 'receipt' },
  { storeId: S, productId: tee!.productId, onHand: 3, kind: 'receipt' },
], actor));

const admin = await makeUser(app, 'admin');
const staffN = await makeUser(app, 'staff', { storeIds: [N] });

const counts = async () => (await queryRows<{ orders: number; reserved: number; keys: number }>(db, sql`select
  (select count(*)::int from orders) as orders, (select coalesce(sum(reserved), 0)::int from inventory) as reserved,
  (select count(*)::int from idempotency_keys) as keys`))[0]!;
const available = async (productId: number, storeId = N) => (await queryRows<{ a: number }>(db,
  sql`select on_hand - reserved as a from inventory where store_id = ${storeId} and product_id = ${productId}`))[0]?.a ?? 0;
const keyOf = (body: string) => /name="idempotencyKey" value="([^"]+)"/.exec(body)?.[1];

async function signedIn(user: { email: string; password: string }) {
  const c = new Client(app);
  await c.login(user.email, user.password);
  return c;
}

/** A form body as the page posts it: five line rows, blank ones included. */
function form(fields: { customer?: string; storeId?: number | string; key?: string; lines?: Array<[string, string]>; intent?: string }) {
  const lines = [...(fields.lines ?? [])];
  while (lines.length < 5) lines.push(['', '']);
  return {
    customer: fields.customer ?? 'ann@example.test', storeId: String(fields.storeId ?? N), idempotencyKey: fields.key ?? crypto.randomUUID(),
    product: lines.map((l) => l[0]), quantity: lines.map((l) => l[1]), ...(fields.intent ? { intent: fields.intent } : {}),
  };
}

t.test('the form: five empty rows, a key per render, the stores the user works at', async (t) => {
  const c = await signedIn(staffN);
  const res = await c.get('/orders/new');
  t.equal(res.statusCode, 200);
  t.equal([...res.body.matchAll(/name="product"/g)].length, 5);
  t.equal([...res.body.matchAll(/name="quantity"/g)].length, 5);
  const again = await c.get('/orders/new');
  t.ok(keyOf(res.body) && keyOf(again.body) && keyOf(res.body) !== keyOf(again.body), 'a new key per render');
  t.match(res.body, `<option value="${N}" selected>North</option>`, 'their only store, chosen');
  t.notMatch(res.body, '>South</option>');
  t.match(res.body, 'list="orders-customer-options"');
  t.match(res.body, 'hx-get="/orders/new/line"');
  t.match(res.body, 'aria-label="Product (SKU or name)"', 'every input is labelled');
  const pre = await (await signedIn(admin)).get(`/orders/new?customerId=${ann!.customerId}&storeId=${S}`);
  t.match(pre.body, `name="customer" value="${ann!.customerId}"`, 'prefilled from a link');
  t.match(pre.body, `<option value="${S}" selected>South</option>`);
});

t.test('placing: customer by email, products by SKU and by name; redirect to the order', async (t) => {
  const c = await signedIn(staffN);
  await c.get('/orders/new');
  const before = await counts();
  const res = await c.post('/orders', form({ lines: [['t-1', '2'], ['Cap', '1']] }));
  t.equal(res.statusCode, 303);
  const id = Number(/^\/orders\/(\d+)$/.exec(res.headers.location as string)?.[1]);
  t.ok(id > 0);
  const lines = await queryRows<{ product_id: number; quantity: number; unit_price: string }>(db, sql`select product_id, quantity, unit_price from order_items where order_id = ${id} order by line_item_id`);
  t.same(lines, [{ product_id: tee!.productId, quantity: 2, unit_price: '19.99' }, { product_id: cap!.productId, quantity: 1, unit_price: '5.50' }]);
  const after = await counts();
  t.equal(after.orders, before.orders + 1);
  t.equal(after.reserved, before.reserved + 3);
  const page = await c.get(`/orders/${id}`);
  t.match(page.body, `Order #${id} placed.`);
  const [o] = await queryRows<{ customer_id: number; created_by: number }>(db, sql`select customer_id, created_by from orders where order_id = ${id}`);
  t.equal(o!.customer_id, ann!.customerId);
  t.equal(o!.created_by, staffN.id);
});

t.test('a double submit places one order and lands on it; another body with the key is refused', async (t) => {
  const c = await signedIn(admin);
  await c.get('/orders/new');
  const body = form({ customer: String(ann!.customerId), lines: [['T-1', '1']] });
  const before = await counts();
  const first = await c.post('/orders', body);
  const second = await c.post('/orders', body);
  t.equal(first.statusCode, 303);
  t.equal(second.statusCode, 303);
  t.equal(second.headers.location, first.headers.location, 'the same order');
  t.equal((await counts()).orders, before.orders + 1, 'one order');
  t.equal((await counts()).reserved, before.reserved + 1, 'reserved once');
  const page = await c.get(second.headers.location as string);
  t.match(page.body, 'already placed order');
  const changed = await c.post('/orders', { ...body, quantity: ['2', '', '', '', ''] });
  t.equal(changed.statusCode, 422);
  t.match(changed.body, 'already used to place an order with different lines');
  t.not(keyOf(changed.body), body.idempotencyKey, 'a fresh key comes with the warning');
  t.equal((await counts()).orders, before.orders + 1, 'nothing more written');
});

t.test('bad lines are refused with a message on the line, and nothing is written', async (t) => {
  const c = await signedIn(admin);
  await c.get('/orders/new');
  const cases: Array<[string, Parameters<typeof form>[0], RegExp]> = [
    ['no lines', {}, /Add at least one product/],
    ['zero quantity', { lines: [['T-1', '0']] }, /whole number from 1/],
    ['negative quantity', { lines: [['T-1', '-2']] }, /whole number from 1/],
    ['fractional quantity', { lines: [['T-1', '1.5']] }, /whole number from 1/],
    ['not a number', { lines: [['T-1', 'two']] }, /whole number from 1/],
    ['missing quantity', { lines: [['T-1', '']] }, /Enter a quantity/],
    ['quantity without product', { lines: [['', '3']] }, /Choose a product for this quantity/],
    ['duplicate product', { lines: [['T-1', '1'], ['Tee', '2']] }, /already on line 1/],
    ['unknown product', { lines: [['NOPE-9', '1']] }, /No product matches “NOPE-9”/],
    ['inactive product', { lines: [['O-1', '1']] }, /Old thing is no longer sold/],
    ['ambiguous product', { lines: [['-1', '1']] }, /Several products match/],
    ['unknown customer', { customer: 'nobody@example.test', lines: [['T-1', '1']] }, /No customer matches/],
    ['ambiguous customer', { customer: 'Ann Archer', lines: [['T-1', '1']] }, /Several customers match/],
    ['unknown customer id', { customer: '999999', lines: [['T-1', '1']] }, /No customer matches “999999”/],
    ['no store', { storeId: '', lines: [['T-1', '1']] }, /Choose the store/],
    ['unknown store', { storeId: '99999', lines: [['T-1', '1']] }, /99999|Choose a store from the list|stores you work at/],
  ];
  const before = await counts();
  for (const [name, fields, re] of cases) {
    const res = await c.post('/orders', form(fields));
    t.equal(res.statusCode, 422, `${name}: 422`);
    t.match(res.body, re, name);
    if (name !== 'no lines') t.match(res.body, 'aria-invalid="true"', `${name}: the field is marked`);
  }
  t.same(await counts(), before, 'nothing written');
  const kept = await c.post('/orders', form({ lines: [['T-1', '0'], ['Cap', '2']] }));
  t.match(kept.body, 'name="product" value="T-1"', 'values are kept');
  t.match(kept.body, 'name="quantity" type="number" min="1" step="1" inputmode="numeric" value="2"');
});

t.test('short stock: 409 naming each short line and what is available', async (t) => {
  const c = await signedIn(admin);
  await c.get('/orders/new');
  const before = await counts();
  const res = await c.post('/orders', form({ lines: [['M-1', '1'], ['C-1', '9'], ['T-1', '1']] }));
  t.equal(res.statusCode, 409);
  t.match(res.body, 'Only 0 available at North (you asked for 1)', 'Mug: no stock row at all');
  t.match(res.body, /Only \d available at North \(you asked for 9\)/, 'Cap');
  t.match(res.body, 'The order was not placed');
  t.same(await counts(), before, 'nothing reserved, no order');
});

t.test('staff cannot place at another store', async (t) => {
  const c = await signedIn(staffN);
  await c.get('/orders/new');
  const before = await counts();
  const res = await c.post('/orders', form({ storeId: S, lines: [['T-1', '1']] }));
  t.equal(res.statusCode, 403);
  t.same(await counts(), before);
});

t.test('checking availability and adding rows work without JavaScript', async (t) => {
  const c = await signedIn(admin);
  await c.get('/orders/new');
  const before = await counts();
  const check = await c.post('/orders', form({ customer: '', lines: [['T-1', '2'], ['C-1', '99']], intent: 'check' }));
  t.equal(check.statusCode, 422, 'a line over the availability is flagged');
  t.match(check.body, /id="orders-line-0-available">\d+ available</);
  t.match(check.body, `Only ${await available(cap!.productId)} available at North.`);
  t.notMatch(check.body, 'Choose the customer:', 'no nagging about fields not filled in yet');
  const ok = await c.post('/orders', form({ lines: [['T-1', '1']], intent: 'check' }));
  t.equal(ok.statusCode, 200);
  t.match(ok.body, 'Ann Archer · ann@example.test', 'the customer is recognised');
  const add = await c.post('/orders', form({ lines: [['T-1', '1']], intent: 'add' }));
  t.equal([...add.body.matchAll(/name="product"/g)].length, 6, 'one more row');
  t.same(await counts(), before, 'nothing placed');
});

t.test('htmx helpers: a new line, a re-checked line, suggestions, the form after a store change', async (t) => {
  const c = await signedIn(admin);
  await c.get('/orders/new');
  const hx = { 'hx-request': 'true' };
  const blank = await c.get('/orders/new/line', hx);
  t.equal(blank.statusCode, 200);
  t.match(blank.body, /^\s*<tr id="orders-line-[\w-]+"/);
  t.match(blank.body, 'hx-swap="none"', 'its own re-checks swap notes only');
  t.notMatch(blank.body, '<html');
  // A change in a row re-checks it: only its notes come back, out of band, never the inputs.
  const line = await c.get(`/orders/new/line?key=3&product=T-1&quantity=20&storeId=${N}&check=1`, hx);
  t.match(line.body, '<small id="orders-line-3-product-note" aria-live="polite" hx-swap-oob="true">Tee · T-1 · 19.99</small>');
  t.match(line.body, /<span id="orders-line-3-available" hx-swap-oob="true">\d+ available<\/span>/);
  t.notMatch(line.body, '<input', 'what the user typed is not replaced');
  t.match(line.body, `Only ${await available(tee!.productId)} available at North.`);
  const bad = await c.get(`/orders/new/line?key=3&product=zzz&quantity=1.5&storeId=${N}&check=1`, hx);
  t.match(bad.body, 'No product matches');
  t.match(bad.body, 'whole number of 1 or more');
  const people = await c.get('/orders/new/customers?customer=archer', hx);
  t.match(people.body, /^<datalist id="orders-customer-options">/);
  t.match(people.body, '<option value="ann@example.test">Ann Archer');
  const things = await c.get(`/orders/new/products?product=ca&storeId=${N}`, hx);
  t.match(things.body, `<option value="C-1">Cap · 5.50 · ${await available(cap!.productId)} available</option>`);
  const none = await c.get('/orders/new/products?product=old', hx);
  t.notMatch(none.body, 'O-1', 'inactive products are not suggested');
  const storeChange = await c.post('/orders', form({ storeId: S, customer: '', lines: [['T-1', '1']], intent: 'check' }), { headers: hx });
  t.equal(storeChange.statusCode, 200);
  t.match(storeChange.body, /^\s*<form id="orders-new-form"/);
  t.match(storeChange.body, 'Availability at South');
  t.match(storeChange.body, /id="orders-line-0-available">3 available/);
});
