DROP INDEX "products_brand_idx";--> statement-breakpoint
CREATE INDEX "products_brand_name_idx" ON "products" USING btree ("brand","product_name","product_id");--> statement-breakpoint
CREATE INDEX "products_brand_price_idx" ON "products" USING btree ("brand","unit_price","product_id");--> statement-breakpoint
CREATE INDEX "orders_store_status_tms_idx" ON "orders" USING btree ("store_id","order_status","order_tms","order_id");