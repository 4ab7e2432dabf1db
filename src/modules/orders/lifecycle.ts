// The order lifecycle: one transition table drives the code and the UI, and applyOrderAction is
// the only code that writes orders.order_status. Every transition locks the order row first
// (then shipments, then inventory rows in lock order), checks the table and the actor's rights,
// applies the stock effect, writes the order event and the audit event and bumps the version,
// all inside the caller's transaction.
import { and, eq, inArray, sql } from 'drizzle-orm';
import { orders, orderItems, orderEvents, shipments, type OrderStatus } from '../../db/schema/index.ts';
import type { Db } from '../../db/client.ts';
import type { CurrentUser } from '../../lib/access.ts';
import { canAccessStore } from '../../lib/access.ts';
import { recordAudit, type Actor } from '../../lib/audit.ts';
import { conflict, forbidden, notFound, unprocessable, HttpError } from '../../lib/errors.ts';
import { applyStockChanges, type StockChange } from '../inventory/stock.ts';

export const orderActions = ['pay', 'cancel', 'ship', 'complete', 'refund'] as const;
export type OrderAction = (typeof orderActions)[number];

interface Transition {
  from: readonly OrderStatus[];
  to: OrderStatus;
  label: string;
  /** Applied by the shipments code when the last line is dispatched / delivered, not by a button. */
  automatic?: boolean;
  /** Customers may apply it to their own orders (and only from these statuses). */
  customerFrom?: readonly OrderStatus[];
}

export const TRANSITIONS: Record<OrderAction, Transition> = {
  pay: { from: ['OPEN'], to: 'PAID', label: 'Mark paid' },
  cancel: { from: ['OPEN', 'PAID'], to: 'CANCELLED', label: 'Cancel order', customerFrom: ['OPEN'] },
  ship: { from: ['PAID'], to: 'SHIPPED', label: 'Shipped', automatic: true },
  complete: { from: ['SHIPPED'], to: 'COMPLETE', label: 'Complete', automatic: true },
  refund: { from: ['SHIPPED', 'COMPLETE'], to: 'REFUNDED', label: 'Refund' },
};

/** The actions a user may take by hand on an order in this status (what the order page shows). */
export function allowedActions(status: OrderStatus, user: CurrentUser | null): OrderAction[] {
  if (!user) return [];
  return orderActions.filter((a) => {
    const t = TRANSITIONS[a];
    if (t.automatic) return false;
    if (user.role === 'customer') return !!t.customerFrom?.includes(status);
    return t.from.includes(status);
  });
}

export type OrderRow = typeof orders.$inferSelect;

export interface ActionInput {
  orderId: number;
  action: OrderAction;
  user: CurrentUser;
  actor: Actor;
  /** The version the user saw; a different current version refuses the action (409). */
  expectedVersion?: number;
  note?: string;
  /** For refunds: units to put back on hand, by line item id (default: none restocked). */
  returns?: Record<number, number>;
  /** Set by the shipments code for the automatic transitions. */
  system?: boolean;
}

export class StaleOrderError extends HttpError {
  constructor(readonly current: OrderRow) {
    super(409, `This order changed since you loaded it: it is now ${current.orderStatus} (version ${current.version}). Nothing was done; review it and try again.`,
      [{ field: 'version', message: `current version is ${current.version}`, orderStatus: current.orderStatus, version: current.version }]);
  }
}

/** Locks and returns the order, enforcing that the user may see it (404 rather than 403 for a
 * customer's foreign order, so ids of other customers' orders are not confirmed). */
export async function lockOrder(tx: Db, orderId: number, user: CurrentUser): Promise<OrderRow> {
  const rows = await tx.select().from(orders).where(eq(orders.orderId, orderId)).for('update');
  const order = rows[0];
  if (!order) throw notFound(`Order #${orderId}`);
  assertOrderAccess(order, user);
  return order;
}

export function assertOrderAccess(order: Pick<OrderRow, 'storeId' | 'customerId'>, user: CurrentUser): void {
  if (user.role === 'customer') {
    if (order.customerId !== user.customerId) throw notFound('The order');
  } else if (!canAccessStore(user, order.storeId)) {
    throw forbidden('This order belongs to a store you do not work at.');
  }
}

