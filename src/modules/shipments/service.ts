// Shipments: created from the unshipped lines of a PAID order (whole lines; a line is never
// split, which keeps one shipment per line), then CREATED → SHIPPED → IN-TRANSIT → DELIVERED.
// Dispatch (SHIPPED) takes the units out of on hand and reserved with a `sale` movement and moves
// the order to SHIPPED once every line has left; the last delivery completes the order. Locks:
// order row, then shipment row, then inventory rows — the same order as every order transaction.
import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import { orderItems, shipments, orders, type ShipmentStatus } from '../../db/schema/index.ts';
import type { Db } from '../../db/client.ts';
import type { CurrentUser } from '../../lib/access.ts';
import { recordAudit, type Actor } from '../../lib/audit.ts';
import { conflict, forbidden, notFound, unprocessable, type FieldError } from '../../lib/errors.ts';
import { applyStockChanges } from '../inventory/stock.ts';
import { own } from '../../lib/own.ts';
import { applyOrderAction, lockOrder } from '../orders/lifecycle.ts';

export const shipmentActions = ['ship', 'transit', 'deliver'] as const;
export type ShipmentAction = (typeof shipmentActions)[number];

export const SHIPMENT_TRANSITIONS: Record<ShipmentAction, { from: ShipmentStatus; to: ShipmentStatus; label: string; stamp: 'shippedAt' | 'inTransitAt' | 'deliveredAt' }> = {
  ship: { from: 'CREATED', to: 'SHIPPED', label: 'Dispatch', stamp: 'shippedAt' },
  transit: { from: 'SHIPPED', to: 'IN-TRANSIT', label: 'Mark in transit', stamp: 'inTransitAt' },
  deliver: { from: 'IN-TRANSIT', to: 'DELIVERED', label: 'Mark delivered', stamp: 'deliveredAt' },
};

export function shipmentActionFor(status: ShipmentStatus): ShipmentAction | undefined {
  return shipmentActions.find((a) => SHIPMENT_TRANSITIONS[a].from === status);
}

export type ShipmentRow = typeof shipments.$inferSelect;

export interface CreateShipmentInput {
  orderId: number;
  /** Products of the order to ship; each whole line (quantity, if given, must be the line's). */
  items?: Array<{ productId: number; quantity?: number }>;
  deliveryAddress?: string;
}

function staffOnly(user: CurrentUser) {
  if (user.role === 'customer') throw forbidden('Only store staff handle shipments.');
}

/** The delivery address of the customer's most recent shipment, as a default for the next. */
export async function lastDeliveryAddress(db: Db, customerId: number): Promise<string | null> {
  const rows = await db.select({ a: shipments.deliveryAddress }).from(shipments)
    .where(eq(shipments.customerId, customerId)).orderBy(sql`${shipments.createdAt} desc`).limit(1);
  return rows[0]?.a ?? null;
}

export async function createShipment(tx: Db, input: CreateShipmentInput, user: CurrentUser, actor: Actor): Promise<ShipmentRow> {
  staffOnly(user);
  const order = await lockOrder(tx, input.orderId, user);
  if (order.orderStatus !== 'PAID') throw conflict(`Shipments are created for PAID orders; this order is ${order.orderStatus}.`);
  const unshipped = await tx.select().from(orderItems).where(and(eq(orderItems.orderId, order.orderId), isNull(orderItems.shipmentId)));
  if (!unshipped.length) throw conflict('Every line of this order is already in a shipment.');
  const byProduct = new Map(unshipped.map((l) => [l.productId, l]));
  let chosen = unshipped;
  if (input.items?.length) {
    const problems: FieldError[] = [];
    const seen = new Set<number>();
    input.items.forEach((item, i) => {
      const line = byProduct.get(item.productId);
      if (seen.has(item.productId)) problems.push({ field: `items.${i}.productId`, message: `Product ${item.productId} is listed twice.` });
      else if (!line) problems.push({ field: `items.${i}.productId`, message: `Product ${item.productId} is not an unshipped line of order ${order.orderId}.` });
      else if (item.quantity !== undefined && item.quantity !== line.quantity) {
        problems.push({ field: `items.${i}.quantity`, message: `Lines ship whole: line ${line.lineItemId} has ${line.quantity} units.` });
      }
      seen.add(item.productId);
    });
    if (problems.length) throw unprocessable(problems.map((p) => p.message).join(' '), problems);
    chosen = input.items.map((i) => byProduct.get(i.productId)!);
  }
  const address = input.deliveryAddress?.trim() || await lastDeliveryAddress(tx, order.customerId);
  if (!address) throw unprocessable('Enter the delivery address.', [{ field: 'deliveryAddress', message: 'Enter the delivery address.' }]);
  if (address.length > 500) throw unprocessable('The delivery address is too long (500 characters at most).', [{ field: 'deliveryAddress', message: 'Use at most 500 characters.' }]);
  const [shipment] = await tx.insert(shipments).values({
    orderId: order.orderId, storeId: order.storeId, customerId: order.customerId, deliveryAddress: address, createdBy: actor.userId,
  }).returning();
  await tx.update(orderItems).set({ shipmentId: shipment!.shipmentId })
    .where(and(eq(orderItems.orderId, order.orderId), inArray(orderItems.lineItemId, chosen.map((l) => l.lineItemId))));
  // The order's version moves too, so a stale order page cannot act on the old state.
  await tx.update(orders).set({ version: sql`${orders.version} + 1`, updatedAt: sql`now()` }).where(eq(orders.orderId, order.orderId));
  await recordAudit(tx, actor, { action: 'create', entity: 'shipment', entityId: shipment!.shipmentId, after: { ...shipment, lineItemIds: chosen.map((l) => l.lineItemId) } });
  return shipment!;
}

