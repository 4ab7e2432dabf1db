import t from 'tap';
import { sql } from 'drizzle-orm';
import { createTestDatabase } from './helper.ts';
import { queryRows } from '../src/db/client.ts';
import { applyStockChanges, StockShortError } from '../src/modules/inventory/stock.ts';
import { systemActor } from '../src/lib/audit.ts';
import { stores, products } from '../src/db/schema/index.ts';

const database = await createTestDatabase(t);
const { db } = database;
const [s1, s2] = await db.insert(stores).values([{ storeName: 'North', physicalAddress: '1 High St' }, { storeName: 'South', webAddress: 'https://south.example' }]).returning();
const [p1, p2] = await db.insert(products).values([
  { sku: 'A-1', productName: 'Alpha Tee', unitPrice: '10.00' },
  { sku: 'B-2', productName: 'Beta Cap', unitPrice: '5.50' },
]).returning();
const S1 = s1!.storeId, S2 = s2!.storeId, P1 = p1!.productId, P2 = p2!.productId;

const row = async (storeId: number, productId: number) =>
  (await queryRows<{ on_hand: number; reserved: number; ledger: number }>(db, sql`select on_hand, reserved,
    (select coalesce(sum(quantity), 0)::int from stock_movements m where m.store_id = i.store_id and m.product_id = i.product_id) as ledger
    from inventory i where store_id = ${storeId} and product_id = ${productId}`))[0];

/** Two new products received at South with the given units on hand. */
async function twoStockedProducts(names: [string, string], onHand: [number, number]) {
  const rows = await db.insert(products).values(names.map((productName, i) => ({ sku: `T-${productName.split(' ')[0]}`, productName, unitPrice: `${i + 3}.00` }))).returning();
  const [x, y] = rows.map((r) => r.productId) as [number, number];
  await db.transaction((tx) => applyStockChanges(tx, [
    { storeId: S2, productId: x, onHand: onHand[0], kind: 'receipt' },
    { storeId: S2, productId: y, onHand: onHand[1], kind: 'receipt' },
  ], systemActor));
  return [x, y] as const;
}

t.test('a receipt creates the row and its ledger movement', async (t) => {
  await db.transaction((tx) => applyStockChanges(tx, [{ storeId: S1, productId: P1, onHand: 10, kind: 'receipt', reference: 'DN-1' }], systemActor));
  t.same(await row(S1, P1), { on_hand: 10, reserved: 0, ledger: 10 });
});

t.test('reservations never exceed on hand; a short request names every short line and writes nothing', async (t) => {
  await db.transaction((tx) => applyStockChanges(tx, [{ storeId: S1, productId: P2, onHand: 3, kind: 'receipt' }], systemActor));
  await db.transaction((tx) => applyStockChanges(tx, [{ storeId: S1, productId: P1, reserved: 8 }], systemActor));
  const err = await db.transaction((tx) => applyStockChanges(tx, [
    { storeId: S1, productId: P2, reserved: 5 },
    { storeId: S1, productId: P1, reserved: 3 },
  ], systemActor)).catch((e) => e);
  t.ok(err instanceof StockShortError);
  t.equal(err.statusCode, 409);
  t.match(err.message, /Alpha Tee has 2 available at North \(requested 3\)/);
  t.match(err.message, /Beta Cap has 3 available at North \(requested 5\)/);
  t.same((err.errors as Array<{ productId: number }>).map((e) => e.productId).sort(), [P1, P2].sort());
  t.same(await row(S1, P1), { on_hand: 10, reserved: 8, ledger: 10 }, 'nothing changed');
  t.same(await row(S1, P2), { on_hand: 3, reserved: 0, ledger: 3 });
});

t.test('a short answer names only the short lines: a line that fits is not counted twice', async (t) => {
  // Lines are changed in lock order: the first fits and is reserved before the second is found
  // short. Reading the first again inside the transaction once reported it short as well.
  const [fits, short] = await twoStockedProducts(['Gamma Sock', 'Delta Belt'], [3, 1]);
  const err = await db.transaction((tx) => applyStockChanges(tx, [
    { storeId: S2, productId: fits, reserved: 2 },
    { storeId: S2, productId: short, reserved: 2 },
  ], systemActor)).catch((e) => e);
  t.ok(err instanceof StockShortError);
  t.same(err.errors, [{ storeId: S2, productId: short, productName: 'Delta Belt', requested: 2, available: 1 }]);
  t.same(await row(S2, fits), { on_hand: 3, reserved: 0, ledger: 3 }, 'the line that fitted was rolled back');
});

