// Rollups behind the dashboard and the reports API, so their figures stay instant at millions of
// orders. Nothing in the order code writes them: modules/reports/refresh.ts recomputes the fine
// buckets whose source rows changed since the last watermark and moves the coarse rows by the
// difference. store_id 0 stands for "all stores" (no foreign keys: rollups are derived data).
// See modules/reports/README in the report for the definitions of every figure.
import { sql } from 'drizzle-orm';
import {
  pgTable, integer, bigint, smallint, text, char, date, numeric, timestamp, check, primaryKey, index,
} from 'drizzle-orm/pg-core';

/** One row: the time zone the day buckets were cut in, and how far the refresh has read. */
export const rollupState = pgTable('rollup_state', {
  id: smallint('id').primaryKey().default(1),
  timeZone: text('time_zone').notNull(),
  /** Rows whose change timestamp is at or after this are (re)read by the next refresh. */
  watermark: timestamp('watermark', { withTimezone: true }).notNull(),
  /** Highest ids already read: rows inserted with historic timestamps (bulk seed) are still seen. */
  maxOrderId: bigint('max_order_id', { mode: 'number' }).notNull().default(0),
  maxShipmentId: integer('max_shipment_id').notNull().default(0),
  maxProductId: integer('max_product_id').notNull().default(0),
  /** Start of the last refresh: every change committed before it is in the rollups. */
  refreshedAt: timestamp('refreshed_at', { withTimezone: true }).notNull(),
  builtAt: timestamp('built_at', { withTimezone: true }).notNull(),
}, (t) => [
  check('rollup_state_singleton', sql`${t.id} = 1`),
]);

/** Orders by status: grain D (day) / M (month) / Y (year), period = first day. units and revenue
 * are the raw line sums of the orders in that status; the readers decide which statuses count. */
export const rollupSales = pgTable('rollup_sales', {
  grain: char('grain', { length: 1 }).notNull(),
  period: date('period').notNull(),
  storeId: integer('store_id').notNull(),
  orderStatus: text('order_status').notNull(),
  orders: integer('orders').notNull(),
  units: bigint('units', { mode: 'number' }).notNull(),
  revenue: numeric('revenue', { precision: 16, scale: 2 }).notNull(),
}, (t) => [
  primaryKey({ name: 'rollup_sales_pkey', columns: [t.grain, t.storeId, t.period, t.orderStatus] }),
  check('rollup_sales_grain_check', sql`${t.grain} in ('D','M','Y')`),
]);

/** Per product: orders = orders of any status holding the product; units and revenue only of
 * orders that are not CANCELLED or REFUNDED. Grain D rows (per store) are the recomputed buckets;
 * M and Y rows (per store and store 0) follow them by difference. */
export const rollupProductSales = pgTable('rollup_product_sales', {
  grain: char('grain', { length: 1 }).notNull(),
  period: date('period').notNull(),
  storeId: integer('store_id').notNull(),
  productId: integer('product_id').notNull(),
  orders: integer('orders').notNull(),
  units: bigint('units', { mode: 'number' }).notNull(),
  revenue: numeric('revenue', { precision: 16, scale: 2 }).notNull(),
}, (t) => [
  primaryKey({ name: 'rollup_product_sales_pkey', columns: [t.grain, t.storeId, t.period, t.productId] }),
  check('rollup_product_sales_grain_check', sql`${t.grain} in ('D','M','Y')`),
  // Top-N by units or revenue of one period and store is a short index scan.
  index('rollup_product_sales_units_idx').on(t.grain, t.storeId, t.period, sql`${t.units} desc`, t.productId).where(sql`${t.grain} <> 'D'`),
  index('rollup_product_sales_revenue_idx').on(t.grain, t.storeId, t.period, sql`${t.revenue} desc`, t.productId).where(sql`${t.grain} <> 'D'`),
]);

/** Which customers ordered (any status) per period and store: the distinct-customer counts
 * cannot be summed across days or stores, so membership is kept and counted on change. */
export const rollupCustomers = pgTable('rollup_customers', {
  grain: char('grain', { length: 1 }).notNull(),
  period: date('period').notNull(),
  storeId: integer('store_id').notNull(),
  customerId: integer('customer_id').notNull(),
  orders: integer('orders').notNull(),
}, (t) => [
  primaryKey({ name: 'rollup_customers_pkey', columns: [t.grain, t.storeId, t.period, t.customerId] }),
  check('rollup_customers_grain_check', sql`${t.grain} in ('D','M','Y')`),
]);

/** Distinct customers with orders, per M/Y period and store (0 = all stores). */
export const rollupCustomerCounts = pgTable('rollup_customer_counts', {
  grain: char('grain', { length: 1 }).notNull(),
  period: date('period').notNull(),
  storeId: integer('store_id').notNull(),
  customers: integer('customers').notNull(),
}, (t) => [
  primaryKey({ name: 'rollup_customer_counts_pkey', columns: [t.grain, t.storeId, t.period] }),
]);

/** Shipments by current status, bucketed by the day they were created. */
export const rollupShipments = pgTable('rollup_shipments', {
  grain: char('grain', { length: 1 }).notNull(),
  period: date('period').notNull(),
  storeId: integer('store_id').notNull(),
  shipmentStatus: text('shipment_status').notNull(),
  shipments: integer('shipments').notNull(),
}, (t) => [
  primaryKey({ name: 'rollup_shipments_pkey', columns: [t.grain, t.storeId, t.period, t.shipmentStatus] }),
  check('rollup_shipments_grain_check', sql`${t.grain} in ('D','M','Y')`),
]);

/** Current stock per store and block of product ids (product_id / 4096): small enough to
 * recompute a block whenever one of its inventory rows or product prices changes. */
export const rollupStock = pgTable('rollup_stock', {
  storeId: integer('store_id').notNull(),
  bucket: integer('bucket').notNull(),
  items: integer('items').notNull(),
  units: bigint('units', { mode: 'number' }).notNull(),
  value: numeric('value', { precision: 18, scale: 2 }).notNull(),
  lowStock: integer('low_stock').notNull(),
}, (t) => [
  primaryKey({ name: 'rollup_stock_pkey', columns: [t.storeId, t.bucket] }),
]);

/** Active products per block of product ids. */
export const rollupProducts = pgTable('rollup_products', {
  bucket: integer('bucket').primaryKey(),
  activeProducts: integer('active_products').notNull(),
});

/** The most urgent low-stock rows (available ≤ reorder point) of each stock block, at most ten:
 * the most urgent rows of any store selection are among them. shortfall = reorder point −
 * available (≥ 0 here). */
export const rollupLowStock = pgTable('rollup_low_stock', {
  storeId: integer('store_id').notNull(),
  productId: integer('product_id').notNull(),
  bucket: integer('bucket').notNull(),
  onHand: integer('on_hand').notNull(),
  reserved: integer('reserved').notNull(),
  reorderPoint: integer('reorder_point').notNull(),
  shortfall: integer('shortfall').notNull(),
}, (t) => [
  primaryKey({ name: 'rollup_low_stock_pkey', columns: [t.storeId, t.productId] }),
  index('rollup_low_stock_bucket_idx').on(t.storeId, t.bucket),
  index('rollup_low_stock_urgent_idx').on(sql`${t.shortfall} desc`, t.storeId, t.productId),
  index('rollup_low_stock_store_urgent_idx').on(t.storeId, sql`${t.shortfall} desc`, t.productId),
]);
