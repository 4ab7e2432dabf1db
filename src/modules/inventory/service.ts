// Stock movements as use cases: receive, adjust, count, transfer, and the reorder point. Each is
// one transaction: the checks, the balance change and ledger row (through applyStockChanges, the
// only writer of on_hand and reserved) and the audit event. Pages and the API both call these,
// so every rule lives here: bad input is 422 with the field, another store is 403 (before
// anything is written), too little stock is 409.
import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { inventory } from '../../db/schema/index.ts';
import { intArray, queryRows, type Db } from '../../db/client.ts';
import { recordAudit, type Actor } from '../../lib/audit.ts';
import { conflict, forbidden, HttpError, unprocessable, type FieldError } from '../../lib/errors.ts';
import { applyMove, applyStockChanges, StockShortError, type InventoryRow, type MoveAudit, type StockChange } from './stock.ts';
import { findStockRow, type Scope, type StockRow } from './repository.ts';
import { movementWithStock, transferMovements, type MovementRow } from './movements.ts';
import { ADJUSTMENT_REASONS, MAX_COUNT, MAX_ID, MAX_MOVE, MAX_TRANSFER_LINES, type AdjustmentReason } from './schema.ts';

export interface ReceiveInput { storeId: number; productId: number; quantity: number; reference?: string | null }
export interface AdjustInput { storeId: number; productId: number; quantity: number; reason: string; note?: string | null }
export interface CountInput { storeId: number; productId: number; countedQuantity: number }
export interface TransferInput { fromStoreId: number; toStoreId: number; items: Array<{ productId: number; quantity: number }>; reference?: string | null }
export interface ReorderPointInput { storeId: number; productId: number; reorderPoint: number }

export interface MovementResult { row: StockRow; movement: MovementRow }
export interface TransferResult { transferId: string; fromStoreId: number; toStoreId: number; movements: MovementRow[] }

const fieldError = (field: string, message: string) => unprocessable(message, [{ field, message }]);

function checkInt(value: unknown, field: string, min: number, max: number, message: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) throw fieldError(field, message);
}

function checkText(value: string | null | undefined, field: string, max: number): string | null {
  const text = value?.trim() || null;
  if (text && text.length > max) throw fieldError(field, `Use at most ${max} characters.`);
  return text;
}

const moveMessage = `Enter a whole number of units from 1 to ${MAX_MOVE.toLocaleString('en')}.`;

function assertStore(scope: Scope, storeId: number): void {
  if (scope !== 'all' && !scope.includes(storeId)) throw forbidden('You do not work at this store: stock of other stores is not yours to change.');
}

interface Names { store: Map<number, string>; product: Map<number, string> }

/** Store and product names, refusing ids that do not exist (422 naming the field). */
async function loadNames(tx: Db, storeRefs: Array<[string, number]>, productRefs: Array<[string, number]>): Promise<Names> {
  const storeIds = [...new Set(storeRefs.map(([, id]) => id))];
  const productIds = [...new Set(productRefs.map(([, id]) => id))];
  // Both lists in one round trip: this runs at the start of every stock transaction.
  const rows = await queryRows<{ kind: 's' | 'p'; id: number; name: string }>(tx, sql`
    select 's' as kind, store_id as id, store_name as name from stores where store_id = any(${intArray(storeIds)})
    union all
    select 'p', product_id, product_name from products where product_id = any(${intArray(productIds)})`);
  const names: Names = { store: new Map(), product: new Map() };
  for (const r of rows) (r.kind === 's' ? names.store : names.product).set(Number(r.id), r.name);
  const errors: FieldError[] = [
    ...storeRefs.filter(([, id]) => !names.store.has(id)).map(([field, id]) => ({ field, message: `There is no store #${id}.` })),
    ...productRefs.filter(([, id]) => !names.product.has(id)).map(([field, id]) => ({ field, message: `There is no product #${id}.` })),
  ];
  if (errors.length) throw unprocessable(errors.map((e) => e.message).join(' '), errors);
  return names;
}

/** Locks one inventory row (creating an empty one first when asked) and returns its stock. */
async function lockRow(tx: Db, storeId: number, productId: number, create: boolean) {
  if (create) await tx.insert(inventory).values({ storeId, productId }).onConflictDoNothing();
  const rows = await tx.select({ onHand: inventory.onHand, reserved: inventory.reserved, reorderPoint: inventory.reorderPoint }).from(inventory)
    .where(and(eq(inventory.storeId, storeId), eq(inventory.productId, productId))).for('update');
  return rows[0] ?? null;
}

/** The answer of a single-row movement: the row as it now is and the movement just posted. */
function afterMove(tx: Db, moved: InventoryRow | undefined): Promise<MovementResult> {
  return movementWithStock(tx, moved!.movementId!);
}

const entityId = (c: { storeId: number; productId: number }) => `${c.storeId}:${c.productId}`;

/** Runs a one-row movement (applyMove: one statement, no transaction); when it is refused or a
 * store or product id does not exist, explains why: 422 naming the field, else `short`. */
