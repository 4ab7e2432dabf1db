// The adjustment form lets the reason decide the direction (newcomer D12): the user enters how
// many units, and damaged, lost, theft and expired remove them, found adds them. Correction and
// other go either way, so there the typed sign counts. The reason comes before the quantity on
// the form. The API keeps its documented contract, a signed quantity: a positive quantity with a
// removing reason is refused there, never added.
import t from 'tap';
import { sql } from 'drizzle-orm';
import { buildTestApp, Client, makeUser, apiLogin } from './helper.ts';
import { queryRows } from '../src/db/client.ts';
import { stores, products } from '../src/db/schema/index.ts';
import { applyStockChanges } from '../src/modules/inventory/stock.ts';

const { app } = await buildTestApp(t);
const db = app.db;
const [north] = await db.insert(stores).values([{ storeName: 'North', physicalAddress: '1 High St' }]).returning();
const [tee] = await db.insert(products).values([{ sku: 'SIGN-T', productName: 'Tee', unitPrice: '19.99' }]).returning();
const N = north!.storeId, T = tee!.productId;
await db.transaction((tx) => applyStockChanges(tx, [{ storeId: N, productId: T, onHand: 100, kind: 'receipt' }], { userId: null, email: 'test' }));
const admin = await makeUser(app, 'admin');
const c = new Client(app);
await c.login(admin.email, admin.password);
const token = await apiLogin(app, admin.email, admin.password);
const url = `/inventory/${N}/${T}/adjust`;

const onHand = async () => (await queryRows<{ n: number }>(db, sql`select on_hand as n from inventory where store_id = ${N} and product_id = ${T}`))[0]!.n;
const lastMove = async () => (await queryRows<{ quantity: number; reason: string }>(db,
  sql`select quantity, reason from stock_movements where store_id = ${N} and product_id = ${T} order by movement_id desc limit 1`))[0]!;

t.test('the form asks for the reason first, then the units', async (t) => {
  const page = await c.get(url);
  t.equal(page.statusCode, 200);
  const reason = page.body.indexOf('name="reason"');
  const quantity = page.body.indexOf('name="quantity"');
  t.ok(reason > 0 && quantity > 0 && reason < quantity, 'reason before quantity');
});

t.test('a removing reason removes the units typed', async (t) => {
  for (const reason of ['damaged', 'lost', 'theft', 'expired']) {
    const before = await onHand();
    await c.get(url);
    const res = await c.post(url, { reason, quantity: '2', note: 'seen on the shelf' });
    t.equal(res.statusCode, 303, reason);
    t.equal(await onHand(), before - 2, `${reason}: 2 removed`);
    t.same(await lastMove(), { quantity: -2, reason }, `${reason}: the movement is -2`);
  }
  const list = await c.get(`/inventory?storeId=${N}&q=SIGN-T`);
  t.match(list.body, /Adjusted SIGN-T at North by -2 \(expired\)/, 'the flash shows the direction');
  const before = await onHand();
  await c.get(url);
  t.equal((await c.post(url, { reason: 'damaged', quantity: '-3' })).statusCode, 303, 'a minus sign that agrees with the reason is fine');
  t.equal(await onHand(), before - 3);
});

t.test('found adds; a minus sign against it is refused', async (t) => {
  const before = await onHand();
  await c.get(url);
  t.equal((await c.post(url, { reason: 'found', quantity: '4' })).statusCode, 303);
  t.equal(await onHand(), before + 4);
  t.same(await lastMove(), { quantity: 4, reason: 'found' });
  const bad = await c.post(url, { reason: 'found', quantity: '-4' });
  t.equal(bad.statusCode, 422);
  t.match(bad.body, /Found adds stock/);
  const zero = await c.post(url, { reason: 'damaged', quantity: '0' });
  t.equal(zero.statusCode, 422);
  t.match(zero.body, 'An adjustment of 0 changes nothing: enter the number of units.', 'no talk of signs for a reason that has one');
  t.equal(await onHand(), before + 4, 'nothing written');
});

t.test('correction and other keep the sign typed', async (t) => {
  const before = await onHand();
  await c.get(url);
  await c.post(url, { reason: 'correction', quantity: '-5' });
  t.equal(await onHand(), before - 5);
  await c.get(url);
  await c.post(url, { reason: 'correction', quantity: '2' });
  t.equal(await onHand(), before - 3);
  await c.get(url);
  await c.post(url, { reason: 'other', quantity: '-1', note: 'sample for the window' });
  t.equal(await onHand(), before - 4);
});

t.test('the API keeps its signed quantity: +2 damaged is refused, never added', async (t) => {
  const api = (payload: object) => app.inject({ method: 'POST', url: '/api/v1/inventory/adjustments', headers: { authorization: `Bearer ${token}` }, payload });
  const before = await onHand();
  const wrong = await api({ storeId: N, productId: T, quantity: 2, reason: 'damaged' });
  t.equal(wrong.statusCode, 422);
  t.match(wrong.json().message, /removes stock: enter a negative quantity/);
  t.equal(await onHand(), before, 'nothing written');
  const right = await api({ storeId: N, productId: T, quantity: -2, reason: 'damaged' });
  t.equal(right.statusCode, 201);
  t.equal(await onHand(), before - 2);
});
