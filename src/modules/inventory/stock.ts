// The one way stock changes. Every change is a conditional UPDATE of its inventory row (rows
// taken in a fixed (store, product) order so concurrent transactions never deadlock; several
// reservations at once in one statement), guarded by the invariants 0 <= reserved <= on_hand,
// plus a ledger row in the same transaction whenever on_hand moves. Callers run it inside their
// own transaction with the rest of their use case.
import { and, inArray, sql, type SQL } from 'drizzle-orm';
import { inventory, products, stores, type MovementKind } from '../../db/schema/index.ts';
import { intArray, queryRows, type Db } from '../../db/client.ts';
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

/** How long a stock change waits for a row another transaction holds (set per connection). */
export { LOCK_TIMEOUT_MS } from '../../db/client.ts';

const key = (c: { storeId: number; productId: number }) => `${c.storeId}:${c.productId}`;

/** Sorted by (store, product), the lock order every stock transaction uses. */
export function inLockOrder<T extends { storeId: number; productId: number }>(changes: T[]): T[] {
  return [...changes].sort((a, b) => a.storeId - b.storeId || a.productId - b.productId);
}

export type InventoryRow = typeof inventory.$inferSelect & { movementId: number | null };

const ROW = sql`u.store_id as "storeId", u.product_id as "productId", u.on_hand as "onHand", u.reserved,
  u.reorder_point as "reorderPoint", u.last_movement_at as "lastMovementAt", u.updated_at as "updatedAt"`;

/** The audit event of a one-row movement, written by the movement's own statement. `before`
 * and `after` are JSON built from the updated row `u` (its on_hand is the new balance). */
export interface MoveAudit { action: string; entity: string; entityId: string; before: (u: SQL) => SQL; after: (u: SQL) => SQL }

/** One change as one statement: the conditional UPDATE of the row and, when on_hand moves, its
 * ledger row (and, when asked, the audit event), inserted from the updated row only, so a
 * refused change writes nothing at all. */
async function applyOne(tx: Db, c: StockChange, actor: Actor, audit?: MoveAudit): Promise<InventoryRow | undefined> {
  const dOn = c.onHand ?? 0;
  const dRes = c.reserved ?? 0;
  const moves = dOn !== 0 || !!c.recordZero;
  const rows = await queryRows<InventoryRow>(tx, sql`
    with u as (
      update inventory set on_hand = on_hand + ${dOn}::int, reserved = reserved + ${dRes}::int,
        ${moves ? sql`last_movement_at = now(),` : sql``} updated_at = now()
      where store_id = ${c.storeId} and product_id = ${c.productId}
        and on_hand + ${dOn}::int >= 0 and reserved + ${dRes}::int >= 0 and reserved + ${dRes}::int <= on_hand + ${dOn}::int
      returning *)${moves ? sql`,
    m as (
      insert into stock_movements (store_id, product_id, quantity, kind, reason, reference, order_id, shipment_id, transfer_id, actor_id)
      select store_id, product_id, ${dOn}::int, ${c.kind!}::text, ${c.reason ?? null}::text, ${c.reference ?? null}::text,
        ${c.orderId ?? null}::bigint, ${c.shipmentId ?? null}::int, ${c.transferId ?? null}::uuid, ${actor.userId}::int from u
      returning movement_id)` : sql``}${audit ? sql`,
    a as (
      insert into audit_events (actor_id, actor_email, action, entity, entity_id, before, after, request_id, ip)
      select ${actor.userId}::int, ${actor.email}::text, ${audit.action}::text, ${audit.entity}::text, ${audit.entityId}::text,
        ${audit.before(sql`u`)}, ${audit.after(sql`u`)}, ${actor.requestId ?? null}::text, ${actor.ip ?? null}::text from u)` : sql``}
    select ${ROW}, ${moves ? sql`(select movement_id from m)` : sql`null::bigint`} as "movementId" from u`);
  const row = rows[0];
  return row && { ...row, movementId: row.movementId === null ? null : Number(row.movementId) };
}

/** Applies the changes (inside the caller's transaction) and returns the updated rows in lock
 * order, each with the id of its ledger movement (null when on_hand did not move). Throws
 * StockShortError naming every line that does not fit; the caller's transaction then rolls
 * back, so nothing is half-written. A store that receives a product for the first time gets its
 * inventory row on demand. One statement per row: the update and its ledger row together. */
export async function applyStockChanges(tx: Db, changes: StockChange[], actor: Actor): Promise<InventoryRow[]> {
  if (!changes.length) return [];
  const seen = new Set<string>();
  for (const c of changes) {
    if (seen.has(key(c))) throw new Error(`applyStockChanges: ${key(c)} appears twice; merge the changes first`);
    seen.add(key(c));
    if ((c.onHand ?? 0) !== 0 || c.recordZero) if (!c.kind) throw new Error('applyStockChanges: a change of on_hand needs a movement kind');
  }
  const ordered = inLockOrder(changes);
  if (ordered.length > 1 && ordered.every((c) => (c.onHand ?? 0) === 0 && !c.recordZero)) return changeReservations(tx, ordered, actor);
  return applyOneByOne(tx, ordered, actor);
}