t.test('several reservations at once: a row released while the statement waited for it is reserved', { skip: !database.pool && 'needs a server: PGlite has one connection' }, async (t) => {
  // The one-statement reservation judges rows as of its snapshot. Here the second row is full
  // when it starts and released by another transaction before its lock is granted: the order
  // must still get it (it once answered "the stock changed" instead).
  const [a, b] = await twoStockedProducts(['Epsilon Scarf', 'Zeta Glove'], [5, 2]);
  await db.transaction((tx) => applyStockChanges(tx, [{ storeId: S2, productId: b, reserved: 2 }], systemActor));
  const other = await database.pool!.connect();
  try {
    await other.query('begin');
    await other.query('update inventory set reserved = 0 where store_id = $1 and product_id = $2', [S2, b]);
    const placing = db.transaction((tx) => applyStockChanges(tx, [
      { storeId: S2, productId: a, reserved: 1 },
      { storeId: S2, productId: b, reserved: 2 },
    ], systemActor));
    await new Promise((r) => setTimeout(r, 200));
    await other.query('commit');
    const rows = await placing;
    t.same(rows.map((r) => [r.productId, r.reserved]), [[a, 1], [b, 2]]);
  } finally { other.release(); }
  // Put the ledger right for the teardown check: the test released reserved units directly.
  await db.transaction((tx) => applyStockChanges(tx, [{ storeId: S2, productId: a, reserved: -1 }, { storeId: S2, productId: b, reserved: -2 }], systemActor));
});

t.test('on hand cannot drop below what is reserved', async (t) => {
  const err = await db.transaction((tx) => applyStockChanges(tx, [{ storeId: S1, productId: P1, onHand: -3, kind: 'adjustment', reason: 'damaged' }], systemActor)).catch((e) => e);
  t.ok(err instanceof StockShortError);
  t.same(await row(S1, P1), { on_hand: 10, reserved: 8, ledger: 10 });
  await db.transaction((tx) => applyStockChanges(tx, [{ storeId: S1, productId: P1, onHand: -2, kind: 'adjustment', reason: 'damaged' }], systemActor));
  t.same(await row(S1, P1), { on_hand: 8, reserved: 8, ledger: 8 });
});

t.test('dispatch takes units out of on hand and reserved together', async (t) => {
  await db.transaction((tx) => applyStockChanges(tx, [{ storeId: S1, productId: P1, onHand: -8, reserved: -8, kind: 'sale' }], systemActor));
  t.same(await row(S1, P1), { on_hand: 0, reserved: 0, ledger: 0 });
});

t.test('a product never stocked at a store has nothing available', async (t) => {
  const err = await db.transaction((tx) => applyStockChanges(tx, [{ storeId: S2, productId: P2, reserved: 1 }], systemActor)).catch((e) => e);
  t.ok(err instanceof StockShortError);
  t.match(err.message, /Beta Cap has 0 available at South/);
});

t.test('programming errors are caught early', async (t) => {
  await t.rejects(db.transaction((tx) => applyStockChanges(tx, [{ storeId: S1, productId: P1, onHand: 1 }], systemActor)), /needs a movement kind/);
  await t.rejects(db.transaction((tx) => applyStockChanges(tx, [
    { storeId: S1, productId: P1, reserved: 1 }, { storeId: S1, productId: P1, reserved: 1 },
  ], systemActor)), /appears twice/);
});

t.test('the ledger is append-only', async (t) => {
  const before = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from stock_movements`);
  t.ok(before[0]!.n > 0, 'there are movements to protect');
  for (const statement of [sql`update stock_movements set quantity = 100`, sql`delete from stock_movements`]) {
    const err = await db.execute(statement).then(() => null, (e: Error & { cause?: Error }) => e);
    t.match(err?.cause?.message, /stock_movements is append-only/);
  }
  const after = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from stock_movements`);
  t.equal(after[0]!.n, before[0]!.n);
});