/** Applies one lifecycle action. Returns the updated order. */
export async function applyOrderAction(tx: Db, input: ActionInput): Promise<OrderRow> {
  const { action, user, actor } = input;
  const t = TRANSITIONS[action];
  if (!t) throw unprocessable(`Unknown action "${String(action)}".`);
  const order = await lockOrder(tx, input.orderId, user);
  if (input.expectedVersion !== undefined && input.expectedVersion !== order.version) throw new StaleOrderError(order);
  if (t.automatic && !input.system) {
    throw conflict(`Orders become ${t.to} through their shipments, not by hand.`);
  }
  if (user.role === 'customer' && !t.customerFrom?.includes(order.orderStatus)) {
    throw forbidden(t.customerFrom ? `You can only ${action} an order while it is ${t.customerFrom.join(' or ')}.` : 'Only store staff can do that.');
  }
  if (!t.from.includes(order.orderStatus)) {
    const possible = allowedActions(order.orderStatus, user);
    throw conflict(`Cannot ${action} an order that is ${order.orderStatus}.${possible.length ? ` Possible now: ${possible.join(', ')}.` : ''}`,
      [{ field: 'action', message: `not allowed from ${order.orderStatus}`, orderStatus: order.orderStatus, version: order.version }]);
  }

  // The note the user typed is kept; a refund adds what went back on hand after it.
  let note = input.note?.trim() || null;
  if (action === 'cancel') await releaseReservations(tx, order, actor);
  if (action === 'refund') {
    const restocked = await restockReturns(tx, order, input.returns ?? {}, actor);
    if (restocked) note = note ? `${note} — restocked ${restocked}` : `Restocked ${restocked}`;
  }

  const [updated] = await tx.update(orders).set({
    orderStatus: t.to, version: sql`${orders.version} + 1`, updatedAt: sql`now()`,
  }).where(eq(orders.orderId, order.orderId)).returning();
  await tx.insert(orderEvents).values({ orderId: order.orderId, fromStatus: order.orderStatus, toStatus: t.to, actorId: actor.userId, note });
  await recordAudit(tx, actor, {
    action: `order.${action}`, entity: 'order', entityId: order.orderId,
    before: { orderStatus: order.orderStatus, version: order.version },
    after: { orderStatus: t.to, version: updated!.version, ...(note ? { note } : {}) },
  });
  return updated!;
}

/** Cancel: lines not yet dispatched give their reservation back; shipments that were created but
 * never dispatched are dissolved. Once anything has left the store, cancelling is refused. */
async function releaseReservations(tx: Db, order: OrderRow, actor: Actor): Promise<void> {
  const lines = await tx.select({
    lineItemId: orderItems.lineItemId, productId: orderItems.productId, quantity: orderItems.quantity,
    shipmentId: orderItems.shipmentId, shipmentStatus: shipments.shipmentStatus,
  }).from(orderItems).leftJoin(shipments, eq(shipments.shipmentId, orderItems.shipmentId))
    .where(eq(orderItems.orderId, order.orderId));
  if (lines.some((l) => l.shipmentStatus && l.shipmentStatus !== 'CREATED')) {
    throw conflict('Part of this order has already been dispatched, so it cannot be cancelled. Refund it once it is delivered.');
  }
  const pending = [...new Set(lines.map((l) => l.shipmentId).filter((id): id is number => id !== null))];
  if (pending.length) {
    await tx.update(orderItems).set({ shipmentId: null }).where(eq(orderItems.orderId, order.orderId));
    await tx.delete(shipments).where(and(inArray(shipments.shipmentId, pending), eq(shipments.shipmentStatus, 'CREATED')));
  }
  const changes: StockChange[] = lines.map((l) => ({ storeId: order.storeId, productId: l.productId, reserved: -l.quantity }));
  await applyStockChanges(tx, changes, actor);
}

/** Refund: the chosen units of each line go back on hand as `return` movements. Answers what was
 * restocked ("line 1: 2, line 3: 1"), or null when nothing was. */
async function restockReturns(tx: Db, order: OrderRow, returns: Record<number, number>, actor: Actor): Promise<string | null> {
  const lines = await tx.select().from(orderItems).where(eq(orderItems.orderId, order.orderId));
  const byId = new Map(lines.map((l) => [l.lineItemId, l]));
  const changes: StockChange[] = [];
  const parts: string[] = [];
  for (const [rawId, rawQty] of Object.entries(returns)) {
    const lineItemId = Number(rawId);
    const qty = Number(rawQty);
    const line = byId.get(lineItemId);
    if (!line) throw unprocessable(`Line ${rawId} is not part of order ${order.orderId}.`, [{ field: `returns.${rawId}`, message: 'is not a line of this order' }]);
    if (!Number.isInteger(qty) || qty < 0) throw unprocessable('Returned quantities are whole numbers of 0 or more.', [{ field: `returns.${rawId}`, message: 'must be a whole number ≥ 0' }]);
    if (qty > line.quantity - line.returnedQuantity) {
      throw unprocessable(`Line ${lineItemId} has ${line.quantity - line.returnedQuantity} units that can be returned, not ${qty}.`, [{ field: `returns.${rawId}`, message: `at most ${line.quantity - line.returnedQuantity}` }]);
    }
    if (qty === 0) continue;
    changes.push({ storeId: order.storeId, productId: line.productId, onHand: qty, kind: 'return', orderId: order.orderId, reason: 'refund' });
    parts.push(`line ${lineItemId}: ${qty}`);
    await tx.update(orderItems).set({ returnedQuantity: sql`${orderItems.returnedQuantity} + ${qty}` })
      .where(and(eq(orderItems.orderId, order.orderId), eq(orderItems.lineItemId, lineItemId)));
  }
  await applyStockChanges(tx, changes, actor);
  return parts.length ? parts.join(', ') : null;
}