/** One conditional update per change, in the given (lock) order. */
async function applyOneByOne(tx: Db, ordered: StockChange[], actor: Actor): Promise<InventoryRow[]> {
  const updated: InventoryRow[] = [];
  for (const [i, c] of ordered.entries()) {
    let row = await applyOne(tx, c, actor);
    if (!row && (c.onHand ?? 0) > 0 && (c.reserved ?? 0) >= 0) {
      // Nothing matched: perhaps the store has never held this product. Create its empty row
      // (still in lock order: every earlier row is already ours) and try once more.
      const created = await tx.insert(inventory).values({ storeId: c.storeId, productId: c.productId }).onConflictDoNothing().returning({ storeId: inventory.storeId });
      if (created.length) row = await applyOne(tx, c, actor);
    }
    // The rows before this one are changed already (and fit, by definition): only this one and
    // the ones after it can be short, and reading the earlier ones would count this
    // transaction's own change against them a second time.
    updated.push(row ?? await retryOrExplain(tx, c, ordered.slice(i), () => applyOne(tx, c, actor)));
  }
  return updated;
}

/**
 * Several changes of reserved only (placing or cancelling an order of several lines) as one
 * statement instead of one per row. The rows are locked first, in lock order (FOR UPDATE under
 * ORDER BY: the locking step runs above the sort), then each is changed where it still fits.
 * Reservations never create rows: a missing row has nothing.
 */
async function changeReservations(tx: Db, ordered: StockChange[], actor: Actor): Promise<InventoryRow[]> {
  const rows = await queryRows<InventoryRow>(tx, sql`
    with want as (
      select * from unnest(${intArray(ordered.map((c) => c.storeId))}, ${intArray(ordered.map((c) => c.productId))},
        ${intArray(ordered.map((c) => c.reserved ?? 0))}) as w(store_id, product_id, d)),
    locked as materialized (
      select v.store_id, v.product_id from inventory v
      join want w on w.store_id = v.store_id and w.product_id = v.product_id
      order by v.store_id, v.product_id
      for update of v),
    u as (
      update inventory v set reserved = v.reserved + w.d, updated_at = now()
      from want w, locked l
      where w.store_id = v.store_id and w.product_id = v.product_id and l.store_id = v.store_id and l.product_id = v.product_id
        and v.reserved + w.d >= 0 and v.reserved + w.d <= v.on_hand
      returning v.*)
    select ${ROW}, null::bigint as "movementId" from u order by u.store_id, u.product_id`);
  const updated: InventoryRow[] = rows.map((r) => ({ ...r, movementId: null }));
  if (updated.length === ordered.length) return updated;
  // The statement judged each row as of its snapshot: a row released after it began (a cancel
  // committing while this waited for the lock) looked short. Those rows are ours now, so one
  // more conditional update each, in a new snapshot, is final; what still fails is short.
  const done = new Set(updated.map(key));
  const rest = await applyOneByOne(tx, ordered.filter((c) => !done.has(key(c))), actor);
  return inLockOrder([...updated, ...rest]);
}

/** A change's conditional update matched nothing. Its row is read again (a new snapshot): when
 * the change is short there, the answer names it and every short change of `rest` (what the
 * caller asked, what is available). When it fits there, stock was released between the update
 * and the read (a cancel committing): the update is tried again, a few times at most. */
async function retryOrExplain(tx: Db, c: StockChange, rest: StockChange[], again: () => Promise<InventoryRow | undefined>): Promise<InventoryRow> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const short = await shortages(tx, rest);
    if (short.some((s) => key(s) === key(c))) throw new StockShortError(short);
    const row = await again();
    if (row) return row;
  }
  throw new HttpError(409, 'The stock changed while this was being saved. Try again.');
}

/**
 * One row's movement, its ledger row and its audit event as a single statement, with no
 * transaction around it (one statement is atomic on its own): the hottest stock paths (receive,
 * adjust) then cost one round trip where a transaction costs six. Same rules as
 * applyStockChanges: the conditional update is the check; a receipt creates the row on demand.
 * Throws StockShortError when the change does not fit.
 */
export async function applyMove(db: Db, c: StockChange, actor: Actor, audit: MoveAudit): Promise<InventoryRow> {
  if ((c.onHand ?? 0) === 0 && !c.recordZero) throw new Error('applyMove: a movement moves on_hand');
  if (!c.kind) throw new Error('applyMove: a movement needs a kind');
  let row = await applyOne(db, c, actor, audit);
  if (!row && (c.onHand ?? 0) > 0 && (c.reserved ?? 0) >= 0) {
    // Only for a store and product that exist: a foreign key error would abort the caller's
    // transaction (the API wraps this in one for idempotency) before it could explain itself.
    const created = await queryRows(db, sql`insert into inventory (store_id, product_id)
      select ${c.storeId}::int, ${c.productId}::int
      where exists (select 1 from stores where store_id = ${c.storeId}) and exists (select 1 from products where product_id = ${c.productId})
      on conflict do nothing returning store_id`);
    if (created.length) row = await applyOne(db, c, actor, audit);
  }
  return row ?? retryOrExplain(db, c, [c], () => applyOne(db, c, actor, audit));
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
    // A missing row holds nothing (and is created for incoming stock): judged as zeros.
    if (onHand + dOn >= 0 && reserved + dRes >= 0 && reserved + dRes <= onHand + dOn) continue;
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
