// A customer's orders and shipments (the detail page's lists and their API twins), limited to the
// viewer's stores in SQL like every order and shipment figure.
import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { planKeyset, toPage, allOf, likePattern, searchedNumber, listRows, type Keyset, type Page } from '../../lib/list.ts';
import { col, inScope, type Keyed, type OrderScope } from './repository.ts';

export interface CustomerOrderRow { orderId: number; orderTimestamp: Date; orderStatus: string; storeId: number; storeName: string; total: string }
export interface CustomerShipmentRow { shipmentId: number; orderId: number; storeId: number; storeName: string; deliveryAddress: string; shipmentStatus: string; createdAt: Date }
/** `q` on a customer's orders: an order number, or a product's SKU or name on one of its lines. */
export interface SubListParams { sort?: string; order?: 'asc' | 'desc'; cursor?: string; limit?: number; status?: string; q?: string }

const ordersKeyset: Keyset<Keyed<CustomerOrderRow>> = {
  sorts: {
    orderTimestamp: col(sql`o.order_tms`, 'timestamptz'),
    orderId: col(sql`o.order_id`, 'numeric'),
    orderStatus: col(sql`o.order_status`, 'text'),
    total: col(sql`t.total`, 'numeric'),
  },
  defaultSort: 'orderTimestamp',
  defaultOrder: 'desc',
  id: sql`o.order_id`,
  idOf: (r) => r.orderId,
};
export const CUSTOMER_ORDER_SORTS = Object.keys(ordersKeyset.sorts);

function orderSearch(q: string): SQL {
  const number = searchedNumber(q, Number.MAX_SAFE_INTEGER);
  // A number is an order number (searching SKUs for "12" would match nearly every order).
  if (number !== null) return sql`o.order_id = ${number}::bigint`;
  return sql`exists (select 1 from order_items i join products p on p.product_id = i.product_id
    where i.order_id = o.order_id and (p.sku ilike ${likePattern(q)} or p.product_name ilike ${likePattern(q)}))`;
}

export async function customerOrders(db: Db, customerId: number, scope: OrderScope, params: SubListParams): Promise<Page<CustomerOrderRow>> {
  const plan = planKeyset(ordersKeyset, params);
  const where = allOf(sql`o.customer_id = ${customerId}`, inScope(sql`o.store_id`, scope),
    params.status ? sql`o.order_status = ${params.status}` : undefined, params.q?.trim() ? orderSearch(params.q.trim()) : undefined, plan.where);
  const rows = await listRows<Keyed<CustomerOrderRow>>(db, sql`
    select o.order_id as "orderId", o.order_tms as "orderTimestamp", o.order_status as "orderStatus",
      o.store_id as "storeId", st.store_name as "storeName", t.total::text as total,
      (${ordersKeyset.sorts[plan.sort]!.expr})::text as "sortKey"
    from orders o
    join stores st on st.store_id = o.store_id
    cross join lateral (select coalesce(sum(i.unit_price * i.quantity), 0)::numeric(14,2) as total
      from order_items i where i.order_id = o.order_id) t
    where ${where}
    order by ${sql.join(plan.orderBy, sql`, `)}
    limit ${plan.limit}`, params.cursor);
  const items = rows.map((r) => ({ ...r, orderId: Number(r.orderId), storeId: Number(r.storeId), orderTimestamp: new Date(r.orderTimestamp) }));
  return toPage(ordersKeyset, plan, items, !!params.cursor);
}

const shipmentsKeyset: Keyset<Keyed<CustomerShipmentRow>> = {
  sorts: {
    createdAt: col(sql`sh.created_at`, 'timestamptz'),
    shipmentId: col(sql`sh.shipment_id`, 'int'),
    shipmentStatus: col(sql`sh.shipment_status`, 'text'),
  },
  defaultSort: 'createdAt',
  defaultOrder: 'desc',
  id: sql`sh.shipment_id`,
  idOf: (r) => r.shipmentId,
};
export const CUSTOMER_SHIPMENT_SORTS = Object.keys(shipmentsKeyset.sorts);

export async function customerShipments(db: Db, customerId: number, scope: OrderScope, params: SubListParams): Promise<Page<CustomerShipmentRow>> {
  const plan = planKeyset(shipmentsKeyset, params);
  const where = allOf(sql`sh.customer_id = ${customerId}`, inScope(sql`sh.store_id`, scope),
    params.status ? sql`sh.shipment_status = ${params.status}` : undefined, plan.where);
  const rows = await listRows<Keyed<CustomerShipmentRow>>(db, sql`
    select sh.shipment_id as "shipmentId", sh.order_id as "orderId", sh.store_id as "storeId", st.store_name as "storeName",
      sh.delivery_address as "deliveryAddress", sh.shipment_status as "shipmentStatus", sh.created_at as "createdAt",
      (${shipmentsKeyset.sorts[plan.sort]!.expr})::text as "sortKey"
    from shipments sh
    join stores st on st.store_id = sh.store_id
    where ${where}
    order by ${sql.join(plan.orderBy, sql`, `)}
    limit ${plan.limit}`, params.cursor);
  const items = rows.map((r) => ({ ...r, shipmentId: Number(r.shipmentId), orderId: Number(r.orderId), storeId: Number(r.storeId), createdAt: new Date(r.createdAt) }));
  return toPage(shipmentsKeyset, plan, items, !!params.cursor);
}
