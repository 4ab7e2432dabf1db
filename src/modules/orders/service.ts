// Order use cases shared by the back office and the API, each one transaction: a lifecycle
// action on the version the user saw, and a shipment made from chosen lines of the order.
import { and, eq, inArray } from 'drizzle-orm';
import { orderItems } from '../../db/schema/index.ts';
import type { Db } from '../../db/client.ts';
import type { CurrentUser } from '../../lib/access.ts';
import type { Actor } from '../../lib/audit.ts';
import { forbidden, pgErrorCode, unprocessable } from '../../lib/errors.ts';
import { createShipment, type ShipmentRow } from '../shipments/service.ts';
import { applyOrderAction, lockOrder, StaleOrderError, type OrderAction, type OrderRow } from './lifecycle.ts';

/** Lock timeout, deadlock, serialization failure: the transaction rolled back whole. */
const BUSY = new Set(['55P03', '40P01', '40001']);

/** Runs a whole transaction again when it lost a race for locks. On a few hot products a burst
 * of buyers queues on the same inventory rows, and a wait past the stock lock timeout would
 * otherwise answer "busy" instead of the real answer (placed, or what is available). */
export async function retryWhenBusy<T>(work: () => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (attempt >= attempts || !BUSY.has(pgErrorCode(err) ?? '')) throw err;
      await new Promise((r) => setTimeout(r, 25 * attempt + Math.random() * 75 * attempt));
    }
  }
}

export interface OrderActionRequest {
  orderId: number;
  action: OrderAction;
  version?: number;
  note?: string;
  returns?: Record<number, number>;
}

/** Applies a hand action (pay, cancel, refund). Automatic transitions are refused by the core. */
export function runOrderAction(db: Db, req: OrderActionRequest, user: CurrentUser, actor: Actor): Promise<OrderRow> {
  const note = req.note?.trim() ? req.note.trim().slice(0, 500) : undefined;
  return retryWhenBusy(() => db.transaction((tx) => applyOrderAction(tx, {
    orderId: req.orderId, action: req.action, user, actor, expectedVersion: req.version, note, returns: req.returns,
  })));
}

export interface ShipLinesRequest { orderId: number; version?: number; lineItemIds: number[]; deliveryAddress?: string }

/** A shipment of the chosen lines. The order's version is checked under its row lock, so a page
 * that is out of date cannot ship lines someone else has just cancelled or shipped. */
export function shipOrderLines(db: Db, req: ShipLinesRequest, user: CurrentUser, actor: Actor): Promise<ShipmentRow> {
  if (user.role === 'customer') throw forbidden('Only store staff handle shipments.');
  const ids = [...new Set(req.lineItemIds)];
  if (!ids.length) throw unprocessable('Choose at least one line to ship.', [{ field: 'lineItemIds', message: 'Choose at least one line to ship.' }]);
  return db.transaction(async (tx) => {
    const order = await lockOrder(tx, req.orderId, user);
    if (req.version !== undefined && req.version !== order.version) throw new StaleOrderError(order);
    const lines = await tx.select({ lineItemId: orderItems.lineItemId, productId: orderItems.productId }).from(orderItems)
      .where(and(eq(orderItems.orderId, order.orderId), inArray(orderItems.lineItemId, ids)));
    if (lines.length !== ids.length) {
      throw unprocessable('Choose lines of this order.', [{ field: 'lineItemIds', message: 'One of the chosen lines is not part of this order.' }]);
    }
    return createShipment(tx, { orderId: order.orderId, items: lines.map((l) => ({ productId: l.productId })), deliveryAddress: req.deliveryAddress }, user, actor);
  });
}
