// The back-office stock forms post once per form (feature audit 2): each carries a hidden
// idempotency key, so the same form posted twice (a resubmit, a browser retry, a second click
// without JavaScript) moves stock once, and the second answer is the first one's redirect with an
// "already recorded" note. A key reused for a different post records nothing and offers a new key.
import t from 'tap';
import { sql } from 'drizzle-orm';
import { buildTestApp, Client, makeUser } from './helper.ts';
import { queryRows } from '../src/db/client.ts';
import { stores, products } from '../src/db/schema/index.ts';
import { applyStockChanges } from '../src/modules/inventory/stock.ts';

const { app } = await buildTestApp(t);
const db = app.db;
const [north, south] = await db.insert(stores).values([{ storeName: 'North', physicalAddress: '1 High St' }, { storeName: 'South', physicalAddress: '2 Low St' }]).returning();
const [tee, cap] = await db.insert(products).values([{ sku: 'ONCE-T', productName: 'Tee', unitPrice: '19.99' }, { sku: 'ONCE-C', productName: 'Cap', unitPrice: '5.50' }]).returning();
const N = north!.storeId, S = south!.storeId, T = tee!.productId, C = cap!.productId;
await db.transaction((tx) => applyStockChanges(tx, [
  { storeId: N, productId: T, onHand: 25, kind: 'receipt' }, { storeId: N, productId: C, onHand: 25, kind: 'receipt' },
], { userId: null, email: 'test' }));
const admin = await makeUser(app, 'admin');
const c = new Client(app);
await c.login(admin.email, admin.password);

const movements = async () => (await queryRows<{ n: number }>(db, sql`select count(*)::int as n from stock_movements`))[0]!.n;
const onHand = async (storeId: number, productId: number) =>
  (await queryRows<{ n: number }>(db, sql`select on_hand as n from inventory where store_id = ${storeId} and product_id = ${productId}`))[0]?.n ?? 0;
const keyOf = (body: string) => /name="idempotencyKey" value="([^"]+)"/.exec(body)?.[1];

/** Opens a form, posts it twice with the same key: both answers and the movements it made. */
async function postTwice(url: string, form: Record<string, string>, headers: Record<string, string> = {}) {
  const page = await c.get(url);
  const key = keyOf(page.body);
  const before = await movements();
  const first = await c.post(url, { ...form, idempotencyKey: key! }, { headers });
  const second = await c.post(url, { ...form, idempotencyKey: key! }, { headers });
  return { key, first, second, moved: (await movements()) - before };
}

t.test('receive on a stock row: twice with the same form, stock moves once', async (t) => {
  const r = await postTwice(`/inventory/${N}/${T}/receive`, { quantity: '3', reference: 'PO-DBL' });
  t.ok(r.key, 'the form carries a key');
  t.equal(r.first.statusCode, 303);
  t.equal(r.second.statusCode, 303);
  t.equal(r.second.headers.location, r.first.headers.location, 'the same redirect');
  t.equal(r.moved, 1, 'one movement');
  t.equal(await onHand(N, T), 28, '25 + 3, not + 6');
  const after = await c.get(String(r.second.headers.location));
  t.match(after.body, /already recorded/i, 'the second answer says so');
  t.match(after.body, 'Received 3 of ONCE-T at North');
});

t.test('adjust, count and transfer rows: once each, inline (htmx) too', async (t) => {
  const adjust = await postTwice(`/inventory/${N}/${T}/adjust`, { reason: 'found', quantity: '2', note: 'behind the shelf' });
  t.equal(adjust.moved, 1, 'adjust: one movement');
  t.equal(adjust.second.headers.location, adjust.first.headers.location);
  t.equal(await onHand(N, T), 30);
  const count = await postTwice(`/inventory/${N}/${T}/count`, { countedQuantity: '27' });
  t.equal(count.moved, 1, 'count: one movement');
  t.equal(await onHand(N, T), 27);
  const transfer = await postTwice(`/inventory/${N}/${T}/transfer`, { toStoreId: String(S), quantity: '4' });
  t.equal(transfer.moved, 2, 'transfer: one pair of movements');
  t.equal(await onHand(N, T), 23);
  t.equal(await onHand(S, T), 4);
  const inline = await postTwice(`/inventory/${N}/${C}/receive`, { quantity: '5' }, { 'hx-request': 'true' });
  t.equal(inline.first.statusCode, 200);
  t.equal(inline.second.statusCode, 200);
  t.match(inline.second.body, `id="inventory-row-${N}-${C}"`, 'the row comes back');
  t.match(inline.second.body, /already recorded/i);
  t.equal(inline.moved, 1, 'htmx: one movement');
  t.equal(await onHand(N, C), 30);
});

t.test('/inventory/receive and the multi-line transfer: once each', async (t) => {
  const receive = await postTwice('/inventory/receive', { storeId: String(S), sku: 'ONCE-C', quantity: '7', reference: 'DN-9' });
  t.equal(receive.first.statusCode, 303);
  t.equal(receive.second.headers.location, receive.first.headers.location);
  t.equal(receive.moved, 1);
  t.equal(await onHand(S, C), 7);
  const transfer = await postTwice('/inventory/transfers/new', {
    fromStoreId: String(N), toStoreId: String(S), reference: 'TR-DBL', lines: '5', sku_0: 'ONCE-T', quantity_0: '1', sku_1: 'ONCE-C', quantity_1: '2',
  });
  t.equal(transfer.first.statusCode, 303);
  t.match(String(transfer.first.headers.location), /^\/inventory\/transfers\/[0-9a-f-]{36}$/);
  t.equal(transfer.second.headers.location, transfer.first.headers.location, 'the same transfer page');
  t.equal(transfer.moved, 4, 'two lines, both sides, once');
  t.equal(await onHand(S, C), 9);
});

t.test('a key reused for a different post records nothing and offers a fresh key', async (t) => {
  const page = await c.get(`/inventory/${N}/${C}/receive`);
  const key = keyOf(page.body)!;
  t.equal((await c.post(`/inventory/${N}/${C}/receive`, { quantity: '1', idempotencyKey: key })).statusCode, 303);
  const before = await movements();
  const other = await c.post(`/inventory/${N}/${C}/receive`, { quantity: '9', idempotencyKey: key });
  t.equal(other.statusCode, 422);
  t.match(other.body, /already used/);
  t.equal(await movements(), before, 'nothing recorded');
  const fresh = keyOf(other.body);
  t.ok(fresh && fresh !== key, 'a new key on the form');
  t.equal((await c.post(`/inventory/${N}/${C}/receive`, { quantity: '9', idempotencyKey: fresh! })).statusCode, 303, 'posting it again records it');
  t.equal(await movements(), before + 1);
});

t.test('a refused post keeps its key, so the corrected form still posts once', async (t) => {
  const page = await c.get(`/inventory/${N}/${C}/receive`);
  const key = keyOf(page.body)!;
  const bad = await c.post(`/inventory/${N}/${C}/receive`, { quantity: '0', idempotencyKey: key });
  t.equal(bad.statusCode, 422);
  t.equal(keyOf(bad.body), key, 'the same key');
  const before = await movements();
  await c.post(`/inventory/${N}/${C}/receive`, { quantity: '2', idempotencyKey: key });
  await c.post(`/inventory/${N}/${C}/receive`, { quantity: '2', idempotencyKey: key });
  t.equal(await movements(), before + 1);
});
