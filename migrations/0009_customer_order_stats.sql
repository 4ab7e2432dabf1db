-- The order counters of migration 0007 move from customers to a table of their own. Every order
-- updates its customer's counters; on customers that update was never HOT (the counters are
-- indexed), so each order added entries to all eight of customers' indexes, two of them trigram
-- indexes whose pending lists every customer search then had to read (+4 ms a search after a
-- busy hour). customer_order_stats has three small indexes. Each customer has a row (made by a
-- trigger when the customer is), so the list can walk the counters' indexes for every customer.
-- Counts are taken again from the orders. The locks keep orders and customers from changing
-- between the count and the triggers; the whole migration commits at once.
LOCK TABLE "customers", "orders" IN SHARE ROW EXCLUSIVE MODE;--> statement-breakpoint
CREATE TABLE "customer_order_stats" (
	"customer_id" integer PRIMARY KEY NOT NULL,
	"order_count" integer DEFAULT 0 NOT NULL,
	"last_order_at" timestamp with time zone
);
--> statement-breakpoint
INSERT INTO "customer_order_stats" ("customer_id", "order_count", "last_order_at")
  SELECT c.customer_id, coalesce(o.orders, 0), o.latest FROM customers c
  LEFT JOIN (SELECT customer_id, count(*)::int AS orders, max(order_tms) AS latest FROM orders GROUP BY customer_id) o
    ON o.customer_id = c.customer_id;--> statement-breakpoint
ALTER TABLE "customer_order_stats" ADD CONSTRAINT "customer_order_stats_customer_id_customers_customer_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("customer_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "customer_order_stats_count_idx" ON "customer_order_stats" USING btree ("order_count","customer_id");--> statement-breakpoint
CREATE INDEX "customer_order_stats_last_idx" ON "customer_order_stats" USING btree (coalesce("last_order_at", '-infinity'::timestamptz),"customer_id");--> statement-breakpoint
-- New customers start at no orders, one statement at a time (an import adds thousands at once).
CREATE FUNCTION customers_add_order_stats() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO customer_order_stats (customer_id) SELECT customer_id FROM new_customers ON CONFLICT DO NOTHING;
  RETURN NULL;
END;
$$;--> statement-breakpoint
CREATE TRIGGER customers_order_stats_insert AFTER INSERT ON customers
  REFERENCING NEW TABLE AS new_customers
  FOR EACH STATEMENT EXECUTE FUNCTION customers_add_order_stats();--> statement-breakpoint
-- The triggers on orders of migration 0007 stay; their functions now write the new table. New
-- orders: one upsert per statement and customer.
CREATE OR REPLACE FUNCTION customers_count_new_orders() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO customer_order_stats AS s (customer_id, order_count, last_order_at)
    SELECT customer_id, count(*)::int, max(order_tms) FROM new_orders GROUP BY customer_id
  ON CONFLICT (customer_id) DO UPDATE
    SET order_count = s.order_count + excluded.order_count, last_order_at = greatest(s.last_order_at, excluded.last_order_at);
  RETURN NULL;
END;
$$;--> statement-breakpoint
CREATE OR REPLACE FUNCTION customers_recount_orders(ids integer[]) RETURNS void LANGUAGE sql AS $$
  UPDATE customer_order_stats s SET
    order_count = (SELECT count(*)::int FROM orders o WHERE o.customer_id = s.customer_id),
    last_order_at = (SELECT max(o.order_tms) FROM orders o WHERE o.customer_id = s.customer_id)
  WHERE s.customer_id = ANY (ids);
$$;--> statement-breakpoint
ALTER TABLE "customers" DROP COLUMN "order_count";--> statement-breakpoint
ALTER TABLE "customers" DROP COLUMN "last_order_at";
