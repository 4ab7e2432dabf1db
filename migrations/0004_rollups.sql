CREATE TABLE "rollup_customer_counts" (
	"grain" char(1) NOT NULL,
	"period" date NOT NULL,
	"store_id" integer NOT NULL,
	"customers" integer NOT NULL,
	CONSTRAINT "rollup_customer_counts_pkey" PRIMARY KEY("grain","store_id","period")
);
--> statement-breakpoint
CREATE TABLE "rollup_customers" (
	"grain" char(1) NOT NULL,
	"period" date NOT NULL,
	"store_id" integer NOT NULL,
	"customer_id" integer NOT NULL,
	"orders" integer NOT NULL,
	CONSTRAINT "rollup_customers_pkey" PRIMARY KEY("grain","store_id","period","customer_id"),
	CONSTRAINT "rollup_customers_grain_check" CHECK ("rollup_customers"."grain" in ('D','M','Y'))
);
--> statement-breakpoint
CREATE TABLE "rollup_low_stock" (
	"store_id" integer NOT NULL,
	"product_id" integer NOT NULL,
	"bucket" integer NOT NULL,
	"on_hand" integer NOT NULL,
	"reserved" integer NOT NULL,
	"reorder_point" integer NOT NULL,
	"shortfall" integer NOT NULL,
	CONSTRAINT "rollup_low_stock_pkey" PRIMARY KEY("store_id","product_id")
);
--> statement-breakpoint
CREATE TABLE "rollup_product_sales" (
	"grain" char(1) NOT NULL,
	"period" date NOT NULL,
	"store_id" integer NOT NULL,
	"product_id" integer NOT NULL,
	"orders" integer NOT NULL,
	"units" bigint NOT NULL,
	"revenue" numeric(16, 2) NOT NULL,
	CONSTRAINT "rollup_product_sales_pkey" PRIMARY KEY("grain","store_id","period","product_id"),
	CONSTRAINT "rollup_product_sales_grain_check" CHECK ("rollup_product_sales"."grain" in ('D','M','Y'))
);
--> statement-breakpoint
CREATE TABLE "rollup_products" (
	"bucket" integer PRIMARY KEY NOT NULL,
	"active_products" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "rollup_sales" (
	"grain" char(1) NOT NULL,
	"period" date NOT NULL,
	"store_id" integer NOT NULL,
	"order_status" text NOT NULL,
	"orders" integer NOT NULL,
	"units" bigint NOT NULL,
	"revenue" numeric(16, 2) NOT NULL,
	CONSTRAINT "rollup_sales_pkey" PRIMARY KEY("grain","store_id","period","order_status"),
	CONSTRAINT "rollup_sales_grain_check" CHECK ("rollup_sales"."grain" in ('D','M','Y'))
);
--> statement-breakpoint
CREATE TABLE "rollup_shipments" (
	"grain" char(1) NOT NULL,
	"period" date NOT NULL,
	"store_id" integer NOT NULL,
	"shipment_status" text NOT NULL,
	"shipments" integer NOT NULL,
	CONSTRAINT "rollup_shipments_pkey" PRIMARY KEY("grain","store_id","period","shipment_status"),
	CONSTRAINT "rollup_shipments_grain_check" CHECK ("rollup_shipments"."grain" in ('D','M','Y'))
);
--> statement-breakpoint
CREATE TABLE "rollup_state" (
	"id" smallint PRIMARY KEY DEFAULT 1 NOT NULL,
	"time_zone" text NOT NULL,
	"watermark" timestamp with time zone NOT NULL,
	"max_order_id" bigint DEFAULT 0 NOT NULL,
	"max_shipment_id" integer DEFAULT 0 NOT NULL,
	"max_product_id" integer DEFAULT 0 NOT NULL,
	"refreshed_at" timestamp with time zone NOT NULL,
	"built_at" timestamp with time zone NOT NULL,
	CONSTRAINT "rollup_state_singleton" CHECK ("rollup_state"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE "rollup_stock" (
	"store_id" integer NOT NULL,
	"bucket" integer NOT NULL,
	"items" integer NOT NULL,
	"units" bigint NOT NULL,
	"value" numeric(18, 2) NOT NULL,
	"low_stock" integer NOT NULL,
	CONSTRAINT "rollup_stock_pkey" PRIMARY KEY("store_id","bucket")
);
--> statement-breakpoint
CREATE INDEX "rollup_low_stock_bucket_idx" ON "rollup_low_stock" USING btree ("store_id","bucket");--> statement-breakpoint
CREATE INDEX "rollup_low_stock_urgent_idx" ON "rollup_low_stock" USING btree ("shortfall" desc,"store_id","product_id");--> statement-breakpoint
CREATE INDEX "rollup_low_stock_store_urgent_idx" ON "rollup_low_stock" USING btree ("store_id","shortfall" desc,"product_id");--> statement-breakpoint
CREATE INDEX "rollup_product_sales_units_idx" ON "rollup_product_sales" USING btree ("grain","store_id","period","units" desc,"product_id") WHERE "rollup_product_sales"."grain" <> 'D';--> statement-breakpoint
CREATE INDEX "rollup_product_sales_revenue_idx" ON "rollup_product_sales" USING btree ("grain","store_id","period","revenue" desc,"product_id") WHERE "rollup_product_sales"."grain" <> 'D';--> statement-breakpoint
-- Change tracking for the report rollups (src/modules/reports/refresh.ts): each refresh reads
-- only the rows changed since its watermark.
CREATE INDEX "products_updated_idx" ON "products" USING btree ("updated_at");--> statement-breakpoint
CREATE INDEX "orders_updated_idx" ON "orders" USING btree ("updated_at");--> statement-breakpoint
CREATE INDEX "shipments_changed_idx" ON "shipments" USING btree (greatest("created_at", "shipped_at", "in_transit_at", "delivered_at"));--> statement-breakpoint
CREATE INDEX "inventory_updated_idx" ON "inventory" USING btree ("updated_at");