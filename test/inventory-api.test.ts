// The inventory API's writes: receipts, adjustments, counts, transfers, reorder points; every
// refusal (bad input, another store, too little stock) writes nothing.
import t, { type Test } from 'tap';
import { sql } from 'drizzle-orm';
import { queryRows } from '../src/db/client.ts';
import { apiAs, pairState, reservedPair, setupInventory, writeCounts } from './inventory-fixtures.ts';

const ctx = await setupInventory(t);
const { app, db, S1, S2, S3, A, B, C, D, tokens, admin } = ctx;
const asAdmin = apiAs(app, tokens.admin);
const asStaff = apiAs(app, tokens.staff);
const asCustomer = apiAs(app, tokens.customer);

/** Sends a request that must be refused and asserts the status and that nothing was written. */
async function refused(t: Test, send: () => Promise<{ statusCode: number; json(): any }>, status: number, message?: RegExp, field?: string) {
  const before = await writeCounts(db);
  const res = await send();
  t.equal(res.statusCode, status, `answers ${status}`);
  if (message) t.match(res.json().message, message);
  if (field) t.ok(res.json().errors?.some((e: { field?: string }) => e.field === field), `names the field ${field}`);
  t.same(await writeCounts(db), before, 'nothing written');
  return res;
}

t.test('a receipt creates the row, the movement with actor and reference, and an audit event', async (t) => {
  const res = await asAdmin.post('/api/v1/inventory/receipts', { storeId: S1, productId: A, quantity: 40, reference: 'DN-1001' });
  t.equal(res.statusCode, 201);
  const body = res.json();
  t.match(body.inventory, { storeId: S1, productId: A, sku: 'INV-A', onHand: 40, reserved: 0, available: 40, reorderPoint: 0, lastMovementAt: String });
  t.match(body.movement, { storeId: S1, productId: A, quantity: 40, kind: 'receipt', reference: 'DN-1001', actor: admin.email, actorId: admin.id, createdAt: String });
  t.same(await pairState(db, S1, A), { onHand: 40, reserved: 0, reorderPoint: 0, ledger: 40, movements: 1 });
  const audit = await queryRows<{ action: string; actor_id: number }>(db, sql`select action, actor_id from audit_events where entity = 'inventory' and entity_id = ${`${S1}:${A}`}`);
  t.same(audit.map((a) => a.action), ['receive']);
});

