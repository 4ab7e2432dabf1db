// Placing an order: every line reserved at the order's store or none (applyStockChanges takes
// the inventory rows in a fixed order with conditional updates), unit prices copied from the
// products, the order event and the audit event in the same transaction.
import { sql } from 'drizzle-orm';
import { intArray, queryRows, type Db } from '../../db/client.ts';
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
  // Every existence check and the products' current prices in one round trip.
  const [check] = await queryRows<{ customer: boolean; store: boolean; products: Array<{ productId: number; productName: string; sku: string; unitPrice: string; active: boolean }> }>(tx, sql`select
    exists (select 1 from customers where customer_id = ${input.customerId}) as customer,
    exists (select 1 from stores where store_id = ${input.storeId}) as store,
    coalesce((select json_agg(json_build_object('productId', product_id, 'productName', product_name, 'sku', sku,
      'unitPrice', unit_price::text, 'active', active)) from products where product_id = any(${intArray(productIds)})), '[]'::json) as products`);
  const refusals: FieldError[] = [];
  if (!check!.customer) refusals.push({ field: 'customerId', message: `Customer ${input.customerId} does not exist.` });
  if (!check!.store) refusals.push({ field: 'storeId', message: `Store ${input.storeId} does not exist.` });
  const byId = new Map(check!.products.map((p) => [Number(p.productId), p]));
  input.items.forEach((item, i) => {
    const p = byId.get(item.productId);
    if (!p) refusals.push({ field: `items.${i}.productId`, message: `Product ${item.productId} does not exist.` });
    else if (!p.active) refusals.push({ field: `items.${i}.productId`, message: `${p.productName} is no longer sold.` });
  });
  if (refusals.length) throw unprocessable(refusals.map((r) => r.message).join(' '), refusals);

  // The order, its lines and its first event in one statement; line totals and the total come
  // back from it, summed in SQL (numeric), never in floating point.
  const prices = input.items.map((item) => byId.get(item.productId)!.unitPrice);
  const [order] = await queryRows<{ orderId: number; orderTms: Date | string; version: number; lineTotals: string[]; total: string }>(tx, sql`
    with o as (
      insert into orders (customer_id, store_id, order_status, created_by)
      values (${input.customerId}, ${input.storeId}, 'OPEN', ${actor.userId}::int)
      returning order_id, order_tms, version),
    i as (
      insert into order_items (order_id, line_item_id, product_id, quantity, unit_price)
      select o.order_id, l.n, l.product_id, l.quantity, l.unit_price
      from o, unnest(${intArray(productIds)}, ${intArray(input.items.map((x) => x.quantity))}, ${`{${prices.join(',')}}`}::numeric[])
        with ordinality as l(product_id, quantity, unit_price, n)
      returning line_item_id, (quantity * unit_price)::numeric(12,2) as line_total),
    e as (
      insert into order_events (order_id, from_status, to_status, actor_id)
      select order_id, null, 'OPEN', ${actor.userId}::int from o)
    select o.order_id as "orderId", o.order_tms as "orderTms", o.version,
      (select array_agg(line_total::text order by line_item_id) from i) as "lineTotals",
      (select sum(line_total)::numeric(12,2)::text from i) as total
    from o`);
  const orderId = Number(order!.orderId);
  const placed: PlacedOrder = {
    orderId, orderStatus: 'OPEN', orderTimestamp: new Date(order!.orderTms).toISOString(),
    customerId: input.customerId, storeId: input.storeId, version: Number(order!.version), total: order!.total,
    items: input.items.map((item, i) => {
      const p = byId.get(item.productId)!;
      return { lineItemId: i + 1, productId: item.productId, productName: p.productName, sku: p.sku, unitPrice: p.unitPrice, quantity: item.quantity, returnedQuantity: 0, shipmentId: null, lineTotal: order!.lineTotals[i]! };
    }),
  };
  await recordAudit(tx, actor, { action: 'create', entity: 'order', entityId: orderId, after: placed });
  // Reserved last: the inventory rows are the contended ones (a popular product), so their locks
  // are held only from here to the commit.
  await applyStockChanges(tx, input.items.map((item) => ({ storeId: input.storeId, productId: item.productId, reserved: item.quantity })), actor);
  return placed;
}
