// Shipment reads: the list (keyset on created time, filters, viewer scope in SQL) and one
// shipment with its lines, order and customer.
import { sql, type SQL } from 'drizzle-orm';
import { queryRows, intArray, type Db } from '../../db/client.ts';
import { shipmentStatuses, type ShipmentStatus } from '../../db/schema/index.ts';
import type { CurrentUser } from '../../lib/access.ts';
import { planKeyset, toPage, allOf, listRows, likePattern, searchedNumber, type Keyset, type Page } from '../../lib/list.ts';

export interface ShipmentListRow {
  shipmentId: number; orderId: number; storeId: number; storeName: string; customerId: number; customerName: string;
  deliveryAddress: string; shipmentStatus: ShipmentStatus; createdAt: string; shippedAt: string | null;
  inTransitAt: string | null; deliveredAt: string | null; lines: number; units: number; version: number; sortKey: string;
}

/** `q` matches a shipment or order number, the customer's name or email, or the delivery address. */
export interface ShipmentFilters { status?: ShipmentStatus; storeId?: number; customerId?: number; orderId?: number; from?: string; to?: string; q?: string }

const keyset: Keyset<ShipmentListRow> = {
  sorts: {
    createdAt: { expr: sql`s.created_at`, type: 'timestamptz', value: (r) => r.sortKey },
    shipmentId: { expr: sql`s.shipment_id`, type: 'int', value: (r) => r.sortKey },
    status: { expr: sql`s.shipment_status`, type: 'text', value: (r) => r.sortKey },
  },
  defaultSort: 'createdAt',
  defaultOrder: 'desc',
  id: sql`s.shipment_id`,
  idOf: (r) => r.shipmentId,
};
export const SHIPMENT_SORTS = Object.keys(keyset.sorts);

