// Per-store stock and its append-only ledger. on_hand only changes together with a movement row;
// a trigger in the migrations refuses UPDATE and DELETE on stock_movements.
import { sql } from 'drizzle-orm';
import {
  pgTable, integer, bigint, text, uuid, timestamp, check, primaryKey, index, foreignKey,
} from 'drizzle-orm/pg-core';
import { stores, products } from './catalogue.ts';
import { users } from './auth.ts';
import { orders, shipments } from './orders.ts';

export const movementKinds = ['receipt', 'adjustment', 'transfer_out', 'transfer_in', 'sale', 'return', 'count'] as const;
export type MovementKind = (typeof movementKinds)[number];

export const inventory = pgTable('inventory', {
  storeId: integer('store_id').notNull().references(() => stores.storeId),
  productId: integer('product_id').notNull().references(() => products.productId),
  onHand: integer('on_hand').notNull().default(0),
  reserved: integer('reserved').notNull().default(0),
  reorderPoint: integer('reorder_point').notNull().default(0),
  lastMovementAt: timestamp('last_movement_at', { withTimezone: true }),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  primaryKey({ name: 'inventory_pkey', columns: [t.storeId, t.productId] }),
  check('inventory_on_hand_check', sql`${t.onHand} >= 0`),
  check('inventory_reserved_check', sql`${t.reserved} >= 0 and ${t.reserved} <= ${t.onHand}`),
  check('inventory_reorder_point_check', sql`${t.reorderPoint} >= 0`),
  // Migration 0008 builds this with INCLUDE (on_hand, reserved), which Drizzle cannot express:
  // a product's stock over every store is then an index-only read of adjacent entries instead of
  // one heap page per store. (Stock updates already change updated_at, indexed, so they were
  // never HOT updates: the wider entries cost the writes little.)
  index('inventory_product_stock_idx').on(t.productId, t.storeId),
  index('inventory_updated_idx').on(t.updatedAt),
]);

export const stockMovements = pgTable('stock_movements', {
  movementId: bigint('movement_id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
  storeId: integer('store_id').notNull(),
  productId: integer('product_id').notNull(),
  quantity: integer('quantity').notNull(),
  kind: text('kind', { enum: movementKinds }).notNull(),
  reason: text('reason'),
  reference: text('reference'),
  orderId: bigint('order_id', { mode: 'number' }).references(() => orders.orderId),
  shipmentId: integer('shipment_id').references(() => shipments.shipmentId),
  transferId: uuid('transfer_id'),
  actorId: integer('actor_id').references(() => users.userId),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  foreignKey({ name: 'stock_movements_inventory_fk', columns: [t.storeId, t.productId], foreignColumns: [inventory.storeId, inventory.productId] }),
  check('stock_movements_kind_check', sql`${t.kind} in ('receipt','adjustment','transfer_out','transfer_in','sale','return','count')`),
  check('stock_movements_quantity_check', sql`${t.quantity} <> 0 or ${t.kind} = 'count'`),
  check('stock_movements_sign_check', sql`case
    when ${t.kind} in ('receipt','transfer_in','return') then ${t.quantity} > 0
    when ${t.kind} in ('transfer_out','sale') then ${t.quantity} < 0
    else true end`),
  index('stock_movements_store_product_idx').on(t.storeId, t.productId, t.movementId),
  index('stock_movements_product_idx').on(t.productId, t.movementId),
  index('stock_movements_created_idx').on(t.createdAt),
  // History filtered by actor or by kind across stores.
  index('stock_movements_actor_idx').on(t.actorId, t.movementId).where(sql`${t.actorId} is not null`),
  index('stock_movements_kind_idx').on(t.kind, t.movementId),
  index('stock_movements_order_idx').on(t.orderId).where(sql`${t.orderId} is not null`),
  index('stock_movements_shipment_idx').on(t.shipmentId).where(sql`${t.shipmentId} is not null`),
  index('stock_movements_transfer_idx').on(t.transferId).where(sql`${t.transferId} is not null`),
]);