export async function advanceShipment(tx: Db, shipmentId: number, action: ShipmentAction, user: CurrentUser, actor: Actor, expectedVersion?: number): Promise<ShipmentRow> {
  staffOnly(user);
  const t = own(SHIPMENT_TRANSITIONS, action);
  if (!t) throw unprocessable(`Unknown shipment action "${String(action)}".`);
  const found = await tx.select({ orderId: shipments.orderId }).from(shipments).where(eq(shipments.shipmentId, shipmentId));
  if (!found[0]) throw notFound(`Shipment #${shipmentId}`);
  const order = await lockOrder(tx, found[0].orderId, user);
  const [shipment] = await tx.select().from(shipments).where(eq(shipments.shipmentId, shipmentId)).for('update');
  // A cancel may have dissolved this (CREATED) shipment while we waited for the order lock.
  if (!shipment) throw notFound(`Shipment #${shipmentId}`);
  if (expectedVersion !== undefined && shipment!.version !== expectedVersion) {
    throw conflict(`This shipment changed since you loaded it: it is now ${shipment!.shipmentStatus}. Nothing was done.`, [{ field: 'version', message: `current version is ${shipment!.version}`, shipmentStatus: shipment!.shipmentStatus }]);
  }
  if (shipment!.shipmentStatus !== t.from) {
    throw conflict(`Cannot ${action} a shipment that is ${shipment!.shipmentStatus}.`, [{ field: 'action', message: `not allowed from ${shipment!.shipmentStatus}` }]);
  }
  if (action === 'ship') {
    if (order.orderStatus !== 'PAID') throw conflict(`The order is ${order.orderStatus}; only shipments of PAID orders are dispatched.`);
    const lines = await tx.select().from(orderItems).where(eq(orderItems.shipmentId, shipmentId));
    await applyStockChanges(tx, lines.map((l) => ({
      storeId: order.storeId, productId: l.productId, onHand: -l.quantity, reserved: -l.quantity, kind: 'sale' as const,
      orderId: order.orderId, shipmentId, reference: `shipment ${shipmentId}`,
    })), actor);
  }
  const [updated] = await tx.update(shipments).set({ shipmentStatus: t.to, [t.stamp]: sql`now()`, version: sql`${shipments.version} + 1` })
    .where(eq(shipments.shipmentId, shipmentId)).returning();
  await recordAudit(tx, actor, { action: `shipment.${action}`, entity: 'shipment', entityId: shipmentId,
    before: { shipmentStatus: shipment!.shipmentStatus }, after: { shipmentStatus: t.to } });

  // The order follows its shipments: SHIPPED when no line is waiting, COMPLETE when all delivered.
  const [state] = await tx.select({
    waiting: sql<number>`count(*) filter (where ${orderItems.shipmentId} is null or ${shipments.shipmentStatus} = 'CREATED')::int`,
    undelivered: sql<number>`count(*) filter (where ${shipments.shipmentStatus} is distinct from 'DELIVERED')::int`,
  }).from(orderItems).leftJoin(shipments, eq(shipments.shipmentId, orderItems.shipmentId)).where(eq(orderItems.orderId, order.orderId));
  if (action === 'ship' && state!.waiting === 0) {
    await applyOrderAction(tx, { orderId: order.orderId, action: 'ship', user, actor, system: true });
  } else if (action === 'deliver' && state!.undelivered === 0 && order.orderStatus === 'SHIPPED') {
    await applyOrderAction(tx, { orderId: order.orderId, action: 'complete', user, actor, system: true });
  }
  return updated!;
}
