// One order with everything its page, invoice and API answer show: header (customer, store,
// total), lines, status history and shipments. Four queries, whatever the number of lines.
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../db/client.ts';
import type { OrderStatus } from '../../db/schema/index.ts';
import type { CurrentUser } from '../../lib/access.ts';
import { notFound } from '../../lib/errors.ts';
import { allowedActions, assertOrderAccess, type OrderAction } from './lifecycle.ts';
import type { OrderLine } from './place.ts';

export interface OrderHeader {
  orderId: number;
  orderTimestamp: Date;
  orderStatus: OrderStatus;
  version: number;
  customerId: number;
  customerName: string;
  emailAddress: string;
  storeId: number;
  storeName: string;
  storeAddress: string | null;
  storeWeb: string | null;
  createdByEmail: string | null;
  total: string;
  units: number;
}

export interface DetailLine extends OrderLine { shipmentStatus: string | null }

export interface OrderEventRow { eventId: number; fromStatus: OrderStatus | null; toStatus: OrderStatus; actorEmail: string | null; note: string | null; createdAt: Date }

export interface OrderShipmentRow { shipmentId: number; shipmentStatus: string; deliveryAddress: string; createdAt: Date; lineItemIds: number[] }

export interface OrderDetail {
  order: OrderHeader;
  lines: DetailLine[];
  events: OrderEventRow[];
  shipments: OrderShipmentRow[];
  /** Exactly what the lifecycle allows this user now (the page shows these and nothing else). */
  actions: OrderAction[];
  /** Lines not in any shipment yet. */
  unshipped: DetailLine[];
  /** False for a customer: events carry no actor and no note, the header no creator. */
  internal: boolean;
}

/** The order if the user may see it: 404 when it does not exist (or is another customer's),
 * 403 for staff of another store. */
export async function loadOrderDetail(db: Db, orderId: number, user: CurrentUser): Promise<OrderDetail> {
  const [header] = await queryRows<OrderHeader>(db, sql`
    select o.order_id as "orderId", o.order_tms as "orderTimestamp", o.order_status as "orderStatus", o.version,
      o.customer_id as "customerId", c.full_name as "customerName", c.email_address as "emailAddress",
      o.store_id as "storeId", st.store_name as "storeName", st.physical_address as "storeAddress", st.web_address as "storeWeb",
      u.email as "createdByEmail",
      (select coalesce(sum(i.quantity * i.unit_price), 0)::numeric(14,2)::text from order_items i where i.order_id = o.order_id) as total,
      (select coalesce(sum(i.quantity), 0)::int from order_items i where i.order_id = o.order_id) as units
    from orders o
    join customers c on c.customer_id = o.customer_id
    join stores st on st.store_id = o.store_id
    left join users u on u.user_id = o.created_by
    where o.order_id = ${orderId}`);
  if (!header) throw notFound(`Order #${orderId}`);
  const order: OrderHeader = {
    ...header, orderId: Number(header.orderId), customerId: Number(header.customerId), storeId: Number(header.storeId),
    version: Number(header.version), units: Number(header.units), orderTimestamp: new Date(header.orderTimestamp),
  };
  assertOrderAccess(order, user);

  const [lines, events, shipments] = await Promise.all([
    queryRows<DetailLine>(db, sql`
      select i.line_item_id as "lineItemId", i.product_id as "productId", p.product_name as "productName", p.sku,
        i.unit_price::text as "unitPrice", i.quantity, i.returned_quantity as "returnedQuantity", i.shipment_id as "shipmentId",
        (i.quantity * i.unit_price)::numeric(12,2)::text as "lineTotal", sh.shipment_status as "shipmentStatus"
      from order_items i
      join products p on p.product_id = i.product_id
      left join shipments sh on sh.shipment_id = i.shipment_id
      where i.order_id = ${orderId}
      order by i.line_item_id`),
    queryRows<OrderEventRow>(db, sql`
      select e.event_id as "eventId", e.from_status as "fromStatus", e.to_status as "toStatus", u.email as "actorEmail",
        e.note, e.created_at as "createdAt"
      from order_events e left join users u on u.user_id = e.actor_id
      where e.order_id = ${orderId}
      order by e.event_id`),
    queryRows<OrderShipmentRow>(db, sql`
      select sh.shipment_id as "shipmentId", sh.shipment_status as "shipmentStatus", sh.delivery_address as "deliveryAddress",
        sh.created_at as "createdAt",
        coalesce((select array_agg(i.line_item_id order by i.line_item_id) from order_items i where i.order_id = sh.order_id and i.shipment_id = sh.shipment_id), '{}') as "lineItemIds"
      from shipments sh
      where sh.order_id = ${orderId}
      order by sh.shipment_id`),
  ]);
  // Customers see their order's history as the storefront shows it: statuses and times. Who on
  // the staff acted, and the notes staff typed, stay internal (no staff email leaves for a
  // customer's eyes, whatever page or API answer is built from this detail).
  const internal = user.role !== 'customer';
  if (!internal) order.createdByEmail = null;
  const detailLines = lines.map((l) => ({
    ...l, lineItemId: Number(l.lineItemId), productId: Number(l.productId), quantity: Number(l.quantity),
    returnedQuantity: Number(l.returnedQuantity), shipmentId: l.shipmentId === null ? null : Number(l.shipmentId),
  }));
  return {
    order,
    lines: detailLines,
    events: events.map((e) => ({
      ...e, eventId: Number(e.eventId), createdAt: new Date(e.createdAt),
      actorEmail: internal ? e.actorEmail : null, note: internal ? e.note : null,
    })),
    shipments: shipments.map((s) => ({ ...s, shipmentId: Number(s.shipmentId), createdAt: new Date(s.createdAt), lineItemIds: parseIntArray(s.lineItemIds) })),
    actions: allowedActions(order.orderStatus, user),
    unshipped: detailLines.filter((l) => l.shipmentId === null),
    internal,
  };
}

/** int[] arrives as an array from pg and PGlite, but as '{1,2}' text if a driver does not parse it. */
function parseIntArray(v: unknown): number[] {
  if (Array.isArray(v)) return v.map(Number);
  if (typeof v === 'string') return v.replace(/[{}]/g, '').split(',').filter(Boolean).map(Number);
  return [];
}

/** The detail as the API answers it. */
export function apiOrder(d: OrderDetail) {
  const o = d.order;
  return {
    orderId: o.orderId, orderStatus: o.orderStatus, orderTimestamp: o.orderTimestamp.toISOString(),
    customerId: o.customerId, customerName: o.customerName, emailAddress: o.emailAddress,
    storeId: o.storeId, storeName: o.storeName, total: o.total, version: o.version,
    items: d.lines.map(({ shipmentStatus: _s, ...l }) => l),
    allowedActions: d.actions,
    events: d.events.map((e) => (d.internal
      ? { fromStatus: e.fromStatus, toStatus: e.toStatus, actor: e.actorEmail, note: e.note, createdAt: e.createdAt.toISOString() }
      : { fromStatus: e.fromStatus, toStatus: e.toStatus, createdAt: e.createdAt.toISOString() })),
    shipments: d.shipments.map((s) => ({ shipmentId: s.shipmentId, shipmentStatus: s.shipmentStatus, deliveryAddress: s.deliveryAddress, createdAt: s.createdAt.toISOString(), lineItemIds: s.lineItemIds })),
  };
}
