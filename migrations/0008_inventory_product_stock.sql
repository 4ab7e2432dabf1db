-- A product's stock over every store, read index-only: the product list sums on_hand - reserved
-- of ~50 stores for each of its ~50 rows, and inventory is laid out by store, so the old index
-- meant one heap page per (product, store). Drizzle's schema cannot say INCLUDE: written here.
CREATE INDEX "inventory_product_stock_idx" ON "inventory" USING btree ("product_id","store_id") INCLUDE ("on_hand","reserved");--> statement-breakpoint
DROP INDEX "inventory_product_idx";
