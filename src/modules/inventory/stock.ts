// The one way stock changes. Every change is a conditional UPDATE of one inventory row (taken in
// a fixed (store, product) order so concurrent transactions never deadlock), guarded by the
// invariants 0 <= reserved <= on_hand, plus a ledger row in the same transaction whenever
// on_hand moves. Callers run it inside their own transaction with the rest of their use case.
import { and, eq, inArray, sql } from 'drizzle-orm';
import { inventory, stockMovements, products, stores, type MovementKind } from '../../db/schema/index.ts';
import type { Db } from '../../db/client.ts';
import type { Actor } from '../../lib/audit.ts';
import { HttpError } from '../../lib/errors.ts';

export interface StockChange {
  storeId: number;
  productId: number;
  /** Change of on_hand; non-zero changes write a ledger movement of `kind`. */
  onHand?: number;
  /** Change of reserved (placing an order reserves, cancelling or dispatching releases). */
  reserved?: number;
  kind?: MovementKind;
  reason?: string | null;
  reference?: string | null;
  orderId?: number | null;
  shipmentId?: number | null;
  transferId?: string | null;
  /** Post a movement even when onHand is 0 (a count that found no difference). */
  recordZero?: boolean;
}

export interface Shortage { storeId: number; productId: number; productName: string; storeName: string; requested: number; available: number; onHand: number; reserved: number }

/** 409: the change would take stock below zero or below what is reserved. */
export class StockShortError extends HttpError {
  constructor(readonly shortages: Shortage[], message?: string) {
    super(409, message ?? `Not enough stock: ${shortages.map((s) => `${s.productName} has ${s.available} available at ${s.storeName} (requested ${s.requested})`).join('; ')}.`,
      shortages.map((s) => ({ storeId: s.storeId, productId: s.productId, productName: s.productName, requested: s.requested, available: s.available })));
  }
}

export const LOCK_TIMEOUT_MS = 5000;

const key = (c: { storeId: number; productId: number }) => `${c.storeId}:${c.productId}`;

/** Sorted by (store, product), the lock order every stock transaction uses. */
export function inLockOrder<T extends { storeId: number; productId: number }>(changes: T[]): T[] {
  return [...changes].sort((a, b) => a.storeId - b.storeId || a.productId - b.productId);
}

export type InventoryRow = typeof inventory.$inferSelect;

/** Applies the changes (inside the caller's transaction) and returns the updated rows in lock
 * order. Throws StockShortError naming every line that does not fit; the caller's transaction
 * then rolls back, so nothing is half-written. Rows that receive stock are created on demand. */
export async function applyStockChanges(tx: Db, changes: StockChange[], actor: Actor): Promise<InventoryRow[]> {
  if (!changes.length) return [];
  const seen = new Set<string>();
  for (const c of changes) {
    if (seen.has(key(c))) throw new Error(`applyStockChanges: ${key(c)} appears twice; merge the changes first`);
    seen.add(key(c));
    if ((c.onHand ?? 0) !== 0 || c.recordZero) if (!c.kind) throw new Error('applyStockChanges: a change of on_hand needs a movement kind');
  }
  await tx.execute(sql.raw(`set local lock_timeout = '${LOCK_TIMEOUT_MS}ms'`));
  const ordered = inLockOrder(changes);
  // A store that receives a product for the first time gets its inventory row here.
  const incoming = ordered.filter((c) => (c.onHand ?? 0) > 0);
  if (incoming.length) {
    await tx.insert(inventory).values(incoming.map((c) => ({ storeId: c.storeId, productId: c.productId }))).onConflictDoNothing();
  }
  const updated: InventoryRow[] = [];
  for (const c of ordered) {
    const dOn = c.onHand ?? 0;
    const dRes = c.reserved ?? 0;
    const rows = await tx.update(inventory).set({
      onHand: sql`${inventory.onHand} + ${dOn}`,
      reserved: sql`${inventory.reserved} + ${dRes}`,
      ...(dOn !== 0 || c.recordZero ? { lastMovementAt: sql`now()` } : {}),
      updatedAt: sql`now()`,
    }).where(and(
      eq(inventory.storeId, c.storeId), eq(inventory.productId, c.productId),
      sql`${inventory.onHand} + ${dOn} >= 0`,
      sql`${inventory.reserved} + ${dRes} >= 0`,
      sql`${inventory.reserved} + ${dRes} <= ${inventory.onHand} + ${dOn}`,
    )).returning();
    if (!rows[0]) {
      const short = await shortages(tx, ordered);
      if (!short.length) throw new HttpError(409, 'The stock changed while this was being saved. Try again.');
      throw new StockShortError(short);
    }
    updated.push(rows[0]);
  }
  const movements = ordered.filter((c) => (c.onHand ?? 0) !== 0 || c.recordZero);
  if (movements.length) {
    await tx.insert(stockMovements).values(movements.map((c) => ({
      storeId: c.storeId, productId: c.productId, quantity: c.onHand ?? 0, kind: c.kind!,
      reason: c.reason ?? null, reference: c.reference ?? null, orderId: c.orderId ?? null,
      shipmentId: c.shipmentId ?? null, transferId: c.transferId ?? null, actorId: actor.userId,
    })));
  }
  return updated;
}

/** Every change that does not fit the stock as this transaction sees it, with names for the
 * message. A missing inventory row counts as nothing available. */
async function shortages(tx: Db, changes: StockChange[]): Promise<Shortage[]> {
  const productIds = [...new Set(changes.map((c) => c.productId))];
  const storeIds = [...new Set(changes.map((c) => c.storeId))];
  // One after the other: a transaction is one connection, and pg refuses overlapping queries.
  const rows = await tx.select().from(inventory).where(and(inArray(inventory.storeId, storeIds), inArray(inventory.productId, productIds)));
  const names = await tx.select({ id: products.productId, name: products.productName }).from(products).where(inArray(products.productId, productIds));
  const storeNames = await tx.select({ id: stores.storeId, name: stores.storeName }).from(stores).where(inArray(stores.storeId, storeIds));
  const byKey = new Map(rows.map((r) => [key(r), r]));
  const productName = new Map(names.map((n) => [n.id, n.name]));
  const storeName = new Map(storeNames.map((s) => [s.id, s.name]));
  const out: Shortage[] = [];
  for (const c of changes) {
    const row = byKey.get(key(c));
    const onHand = row?.onHand ?? 0;
    const reserved = row?.reserved ?? 0;
    const dOn = c.onHand ?? 0;
    const dRes = c.reserved ?? 0;
    if (row && onHand + dOn >= 0 && reserved + dRes >= 0 && reserved + dRes <= onHand + dOn) continue;
    // What the caller asked to take: units to reserve, or units to remove from on hand.
    const requested = dRes > 0 ? dRes : -dOn;
    const available = dOn < 0 && dRes < 0 ? Math.min(onHand, reserved) : onHand - reserved;
    out.push({
      storeId: c.storeId, productId: c.productId, requested, available: Math.max(0, available), onHand, reserved,
      productName: productName.get(c.productId) ?? `Product ${c.productId}`,
      storeName: storeName.get(c.storeId) ?? `store ${c.storeId}`,
    });
  }
  return out;
}
