// Placing an order: every line reserved at the order's store or none (applyStockChanges takes
// the inventory rows in a fixed order with conditional updates), unit prices copied from the
// products, the order event and the audit event in the same transaction.
import { eq, inArray, sql } from 'drizzle-orm';
import { orders, orderItems, orderEvents, products, customers, stores } from '../../db/schema/index.ts';
import type { Db } from '../../db/client.ts';
import type { CurrentUser } from '../../lib/access.ts';
import { canAccessStore } from '../../lib/access.ts';
import { recordAudit, type Actor } from '../../lib/audit.ts';
import { forbidden, unprocessable, type FieldError } from '../../lib/errors.ts';
import { applyStockChanges } from '../inventory/stock.ts';

export const MAX_LINES = 100;
export const MAX_QUANTITY = 10_000;

export interface OrderLineInput { productId: number; quantity: number }
export interface PlaceOrderInput { customerId: number; storeId: number; items: OrderLineInput[] }

export interface OrderLine { lineItemId: number; productId: number; productName: string; sku: string; unitPrice: string; quantity: number; returnedQuantity: number; shipmentId: number | null; lineTotal: string }
export interface PlacedOrder {
  orderId: number; orderStatus: string; orderTimestamp: string; customerId: number; storeId: number;
  items: OrderLine[]; total: string; version: number;
}

/** Checks the shape of the lines before touching the database. */
export function lineProblems(items: unknown): FieldError[] {
  const problems: FieldError[] = [];
  if (!Array.isArray(items) || items.length === 0) return [{ field: 'items', message: 'Add at least one product.' }];
  if (items.length > MAX_LINES) return [{ field: 'items', message: `An order has at most ${MAX_LINES} lines.` }];
  const seen = new Map<number, number>();
  items.forEach((item, i) => {
    const { productId, quantity } = (item ?? {}) as Partial<OrderLineInput>;
    if (!Number.isSafeInteger(productId) || (productId as number) < 1) problems.push({ field: `items.${i}.productId`, message: 'Choose a product.' });
    if (!Number.isInteger(quantity) || (quantity as number) < 1 || (quantity as number) > MAX_QUANTITY) {
      problems.push({ field: `items.${i}.quantity`, message: `The quantity is a whole number from 1 to ${MAX_QUANTITY}.` });
    }
    if (Number.isSafeInteger(productId)) {
      const first = seen.get(productId as number);
      if (first !== undefined) problems.push({ field: `items.${i}.productId`, message: `Product ${productId} is already on line ${first + 1}: change that line's quantity instead.` });
      else seen.set(productId as number, i);
    }
  });
  return problems;
}

export async function placeOrder(tx: Db, input: PlaceOrderInput, user: CurrentUser, actor: Actor): Promise<PlacedOrder> {
  const problems = lineProblems(input.items);
  if (problems.length) throw unprocessable(problems.map((p) => p.message).join(' '), problems);
  if (user.role === 'customer' && user.customerId !== input.customerId) throw forbidden('Customers can only place orders for themselves.');
  if (user.role !== 'customer' && !canAccessStore(user, input.storeId)) throw forbidden('You can only place orders at the stores you work at.');

  const productIds = input.items.map((i) => i.productId);
  // Sequential: inside a transaction every query shares one connection.
  const customer = await tx.select({ id: customers.customerId }).from(customers).where(eq(customers.customerId, input.customerId));
  const store = await tx.select({ id: stores.storeId }).from(stores).where(eq(stores.storeId, input.storeId));
  const found = await tx.select({ productId: products.productId, productName: products.productName, sku: products.sku, unitPrice: products.unitPrice, active: products.active })
    .from(products).where(inArray(products.productId, productIds));
  const refusals: FieldError[] = [];
  if (!customer[0]) refusals.push({ field: 'customerId', message: `Customer ${input.customerId} does not exist.` });
  if (!store[0]) refusals.push({ field: 'storeId', message: `Store ${input.storeId} does not exist.` });
  const byId = new Map(found.map((p) => [p.productId, p]));
  input.items.forEach((item, i) => {
    const p = byId.get(item.productId);
    if (!p) refusals.push({ field: `items.${i}.productId`, message: `Product ${item.productId} does not exist.` });
    else if (!p.active) refusals.push({ field: `items.${i}.productId`, message: `${p.productName} is no longer sold.` });
  });
  if (refusals.length) throw unprocessable(refusals.map((r) => r.message).join(' '), refusals);

  const [order] = await tx.insert(orders).values({
    customerId: input.customerId, storeId: input.storeId, orderStatus: 'OPEN', createdBy: actor.userId,
  }).returning();
  const lines = input.items.map((item, i) => ({
    orderId: order!.orderId, lineItemId: i + 1, productId: item.productId, quantity: item.quantity, unitPrice: byId.get(item.productId)!.unitPrice,
  }));
  await tx.insert(orderItems).values(lines);
  await applyStockChanges(tx, input.items.map((item) => ({ storeId: input.storeId, productId: item.productId, reserved: item.quantity })), actor);
  await tx.insert(orderEvents).values({ orderId: order!.orderId, fromStatus: null, toStatus: 'OPEN', actorId: actor.userId });
  // Money is summed in SQL (numeric), never in floating point.
  const totals = await tx.select({
    lineItemId: orderItems.lineItemId,
    lineTotal: sql<string>`(${orderItems.quantity} * ${orderItems.unitPrice})::numeric(12,2)::text`,
    total: sql<string>`(sum(${orderItems.quantity} * ${orderItems.unitPrice}) over ())::numeric(12,2)::text`,
  }).from(orderItems).where(eq(orderItems.orderId, order!.orderId)).orderBy(orderItems.lineItemId);
  const placed: PlacedOrder = {
    orderId: order!.orderId, orderStatus: 'OPEN', orderTimestamp: new Date(order!.orderTms).toISOString(),
    customerId: input.customerId, storeId: input.storeId, version: order!.version, total: totals[0]!.total,
    items: lines.map((l, i) => {
      const p = byId.get(l.productId)!;
      return { lineItemId: l.lineItemId, productId: l.productId, productName: p.productName, sku: p.sku, unitPrice: l.unitPrice, quantity: l.quantity, returnedQuantity: 0, shipmentId: null, lineTotal: totals[i]!.lineTotal };
    }),
  };
  await recordAudit(tx, actor, { action: 'create', entity: 'order', entityId: order!.orderId, after: placed });
  return placed;
}