t.test('receipts refuse bad quantities, unknown stores and products, and extra fields', async (t) => {
  const url = '/api/v1/inventory/receipts';
  for (const quantity of [0, -3, 2.5, '5', null, 1_000_001]) {
    await refused(t, () => asAdmin.post(url, { storeId: S1, productId: A, quantity }), 400, undefined, 'quantity');
  }
  await refused(t, () => asAdmin.post(url, { storeId: S1, productId: A }), 400, /quantity is required/);
  await refused(t, () => asAdmin.post(url, { storeId: S1, productId: A, quantity: 1, onHand: 99 }), 400, /onHand is not a known field/);
  await refused(t, () => asAdmin.post(url, { storeId: 999999, productId: A, quantity: 1 }), 422, /no store #999999/, 'storeId');
  await refused(t, () => asAdmin.post(url, { storeId: S1, productId: 999999, quantity: 1 }), 422, /no product #999999/, 'productId');
  await refused(t, () => asAdmin.post(url, { storeId: S1, productId: A, quantity: 1, reference: 'x'.repeat(101) }), 400, undefined, 'reference');
});

t.test('roles: customers and anonymous callers are refused, staff only at their stores', async (t) => {
  const body = { storeId: S1, productId: B, quantity: 5 };
  await refused(t, () => app.inject({ method: 'POST', url: '/api/v1/inventory/receipts', payload: body }), 401);
  await refused(t, () => asCustomer.post('/api/v1/inventory/receipts', body), 403, /staff and administrators/);
  await refused(t, () => asStaff.post('/api/v1/inventory/receipts', { ...body, storeId: S2 }), 403, /do not work at this store/);
  await refused(t, () => asStaff.post('/api/v1/inventory/adjustments', { storeId: S2, productId: A, quantity: -1, reason: 'lost' }), 403);
  await refused(t, () => asStaff.post('/api/v1/inventory/counts', { storeId: S2, productId: A, countedQuantity: 0 }), 403);
  await refused(t, () => asStaff.post('/api/v1/inventory/transfers', { fromStoreId: S2, toStoreId: S1, items: [{ productId: A, quantity: 1 }] }), 403);
  await refused(t, () => asStaff.put('/api/v1/inventory/reorder-points', { storeId: S2, productId: A, reorderPoint: 3 }), 403);
  await refused(t, () => asCustomer.get('/api/v1/inventory'), 403);
  const ok = await asStaff.post('/api/v1/inventory/receipts', body);
  t.equal(ok.statusCode, 201);
  t.equal(ok.json().inventory.onHand, 5);
});

t.test('adjustments: reasons, signs and the reserved floor', async (t) => {
  const url = '/api/v1/inventory/adjustments';
  const res = await asAdmin.post(url, { storeId: S1, productId: A, quantity: -3, reason: 'damaged', note: 'Dropped pallet' });
  t.equal(res.statusCode, 201);
  t.match(res.json().movement, { quantity: -3, kind: 'adjustment', reason: 'damaged', reference: 'Dropped pallet' });
  t.equal((await pairState(db, S1, A)).onHand, 37);
  const found = await asAdmin.post(url, { storeId: S1, productId: A, quantity: 2, reason: 'found' });
  t.equal(found.json().inventory.onHand, 39);

  await refused(t, () => asAdmin.post(url, { storeId: S1, productId: A, quantity: 0, reason: 'correction' }), 422, /0 changes nothing/, 'quantity');
  await refused(t, () => asAdmin.post(url, { storeId: S1, productId: A, quantity: 1.5, reason: 'correction' }), 400, undefined, 'quantity');
  await refused(t, () => asAdmin.post(url, { storeId: S1, productId: A, quantity: 2, reason: 'damaged' }), 422, /removes stock/, 'quantity');
  await refused(t, () => asAdmin.post(url, { storeId: S1, productId: A, quantity: -2, reason: 'found' }), 422, /adds stock/, 'quantity');
  await refused(t, () => asAdmin.post(url, { storeId: S1, productId: A, quantity: -2, reason: 'gremlins' }), 400, undefined, 'reason');
  await refused(t, () => asAdmin.post(url, { storeId: S1, productId: A, quantity: -2, reason: 'other' }), 422, /note/, 'note');
  await refused(t, () => asAdmin.post(url, { storeId: S1, productId: A, quantity: -40, reason: 'lost' }), 409, /Cannot remove 40: Inventory Alpha at .* has only 39 on hand/, 'quantity');
  await refused(t, () => asAdmin.post(url, { storeId: S2, productId: C, quantity: -1, reason: 'lost' }), 409, /has only 0 on hand/);

  const r = await reservedPair(db, S1, D);
  const tooMany = r.onHand - r.reserved + 1;
  const refusal = await refused(t, () => asAdmin.post(url, { storeId: r.storeId, productId: r.productId, quantity: -tooMany, reason: 'theft' }), 409,
    new RegExp(`${r.reserved} of them are reserved for open orders, so at most ${r.onHand - r.reserved} can be removed`));
  t.equal(refusal.json().errors[0].field, 'quantity');
  const before = await pairState(db, r.storeId, r.productId);
  const ok = await asAdmin.post(url, { storeId: r.storeId, productId: r.productId, quantity: -(r.onHand - r.reserved), reason: 'theft' });
  t.equal(ok.statusCode, 201, 'down to exactly the reserved units is fine');
  t.same(await pairState(db, r.storeId, r.productId), { ...before, onHand: r.reserved, ledger: r.reserved, movements: before.movements + 1 });
});

t.test('counts post the difference after locking the row; equal counts post a zero movement', async (t) => {
  const url = '/api/v1/inventory/counts';
  const lower = await asAdmin.post(url, { storeId: S1, productId: A, countedQuantity: 35 });
  t.equal(lower.statusCode, 201);
  t.match(lower.json().movement, { kind: 'count', quantity: -4, reason: 'Cycle count', reference: 'Counted 35 (recorded 39)' });
  const same = await asAdmin.post(url, { storeId: S1, productId: A, countedQuantity: 35 });
  t.equal(same.statusCode, 201);
  t.match(same.json().movement, { kind: 'count', quantity: 0 });
  t.same(await pairState(db, S1, A), { onHand: 35, reserved: 0, reorderPoint: 0, ledger: 35, movements: 5 });
  const fresh = await asAdmin.post(url, { storeId: S3, productId: C, countedQuantity: 4 });
  t.equal(fresh.statusCode, 201, 'a product found at a store that never stocked it');
  t.same(await pairState(db, S3, C), { onHand: 4, reserved: 0, reorderPoint: 0, ledger: 4, movements: 1 });

  for (const countedQuantity of [-1, 2.5, '3']) {
    await refused(t, () => asAdmin.post(url, { storeId: S1, productId: A, countedQuantity }), 400, undefined, 'countedQuantity');
  }
  await refused(t, () => asAdmin.post(url, { storeId: S1, productId: 999999, countedQuantity: 1 }), 422, /no product/);
  const r = await reservedPair(db, S2, D);
  await refused(t, () => asAdmin.post(url, { storeId: r.storeId, productId: r.productId, countedQuantity: r.reserved - 1 }), 409,
    new RegExp(`Counted ${r.reserved - 1}, but ${r.reserved} units of .* are reserved for open orders`), 'countedQuantity');
});

t.test('transfers move every line or nothing, and create the destination row', async (t) => {
  const url = '/api/v1/inventory/transfers';
  await asAdmin.post('/api/v1/inventory/receipts', { storeId: S1, productId: B, quantity: 10 });
  const before = { a1: await pairState(db, S1, A), b1: await pairState(db, S1, B) };
  const res = await asAdmin.post(url, { fromStoreId: S1, toStoreId: S2, items: [{ productId: A, quantity: 5 }, { productId: B, quantity: 7 }], reference: 'TR-7' });
  t.equal(res.statusCode, 201);
  const body = res.json();
  t.match(body, { transferId: /^[0-9a-f-]{36}$/, fromStoreId: S1, toStoreId: S2 });
  t.equal(body.movements.length, 4);
  t.ok(body.movements.every((m: { transferId: string }) => m.transferId === body.transferId), 'one transfer id on both sides');
  t.same(body.movements.map((m: { kind: string; storeId: number; quantity: number }) => [m.kind, m.storeId, m.quantity]).sort(),
    [['transfer_in', S2, 5], ['transfer_in', S2, 7], ['transfer_out', S1, -5], ['transfer_out', S1, -7]].sort());
  t.equal((await pairState(db, S1, A)).onHand, before.a1.onHand! - 5);
  t.same(await pairState(db, S2, A), { onHand: 5, reserved: 0, reorderPoint: 0, ledger: 5, movements: 1 }, 'destination row created');
  const shown = await asAdmin.get(`/api/v1/inventory/transfers/${body.transferId}`);
  t.equal(shown.statusCode, 200);
  t.equal(shown.json().movements.length, 4);
  t.equal((await asAdmin.get('/api/v1/inventory/transfers/00000000-0000-4000-8000-000000000000')).statusCode, 404);
  t.equal((await asAdmin.get('/api/v1/inventory/transfers/not-a-uuid')).statusCode, 400);

  // One short line refuses the whole transfer.
  const left = (await pairState(db, S1, B)).onHand!;
  const short = await refused(t, () => asAdmin.post(url, { fromStoreId: S1, toStoreId: S3, items: [{ productId: A, quantity: 1 }, { productId: B, quantity: left + 1 }] }), 409,
    new RegExp(`Inventory Beta has ${left} available at .* \\(requested ${left + 1}\\)`));
  t.same(short.json().errors.map((e: object) => ({ ...e, storeName: undefined, productName: undefined })),
    [{ storeId: S1, productId: B, requested: left + 1, available: left, storeName: undefined, productName: undefined }]);
  t.equal((await pairState(db, S3, A)).onHand, null, 'no destination row either');
  await refused(t, () => asAdmin.post(url, { fromStoreId: S1, toStoreId: S1, items: [{ productId: A, quantity: 1 }] }), 422, /two different stores/, 'toStoreId');
  await refused(t, () => asAdmin.post(url, { fromStoreId: S1, toStoreId: S2, items: [{ productId: A, quantity: 1 }, { productId: A, quantity: 2 }] }), 422, /listed twice/, 'items.1.productId');
  await refused(t, () => asAdmin.post(url, { fromStoreId: S1, toStoreId: S2, items: [] }), 400, undefined, 'items');
  await refused(t, () => asAdmin.post(url, { fromStoreId: S1, toStoreId: S2, items: [{ productId: A, quantity: 0 }] }), 400);
  await refused(t, () => asAdmin.post(url, { fromStoreId: S1, toStoreId: 999999, items: [{ productId: A, quantity: 1 }] }), 422, /no store/, 'toStoreId');
  await refused(t, () => asAdmin.post(url, { fromStoreId: S1, toStoreId: S2, items: [{ productId: 999999, quantity: 1 }] }), 422, /no product/, 'items.0.productId');
  await refused(t, () => asAdmin.post(url, { fromStoreId: S3, toStoreId: S2, items: [{ productId: B, quantity: 1 }] }), 409, /0 available/);

  const staffOut = await asStaff.post(url, { fromStoreId: S1, toStoreId: S3, items: [{ productId: A, quantity: 1 }] });
  t.equal(staffOut.statusCode, 201, 'staff send stock from their store to another');
});

t.test('reorder points are set per store and product, audited, and not a movement', async (t) => {
  const before = await pairState(db, S1, A);
  const res = await asAdmin.put('/api/v1/inventory/reorder-points', { storeId: S1, productId: A, reorderPoint: 50 });
  t.equal(res.statusCode, 200);
  t.match(res.json(), { storeId: S1, productId: A, reorderPoint: 50 });
  t.same(await pairState(db, S1, A), { ...before, reorderPoint: 50 });
  const [audit] = await queryRows<{ before: { reorderPoint: number }; after: { reorderPoint: number } }>(db, sql`
    select before, after from audit_events where entity = 'inventory' and action = 'update' and entity_id = ${`${S1}:${A}`} order by audit_id desc limit 1`);
  t.same([audit!.before.reorderPoint, audit!.after.reorderPoint], [0, 50]);
  const low = await asAdmin.get(`/api/v1/inventory?storeId=${S1}&lowStock=true&q=INV-A`);
  t.same(low.json().items.map((i: { sku: string }) => i.sku), ['INV-A']);
  await refused(t, () => asAdmin.put('/api/v1/inventory/reorder-points', { storeId: S1, productId: A, reorderPoint: -1 }), 400);
  await refused(t, () => asAdmin.put('/api/v1/inventory/reorder-points', { storeId: S1, productId: 999999, reorderPoint: 1 }), 422);
  const created = await asStaff.put('/api/v1/inventory/reorder-points', { storeId: S1, productId: C, reorderPoint: 2 });
  t.match(created.json(), { onHand: 0, reorderPoint: 2 }, 'a row is created for a product not stocked yet');
});

t.test('the ledger refuses UPDATE and DELETE', async (t) => {
  for (const statement of [sql`update stock_movements set quantity = quantity + 1`, sql`delete from stock_movements`]) {
    const err = await db.execute(statement).then(() => null, (e: Error & { cause?: Error }) => e);
    t.match(err?.cause?.message ?? err?.message, /append-only/);
  }
});
