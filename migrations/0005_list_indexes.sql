DROP INDEX "products_sku_key";--> statement-breakpoint
DROP INDEX "stores_store_name_key";--> statement-breakpoint
DROP INDEX "products_unit_price_idx";--> statement-breakpoint
CREATE INDEX "customers_created_idx" ON "customers" USING btree ("created_at","customer_id");--> statement-breakpoint
CREATE UNIQUE INDEX "products_sku_upper_key" ON "products" USING btree (upper("sku"));--> statement-breakpoint
CREATE INDEX "products_name_sort_idx" ON "products" USING btree ("product_name","product_id");--> statement-breakpoint
CREATE INDEX "products_brand_sort_idx" ON "products" USING btree (coalesce("brand", ''),"product_id");--> statement-breakpoint
CREATE INDEX "products_colour_sort_idx" ON "products" USING btree (coalesce("colour", ''),"product_id");--> statement-breakpoint
CREATE INDEX "products_size_sort_idx" ON "products" USING btree (coalesce("size", ''),"product_id");--> statement-breakpoint
CREATE INDEX "products_rating_sort_idx" ON "products" USING btree ((coalesce("rating", 0)::int),"product_id");--> statement-breakpoint
CREATE UNIQUE INDEX "stores_store_name_lower_key" ON "stores" USING btree (lower("store_name"));--> statement-breakpoint
CREATE INDEX "shipments_status_customer_idx" ON "shipments" USING btree ("shipment_status","customer_id");--> statement-breakpoint
CREATE INDEX "stock_movements_actor_idx" ON "stock_movements" USING btree ("actor_id","movement_id") WHERE "stock_movements"."actor_id" is not null;--> statement-breakpoint
CREATE INDEX "stock_movements_kind_idx" ON "stock_movements" USING btree ("kind","movement_id");--> statement-breakpoint
CREATE INDEX "products_unit_price_idx" ON "products" USING btree ("unit_price","product_id");