/** Admins see every shipment, staff their stores', a customer their own. */
export function viewerScope(user: CurrentUser): SQL {
  if (user.role === 'customer') return sql`s.customer_id = ${user.customerId ?? -1}`;
  if (user.role === 'staff') return sql`s.store_id = any(${intArray(user.storeIds)})`;
  return sql`true`;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function parseShipmentFilters(raw: Record<string, unknown>): { filters: ShipmentFilters; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const filters: ShipmentFilters = {};
  const text = (k: string) => (typeof raw[k] === 'string' ? (raw[k] as string).trim() : raw[k] === undefined ? '' : String(raw[k]));
  const id = (k: keyof ShipmentFilters, label: string) => {
    const v = text(k);
    if (!v) return;
    if (!/^\d{1,10}$/.test(v) || Number(v) < 1 || Number(v) > 2147483647) errors[k] = `${label} must be a whole number.`;
    else (filters as Record<string, unknown>)[k] = Number(v);
  };
  const status = text('status');
  if (status) {
    if ((shipmentStatuses as readonly string[]).includes(status)) filters.status = status as ShipmentStatus;
    else errors.status = `Status must be one of ${shipmentStatuses.join(', ')}.`;
  }
  id('storeId', 'Store'); id('customerId', 'Customer'); id('orderId', 'Order');
  const q = text('q');
  if (q.length > 200) errors.q = 'Search for at most 200 characters.';
  else if (q) filters.q = q;
  for (const k of ['from', 'to'] as const) {
    const v = text(k);
    if (!v) continue;
    if (!DAY.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`))) errors[k] = 'Use a date like 2026-01-31.';
    else filters[k] = v;
  }
  if (filters.from && filters.to && filters.from > filters.to) errors.to = 'The end date is before the start date.';
  return { filters, errors };
}

function searchSql(q: string): SQL {
  const number = searchedNumber(q, 2147483647);
  const like = likePattern(q);
  // A number is a shipment or order number.
  if (number !== null) return sql`(s.shipment_id = ${number} or s.order_id = ${number})`;
  return sql`(c.full_name ilike ${like} or c.email_address ilike ${like} or s.delivery_address ilike ${like})`;
}

function filterSql(f: ShipmentFilters, timeZone: string): Array<SQL | undefined> {
  return [
    f.status ? sql`s.shipment_status = ${f.status}` : undefined,
    f.storeId ? sql`s.store_id = ${f.storeId}` : undefined,
    f.customerId ? sql`s.customer_id = ${f.customerId}` : undefined,
    f.orderId ? sql`s.order_id = ${f.orderId}` : undefined,
    f.q ? searchSql(f.q) : undefined,
    f.from ? sql`s.created_at >= (${f.from}::date)::timestamp at time zone ${timeZone}` : undefined,
    f.to ? sql`s.created_at < ((${f.to}::date) + 1)::timestamp at time zone ${timeZone}` : undefined,
  ];
}

export async function listShipments(db: Db, user: CurrentUser, filters: ShipmentFilters, params: { sort?: string; order?: 'asc' | 'desc'; cursor?: string; limit?: number }, timeZone: string): Promise<Page<ShipmentListRow> & { sort: string; order: 'asc' | 'desc' }> {
  const plan = planKeyset(keyset, params);
  const where = allOf(viewerScope(user), ...filterSql(filters, timeZone), plan.where) ?? sql`true`;
  const rows = await listRows<ShipmentListRow>(db, sql`
      select s.shipment_id as "shipmentId", s.order_id as "orderId", s.store_id as "storeId", st.store_name as "storeName",
        s.customer_id as "customerId", c.full_name as "customerName", s.delivery_address as "deliveryAddress",
        s.shipment_status as "shipmentStatus", s.created_at as "createdAt", s.shipped_at as "shippedAt",
        s.in_transit_at as "inTransitAt", s.delivered_at as "deliveredAt", s.version,
        (select count(*)::int from order_items i where i.shipment_id = s.shipment_id) as lines,
        (select coalesce(sum(i.quantity), 0)::int from order_items i where i.shipment_id = s.shipment_id) as units,
        (${keyset.sorts[plan.sort]!.expr})::text as "sortKey"
      from shipments s join stores st on st.store_id = s.store_id join customers c on c.customer_id = s.customer_id
      where ${where}
      order by ${sql.join(plan.orderBy, sql`, `)} limit ${plan.limit}`, params.cursor);
  return { ...toPage(keyset, plan, rows, !!params.cursor), sort: plan.sort, order: plan.order };
}

export interface ShipmentDetail extends Omit<ShipmentListRow, 'sortKey'> {
  customerEmail: string; storePhysicalAddress: string | null; storeWebAddress: string | null; orderStatus: string; orderVersion: number;
  items: Array<{ lineItemId: number; productId: number; sku: string; productName: string; quantity: number; unitPrice: string }>;
}

/** One shipment as the viewer may see it, or null (missing or out of scope). */
export async function getShipment(db: Db, user: CurrentUser, shipmentId: number): Promise<ShipmentDetail | null> {
  const rows = await queryRows<Omit<ShipmentDetail, 'items'>>(db, sql`
    select s.shipment_id as "shipmentId", s.order_id as "orderId", s.store_id as "storeId", st.store_name as "storeName",
      st.physical_address as "storePhysicalAddress", st.web_address as "storeWebAddress",
      s.customer_id as "customerId", c.full_name as "customerName", c.email_address as "customerEmail",
      s.delivery_address as "deliveryAddress", s.shipment_status as "shipmentStatus", s.created_at as "createdAt",
      s.shipped_at as "shippedAt", s.in_transit_at as "inTransitAt", s.delivered_at as "deliveredAt", s.version,
      o.order_status as "orderStatus", o.version as "orderVersion", 0 as lines, 0 as units
    from shipments s join stores st on st.store_id = s.store_id join customers c on c.customer_id = s.customer_id
      join orders o on o.order_id = s.order_id
    where s.shipment_id = ${shipmentId} and ${viewerScope(user)}`);
  const head = rows[0];
  if (!head) return null;
  const items = await queryRows<ShipmentDetail['items'][number]>(db, sql`
    select i.line_item_id as "lineItemId", i.product_id as "productId", p.sku, p.product_name as "productName", i.quantity, i.unit_price as "unitPrice"
    from order_items i join products p on p.product_id = i.product_id
    where i.shipment_id = ${shipmentId} order by i.line_item_id`);
  return { ...head, items, lines: items.length, units: items.reduce((n, i) => n + i.quantity, 0) };
}

/** Whether the shipment exists at all (to tell 403 from 404 for staff of another store). */
export async function shipmentStore(db: Db, shipmentId: number): Promise<number | null> {
  const rows = await queryRows<{ storeId: number }>(db, sql`select store_id as "storeId" from shipments where shipment_id = ${shipmentId}`);
  return rows[0]?.storeId ?? null;
}