async function moveOrExplain(db: Db, change: StockChange, actor: Actor, audit: MoveAudit,
  short: (s: StockShortError, names: Names) => Error): Promise<MovementResult> {
  let row: InventoryRow;
  try {
    row = await applyMove(db, change, actor, audit);
  } catch (err) {
    // A missing store or product shows up as a refused change (409): name it (422) instead.
    if (!(err instanceof HttpError) || err.statusCode !== 409) throw err;
    const names = await loadNames(db, [['storeId', change.storeId]], [['productId', change.productId]]);
    throw err instanceof StockShortError ? short(err, names) : err;
  }
  return afterMove(db, row);
}

export async function receiveStock(db: Db, input: ReceiveInput, actor: Actor, scope: Scope = 'all'): Promise<MovementResult> {
  assertStore(scope, input.storeId);
  checkInt(input.quantity, 'quantity', 1, MAX_MOVE, moveMessage);
  const reference = checkText(input.reference, 'reference', 100);
  const q = input.quantity;
  return moveOrExplain(db, { storeId: input.storeId, productId: input.productId, onHand: q, kind: 'receipt', reason: 'Goods received', reference }, actor, {
    action: 'receive', entity: 'inventory', entityId: entityId(input),
    before: (u) => sql`jsonb_build_object('onHand', ${u}.on_hand - ${q}::int)`,
    after: (u) => sql`jsonb_build_object('onHand', ${u}.on_hand, 'quantity', ${q}::int, 'reference', ${reference}::text)`,
  }, (err) => err);
}

export async function adjustStock(db: Db, input: AdjustInput, actor: Actor, scope: Scope = 'all'): Promise<MovementResult> {
  assertStore(scope, input.storeId);
  const q = input.quantity;
  checkInt(q, 'quantity', -MAX_MOVE, MAX_MOVE, `Enter a whole number of units up to ${MAX_MOVE.toLocaleString('en')}: negative removes, positive adds.`);
  if (q === 0) throw fieldError('quantity', 'An adjustment of 0 changes nothing: enter a negative number to remove units or a positive one to add them.');
  const rule = Object.hasOwn(ADJUSTMENT_REASONS, input.reason) ? ADJUSTMENT_REASONS[input.reason as AdjustmentReason] : undefined;
  if (!rule) throw fieldError('reason', `Choose a reason: ${Object.keys(ADJUSTMENT_REASONS).join(', ')}.`);
  if (rule.direction === 'out' && q > 0) throw fieldError('quantity', `"${input.reason}" removes stock: enter a negative quantity.`);
  if (rule.direction === 'in' && q < 0) throw fieldError('quantity', `"${input.reason}" adds stock: enter a positive quantity.`);
  const note = checkText(input.note, 'note', 500);
  if (input.reason === 'other' && !note) throw fieldError('note', 'Explain an "other" adjustment in the note.');
  // The conditional update is the check: it refuses to go below what is reserved.
  return moveOrExplain(db, { storeId: input.storeId, productId: input.productId, onHand: q, kind: 'adjustment', reason: input.reason, reference: note }, actor, {
    action: 'adjust', entity: 'inventory', entityId: entityId(input),
    before: (u) => sql`jsonb_build_object('onHand', ${u}.on_hand - ${q}::int)`,
    after: (u) => sql`jsonb_build_object('onHand', ${u}.on_hand, 'quantity', ${q}::int, 'reason', ${input.reason}::text, 'note', ${note}::text)`,
  }, (err, names) => {
    const short = err.shortages[0]!;
    const what = `${names.product.get(input.productId)} at ${names.store.get(input.storeId)}`;
    const message = short.reserved > 0
      ? `Cannot remove ${-q}: ${what} has ${short.onHand} on hand and ${short.reserved} of them are reserved for open orders, so at most ${Math.max(0, short.onHand - short.reserved)} can be removed.`
      : `Cannot remove ${-q}: ${what} has only ${short.onHand} on hand.`;
    return conflict(message, [{ field: 'quantity', message }]);
  });
}

/** Posts the difference between the counted and the recorded quantity as a `count` movement
 * (a zero one when they agree, so the count is on record). The row is locked before the
 * difference is computed, so a concurrent sale cannot slip between reading and writing. */
export async function countStock(db: Db, input: CountInput, actor: Actor, scope: Scope = 'all'): Promise<MovementResult> {
  assertStore(scope, input.storeId);
  const counted = input.countedQuantity;
  checkInt(counted, 'countedQuantity', 0, MAX_COUNT, 'Enter the number of units counted: a whole number, 0 or more.');
  return db.transaction(async (tx) => {
    const names = await loadNames(tx, [['storeId', input.storeId]], [['productId', input.productId]]);
    const current = (await lockRow(tx, input.storeId, input.productId, true))!;
    if (counted < current.reserved) {
      const message = `Counted ${counted}, but ${current.reserved} units of ${names.product.get(input.productId)} at ${names.store.get(input.storeId)} are reserved for open orders. Count again, or ship or cancel those orders first.`;
      throw conflict(message, [{ field: 'countedQuantity', message }]);
    }
    const diff = counted - current.onHand;
    const [row] = await applyStockChanges(tx, [{
      storeId: input.storeId, productId: input.productId, onHand: diff, kind: 'count', recordZero: true,
      reason: 'Cycle count', reference: `Counted ${counted} (recorded ${current.onHand})`,
    }], actor);
    await recordAudit(tx, actor, {
      action: 'count', entity: 'inventory', entityId: entityId(input),
      before: { onHand: current.onHand }, after: { onHand: counted, difference: diff },
    });
    return afterMove(tx, row);
  });
}

