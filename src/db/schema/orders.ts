// Orders, their lines, shipments and the status history. order_status is only ever written by
// the lifecycle service; the CHECK constraints keep the values honest.
import { sql } from 'drizzle-orm';
import {
  pgTable, integer, bigint, text, numeric, timestamp, check, primaryKey, index, uniqueIndex,
} from 'drizzle-orm/pg-core';
import { stores, products, customers } from './catalogue.ts';
import { users } from './auth.ts';

export const orderStatuses = ['OPEN', 'PAID', 'SHIPPED', 'COMPLETE', 'CANCELLED', 'REFUNDED'] as const;
export type OrderStatus = (typeof orderStatuses)[number];
export const shipmentStatuses = ['CREATED', 'SHIPPED', 'IN-TRANSIT', 'DELIVERED'] as const;
export type ShipmentStatus = (typeof shipmentStatuses)[number];

export const orders = pgTable('orders', {
  orderId: bigint('order_id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
  orderTms: timestamp('order_tms', { withTimezone: true }).notNull().defaultNow(),
  customerId: integer('customer_id').notNull().references(() => customers.customerId),
  storeId: integer('store_id').notNull().references(() => stores.storeId),
  orderStatus: text('order_status', { enum: orderStatuses }).notNull().default('OPEN'),
  version: integer('version').notNull().default(1),
  createdBy: integer('created_by').references(() => users.userId),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  check('orders_status_check', sql`${t.orderStatus} in ('OPEN','PAID','SHIPPED','COMPLETE','CANCELLED','REFUNDED')`),
  index('orders_tms_idx').on(t.orderTms, t.orderId),
  index('orders_store_tms_idx').on(t.storeId, t.orderTms, t.orderId),
  index('orders_customer_tms_idx').on(t.customerId, t.orderTms),
  index('orders_status_tms_idx').on(t.orderStatus, t.orderTms),
  // Staff lists are store-scoped: their status chips and status filter walk this.
  index('orders_store_status_tms_idx').on(t.storeId, t.orderStatus, t.orderTms, t.orderId),
  index('orders_updated_idx').on(t.updatedAt),
]);

export const shipments = pgTable('shipments', {
  shipmentId: integer('shipment_id').primaryKey().generatedByDefaultAsIdentity(),
  orderId: bigint('order_id', { mode: 'number' }).notNull().references(() => orders.orderId),
  storeId: integer('store_id').notNull().references(() => stores.storeId),
  customerId: integer('customer_id').notNull().references(() => customers.customerId),
  deliveryAddress: text('delivery_address').notNull(),
  shipmentStatus: text('shipment_status', { enum: shipmentStatuses }).notNull().default('CREATED'),
  version: integer('version').notNull().default(1),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  shippedAt: timestamp('shipped_at', { withTimezone: true }),
  inTransitAt: timestamp('in_transit_at', { withTimezone: true }),
  deliveredAt: timestamp('delivered_at', { withTimezone: true }),
  createdBy: integer('created_by').references(() => users.userId),
}, (t) => [
  check('shipments_status_check', sql`${t.shipmentStatus} in ('CREATED','SHIPPED','IN-TRANSIT','DELIVERED')`),
  index('shipments_order_idx').on(t.orderId),
  index('shipments_store_created_idx').on(t.storeId, t.createdAt),
  index('shipments_customer_idx').on(t.customerId, t.createdAt),
  index('shipments_status_idx').on(t.shipmentStatus, t.createdAt),
  // Customers by shipment status (a distinct count per status).
  index('shipments_status_customer_idx').on(t.shipmentStatus, t.customerId),
  index('shipments_changed_idx').on(sql`greatest(${t.createdAt}, ${t.shippedAt}, ${t.inTransitAt}, ${t.deliveredAt})`),
]);

export const orderItems = pgTable('order_items', {
  orderId: bigint('order_id', { mode: 'number' }).notNull().references(() => orders.orderId, { onDelete: 'cascade' }),
  lineItemId: integer('line_item_id').notNull(),
  productId: integer('product_id').notNull().references(() => products.productId),
  unitPrice: numeric('unit_price', { precision: 10, scale: 2 }).notNull(),
  quantity: integer('quantity').notNull(),
  returnedQuantity: integer('returned_quantity').notNull().default(0),
  shipmentId: integer('shipment_id').references(() => shipments.shipmentId),
}, (t) => [
  primaryKey({ name: 'order_items_pkey', columns: [t.orderId, t.lineItemId] }),
  uniqueIndex('order_items_order_product_key').on(t.orderId, t.productId),
  check('order_items_quantity_check', sql`${t.quantity} > 0`),
  check('order_items_unit_price_check', sql`${t.unitPrice} >= 0`),
  check('order_items_returned_check', sql`${t.returnedQuantity} between 0 and ${t.quantity}`),
  index('order_items_product_idx').on(t.productId),
  index('order_items_shipment_idx').on(t.shipmentId).where(sql`${t.shipmentId} is not null`),
]);

export const orderEvents = pgTable('order_events', {
  eventId: bigint('event_id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
  orderId: bigint('order_id', { mode: 'number' }).notNull().references(() => orders.orderId, { onDelete: 'cascade' }),
  fromStatus: text('from_status', { enum: orderStatuses }),
  toStatus: text('to_status', { enum: orderStatuses }).notNull(),
  actorId: integer('actor_id').references(() => users.userId),
  note: text('note'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  index('order_events_order_idx').on(t.orderId, t.eventId),
]);
