// Storefront reads: the catalogue of active products with what one store has available, the
// products in a cart, and a customer's own orders. Customers only ever reach their own rows:
// every order query here is filtered by the signed-in customer's id in SQL.
import { sql } from 'drizzle-orm';
import { queryRows, intArray, type Db } from '../../db/client.ts';
import { filterChoices } from '../products/facets.ts';
import { planKeyset, toPage, allOf, likePattern, type Keyset, type Page } from '../../lib/list.ts';

export interface CatalogueRow { productId: number; sku: string; productName: string; brand: string | null; colour: string | null; size: string | null; rating: number | null; unitPrice: string; available: number; sortKey: string }
export interface CatalogueFilters { q?: string; brand?: string; colour?: string; size?: string; minPrice?: string; maxPrice?: string; inStock?: boolean }

const keyset: Keyset<CatalogueRow> = {
  sorts: {
    name: { expr: sql`p.product_name`, type: 'text', value: (r) => r.sortKey },
    price: { expr: sql`p.unit_price`, type: 'numeric', value: (r) => r.sortKey },
    rating: { expr: sql`coalesce(p.rating, 0)`, type: 'int', value: (r) => r.sortKey },
  },
  defaultSort: 'name',
  defaultOrder: 'asc',
  id: sql`p.product_id`,
  idOf: (r) => r.productId,
};
export const CATALOGUE_SORTS = Object.keys(keyset.sorts);

export async function listStores(db: Db) {
  return queryRows<{ storeId: number; storeName: string; webAddress: string | null; physicalAddress: string | null }>(db,
    sql`select store_id as "storeId", store_name as "storeName", web_address as "webAddress", physical_address as "physicalAddress" from stores order by store_name`);
}

export async function catalogue(db: Db, storeId: number, f: CatalogueFilters, params: { sort?: string; order?: 'asc' | 'desc'; cursor?: string; limit?: number }): Promise<Page<CatalogueRow> & { sort: string; order: 'asc' | 'desc' }> {
  const plan = planKeyset(keyset, { ...params, limit: params.limit ?? 24 });
  const where = allOf(
    sql`p.active`,
    f.q ? sql`(p.product_name ilike ${likePattern(f.q)} or p.sku ilike ${likePattern(f.q)})` : undefined,
    f.brand ? sql`p.brand = ${f.brand}` : undefined,
    f.colour ? sql`p.colour = ${f.colour}` : undefined,
    f.size ? sql`p.size = ${f.size}` : undefined,
    f.minPrice ? sql`p.unit_price >= ${f.minPrice}::numeric` : undefined,
    f.maxPrice ? sql`p.unit_price <= ${f.maxPrice}::numeric` : undefined,
    f.inStock ? sql`coalesce(i.on_hand - i.reserved, 0) > 0` : undefined,
    plan.where,
  );
  const rows = await queryRows<CatalogueRow>(db, sql`
    select p.product_id as "productId", p.sku, p.product_name as "productName", p.brand, p.colour, p.size, p.rating,
      p.unit_price as "unitPrice", coalesce(i.on_hand - i.reserved, 0)::int as available, (${keyset.sorts[plan.sort]!.expr})::text as "sortKey"
    from products p left join inventory i on i.product_id = p.product_id and i.store_id = ${storeId}
    where ${where} order by ${sql.join(plan.orderBy, sql`, `)} limit ${plan.limit}`);
  return { ...toPage(keyset, plan, rows, !!params.cursor), sort: plan.sort, order: plan.order };
}

/** Distinct values of the active products for the filter selects (remembered per catalogue
 * version: see products/facets.ts). */
export const facets = (db: Db) => filterChoices(db, true);

export interface CartLine { productId: number; sku: string; productName: string; unitPrice: string; active: boolean; available: number; quantity: number; lineTotal: string }