function checkTransfer(input: TransferInput): void {
  checkInt(input.fromStoreId, 'fromStoreId', 1, MAX_ID, 'Choose the store the stock leaves.');
  checkInt(input.toStoreId, 'toStoreId', 1, MAX_ID, 'Choose the store that receives the stock.');
  if (input.fromStoreId === input.toStoreId) throw fieldError('toStoreId', 'A transfer needs two different stores: choose another destination.');
  if (!Array.isArray(input.items) || input.items.length === 0) throw fieldError('items', 'Add at least one product to transfer.');
  if (input.items.length > MAX_TRANSFER_LINES) throw fieldError('items', `A transfer has at most ${MAX_TRANSFER_LINES} products.`);
  const seen = new Map<number, number>();
  input.items.forEach((item, n) => {
    checkInt(item.productId, `items.${n}.productId`, 1, MAX_ID, 'Choose a product.');
    checkInt(item.quantity, `items.${n}.quantity`, 1, MAX_MOVE, moveMessage);
    if (seen.has(item.productId)) throw fieldError(`items.${n}.productId`, `Product #${item.productId} is listed twice (lines ${seen.get(item.productId)! + 1} and ${n + 1}): put it on one line.`);
    seen.set(item.productId, n);
  });
}

/** Moves stock between two stores: every line leaves one store and reaches the other, or
 * nothing happens. Staff need the source store; the destination may be any store (the sending
 * store owns the transfer, the receiving store sees it in its history). */
export async function transferStock(db: Db, input: TransferInput, actor: Actor, scope: Scope = 'all'): Promise<TransferResult> {
  checkTransfer(input);
  assertStore(scope, input.fromStoreId);
  const reference = checkText(input.reference, 'reference', 100);
  return db.transaction(async (tx) => {
    const names = await loadNames(tx, [['fromStoreId', input.fromStoreId], ['toStoreId', input.toStoreId]],
      input.items.map((item, n) => [`items.${n}.productId`, item.productId] as [string, number]));
    const transferId = randomUUID();
    const changes: StockChange[] = input.items.flatMap((item) => [
      { storeId: input.fromStoreId, productId: item.productId, onHand: -item.quantity, kind: 'transfer_out' as const, reason: 'Transfer', transferId, reference: reference ?? `To ${names.store.get(input.toStoreId)}` },
      { storeId: input.toStoreId, productId: item.productId, onHand: item.quantity, kind: 'transfer_in' as const, reason: 'Transfer', transferId, reference: reference ?? `From ${names.store.get(input.fromStoreId)}` },
    ]);
    await applyStockChanges(tx, changes, actor);
    await recordAudit(tx, actor, {
      action: 'transfer', entity: 'transfer', entityId: transferId,
      after: { fromStoreId: input.fromStoreId, toStoreId: input.toStoreId, items: input.items, reference },
    });
    return { transferId, fromStoreId: input.fromStoreId, toStoreId: input.toStoreId, movements: await transferMovements(tx, 'all', transferId) };
  });
}

/** Sets when a product counts as low on stock at a store (creating the row if the store has
 * never stocked it). Not a movement: on hand does not change. */
export async function setReorderPoint(db: Db, input: ReorderPointInput, actor: Actor, scope: Scope = 'all'): Promise<StockRow> {
  assertStore(scope, input.storeId);
  checkInt(input.reorderPoint, 'reorderPoint', 0, MAX_MOVE, `Enter a whole number from 0 to ${MAX_MOVE.toLocaleString('en')}.`);
  return db.transaction(async (tx) => {
    await loadNames(tx, [['storeId', input.storeId]], [['productId', input.productId]]);
    const before = await lockRow(tx, input.storeId, input.productId, false);
    await tx.insert(inventory).values({ storeId: input.storeId, productId: input.productId, reorderPoint: input.reorderPoint })
      .onConflictDoUpdate({ target: [inventory.storeId, inventory.productId], set: { reorderPoint: input.reorderPoint, updatedAt: sql`now()` } });
    await recordAudit(tx, actor, {
      action: 'update', entity: 'inventory', entityId: entityId(input),
      before: before ? { reorderPoint: before.reorderPoint } : null, after: { reorderPoint: input.reorderPoint },
    });
    return (await findStockRow(tx, 'all', input.storeId, input.productId))!;
  });
}
