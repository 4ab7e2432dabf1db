// Master data: stores, products, customers. Constraints mirror the form validation so the
// database refuses what a bug in the app would let through.
import { sql } from 'drizzle-orm';
import {
  pgTable, integer, text, numeric, boolean, timestamp, check, uniqueIndex, index, smallint,
} from 'drizzle-orm/pg-core';

export const stores = pgTable('stores', {
  storeId: integer('store_id').primaryKey().generatedByDefaultAsIdentity(),
  storeName: text('store_name').notNull(),
  webAddress: text('web_address'),
  physicalAddress: text('physical_address'),
  latitude: numeric('latitude', { precision: 9, scale: 6 }),
  longitude: numeric('longitude', { precision: 9, scale: 6 }),
  version: integer('version').notNull().default(1),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  // Names are unique whatever their case ("North" and "north" are one store).
  uniqueIndex('stores_store_name_lower_key').on(sql`lower(${t.storeName})`),
  check('stores_address_check', sql`${t.webAddress} is not null or ${t.physicalAddress} is not null`),
  check('stores_latitude_check', sql`${t.latitude} between -90 and 90`),
  check('stores_longitude_check', sql`${t.longitude} between -180 and 180`),
]);

export const products = pgTable('products', {
  productId: integer('product_id').primaryKey().generatedByDefaultAsIdentity(),
  sku: text('sku').notNull(),
  productName: text('product_name').notNull(),
  unitPrice: numeric('unit_price', { precision: 10, scale: 2 }).notNull(),
  colour: text('colour'),
  brand: text('brand'),
  size: text('size'),
  rating: smallint('rating'),
  active: boolean('active').notNull().default(true),
  version: integer('version').notNull().default(1),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  // SKUs are stored upper-case and unique whatever their case.
  uniqueIndex('products_sku_upper_key').on(sql`upper(${t.sku})`),
  check('products_unit_price_check', sql`${t.unitPrice} >= 0`),
  check('products_rating_check', sql`${t.rating} between 1 and 5`),
  // A brand filter with the list's two common sorts (name, price) is an index range walk: with
  // only (brand) or only (sort, id) PostgreSQL reads ~20x the page to find one brand's rows.
  index('products_brand_name_idx').on(t.brand, t.productName, t.productId),
  index('products_brand_price_idx').on(t.brand, t.unitPrice, t.productId),
  // The dashboard's incremental rollup refresh finds changed rows by these.
  index('products_updated_idx').on(t.updatedAt),
  // Keyset sorts of the product list: (sort expression, id) for each sortable column.
  index('products_unit_price_idx').on(t.unitPrice, t.productId),
  index('products_name_sort_idx').on(t.productName, t.productId),
  index('products_brand_sort_idx').on(sql`coalesce(${t.brand}, '')`, t.productId),
  index('products_colour_sort_idx').on(sql`coalesce(${t.colour}, '')`, t.productId),
  index('products_size_sort_idx').on(sql`coalesce(${t.size}, '')`, t.productId),
  index('products_rating_sort_idx').on(sql`(coalesce(${t.rating}, 0)::int)`, t.productId),
  index('products_name_trgm_idx').using('gin', sql`${t.productName} gin_trgm_ops`),
]);

export const customers = pgTable('customers', {
  customerId: integer('customer_id').primaryKey().generatedByDefaultAsIdentity(),
  emailAddress: text('email_address').notNull(),
  fullName: text('full_name').notNull(),
  version: integer('version').notNull().default(1),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  uniqueIndex('customers_email_lower_key').on(sql`lower(${t.emailAddress})`),
  index('customers_full_name_idx').on(t.fullName, t.customerId),
  index('customers_created_idx').on(t.createdAt, t.customerId),
  index('customers_name_trgm_idx').using('gin', sql`${t.fullName} gin_trgm_ops`),
  index('customers_email_trgm_idx').using('gin', sql`${t.emailAddress} gin_trgm_ops`),
]);

// Each customer's order count and latest order over all stores, one row per customer, kept by
// triggers (migration 0009) so the customer list sorts on them through these indexes instead of
// counting a million orders. A table of their own: every order updates its customer's row, and
// on customers that update would add entries to all eight of its indexes (two of them trigram
// indexes that every search then reads through) instead of these three.
export const customerOrderStats = pgTable('customer_order_stats', {
  customerId: integer('customer_id').primaryKey().references(() => customers.customerId, { onDelete: 'cascade' }),
  orderCount: integer('order_count').notNull().default(0),
  lastOrderAt: timestamp('last_order_at', { withTimezone: true }),
}, (t) => [
  index('customer_order_stats_count_idx').on(t.orderCount, t.customerId),
  index('customer_order_stats_last_idx').on(sql`coalesce(${t.lastOrderAt}, '-infinity'::timestamptz)`, t.customerId),
]);