/** The cart's products with prices and availability; totals computed in SQL. */
export async function cartLines(db: Db, storeId: number, cart: Record<string, number>): Promise<{ lines: CartLine[]; total: string }> {
  const ids = Object.keys(cart).map(Number).filter((n) => Number.isSafeInteger(n) && n > 0);
  if (!ids.length) return { lines: [], total: '0.00' };
  const qty = ids.map((id) => Math.max(0, Math.trunc(cart[String(id)] ?? 0)));
  const lines = await queryRows<CartLine>(db, sql`
    select p.product_id as "productId", p.sku, p.product_name as "productName", p.unit_price as "unitPrice", p.active,
      coalesce(i.on_hand - i.reserved, 0)::int as available, c.quantity,
      (p.unit_price * c.quantity)::numeric(12,2)::text as "lineTotal"
    from unnest(${intArray(ids)}, ${intArray(qty)}) as c(product_id, quantity)
      join products p on p.product_id = c.product_id
      left join inventory i on i.product_id = p.product_id and i.store_id = ${storeId}
    order by p.product_name, p.product_id`);
  const [t] = await queryRows<{ total: string }>(db, sql`select coalesce(sum(p.unit_price * c.quantity), 0)::numeric(12,2)::text as total
    from unnest(${intArray(ids)}, ${intArray(qty)}) as c(product_id, quantity) join products p on p.product_id = c.product_id`);
  return { lines, total: t!.total };
}

export interface MyOrder { orderId: number; orderTimestamp: string; orderStatus: string; storeName: string; total: string; units: number; version: number }

export async function myOrders(db: Db, customerId: number, limit = 50): Promise<MyOrder[]> {
  return queryRows<MyOrder>(db, sql`
    select o.order_id as "orderId", o.order_tms as "orderTimestamp", o.order_status as "orderStatus", s.store_name as "storeName", o.version,
      (select coalesce(sum(i.quantity * i.unit_price), 0)::numeric(12,2)::text from order_items i where i.order_id = o.order_id) as total,
      (select coalesce(sum(i.quantity), 0)::int from order_items i where i.order_id = o.order_id) as units
    from orders o join stores s on s.store_id = o.store_id
    where o.customer_id = ${customerId} order by o.order_tms desc, o.order_id desc limit ${limit}`);
}

export async function myOrder(db: Db, customerId: number, orderId: number) {
  const [order] = await queryRows<MyOrder & { storeId: number }>(db, sql`
    select o.order_id as "orderId", o.order_tms as "orderTimestamp", o.order_status as "orderStatus", o.store_id as "storeId", s.store_name as "storeName", o.version,
      (select coalesce(sum(i.quantity * i.unit_price), 0)::numeric(12,2)::text from order_items i where i.order_id = o.order_id) as total, 0 as units
    from orders o join stores s on s.store_id = o.store_id where o.order_id = ${orderId} and o.customer_id = ${customerId}`);
  if (!order) return null;
  const [lines, shipments, events] = await Promise.all([
    queryRows<{ lineItemId: number; productName: string; sku: string; unitPrice: string; quantity: number; returnedQuantity: number; shipmentId: number | null; lineTotal: string }>(db, sql`
      select i.line_item_id as "lineItemId", p.product_name as "productName", p.sku, i.unit_price as "unitPrice", i.quantity,
        i.returned_quantity as "returnedQuantity", i.shipment_id as "shipmentId", (i.quantity * i.unit_price)::numeric(12,2)::text as "lineTotal"
      from order_items i join products p on p.product_id = i.product_id where i.order_id = ${orderId} order by i.line_item_id`),
    queryRows<{ shipmentId: number; shipmentStatus: string; deliveryAddress: string; createdAt: string; shippedAt: string | null; deliveredAt: string | null }>(db, sql`
      select shipment_id as "shipmentId", shipment_status as "shipmentStatus", delivery_address as "deliveryAddress", created_at as "createdAt",
        shipped_at as "shippedAt", delivered_at as "deliveredAt"
      from shipments where order_id = ${orderId} and customer_id = ${customerId} order by shipment_id`),
    queryRows<{ toStatus: string; createdAt: string }>(db, sql`
      select to_status as "toStatus", created_at as "createdAt" from order_events where order_id = ${orderId} order by event_id`),
  ]);
  return { ...order, lines, shipments, events };
}
