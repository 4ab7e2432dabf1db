// Order shapes for HTTP: the list query (page and API take the same parameters), the API bodies
// and answers. Field names follow SPEC.md (camelCase, money as decimal strings).
import Type, { type Static, type TSchema } from 'typebox';
import { ApiListQuery } from '../../lib/schemas.ts';
import { orderStatuses } from '../../db/schema/index.ts';
import { MAX_LINES, MAX_QUANTITY } from './place.ts';

/** Sortable fields of the order list, named as in the API. */
export const ORDER_SORTS = ['orderTimestamp', 'orderId', 'total', 'orderStatus', 'customerName', 'storeName'] as const;
export type OrderSort = (typeof ORDER_SORTS)[number];
/** Short names people type in an address bar (`?sort=date`), mapped to the field names. */
export const SORT_ALIASES: Record<string, OrderSort> = {
  date: 'orderTimestamp', id: 'orderId', status: 'orderStatus', customer: 'customerName', store: 'storeName',
};

const Id = Type.Integer({ minimum: 1, maximum: 2147483647 });
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Timestamp = Type.String({ format: 'date-time' });
const Money = Type.String({ description: 'Decimal string, e.g. "19.99"' });

/** The back-office list page: every value arrives as text from a GET form, empty fields
 * included, so the page reads strings and parseOrderFilters() converts them with messages. */
export const OrderPageQuery = Type.Object({
  status: Type.Optional(Type.String({ maxLength: 20 })),
  storeId: Type.Optional(Type.String({ maxLength: 12 })),
  customerId: Type.Optional(Type.String({ maxLength: 12 })),
  customer: Type.Optional(Type.String({ maxLength: 254 })),
  from: Type.Optional(Type.String({ maxLength: 10 })),
  to: Type.Optional(Type.String({ maxLength: 10 })),
  q: Type.Optional(Type.String({ maxLength: 200 })),
  sort: Type.Optional(Type.String({ maxLength: 40 })),
  order: Type.Optional(Type.String({ maxLength: 4 })),
  cursor: Type.Optional(Type.String({ maxLength: 500 })),
  limit: Type.Optional(Type.String({ maxLength: 4 })),
  format: Type.Optional(Type.String({ maxLength: 10 })),
});
export type OrderPageQuery = Static<typeof OrderPageQuery>;

export const OrderApiListQuery = Type.Object({
  ...ApiListQuery,
  q: Type.Optional(Type.String({ maxLength: 200, description: 'An order id (digits, optionally with #); any other text searches customer names and emails.' })),
  sort: Type.Optional(Type.Union([...ORDER_SORTS, ...Object.keys(SORT_ALIASES)].map((s) => Type.Literal(s)), { description: 'Default orderTimestamp, newest first.' })),
  status: Type.Optional(Type.Union(orderStatuses.map((s) => Type.Literal(s)))),
  storeId: Type.Optional(Id),
  customerId: Type.Optional(Id),
  from: Type.Optional(Type.String({ format: 'date', description: 'First day (YYYY-MM-DD, inclusive) in the server time zone.' })),
  to: Type.Optional(Type.String({ format: 'date', description: 'Last day (YYYY-MM-DD, inclusive) in the server time zone.' })),
});
export type OrderApiListQuery = Static<typeof OrderApiListQuery>;

export const OrderSummary = Type.Object({
  orderId: Type.Integer(),
  orderTimestamp: Timestamp,
  orderStatus: Type.String(),
  customerId: Type.Integer(),
  customerName: Type.String(),
  storeId: Type.Integer(),
  storeName: Type.String(),
  total: Money,
  version: Type.Integer(),
}, { title: 'OrderSummary' });

export const OrderItem = Type.Object({
  lineItemId: Type.Integer(),
  productId: Type.Integer(),
  productName: Type.String(),
  sku: Type.String(),
  unitPrice: Money,
  quantity: Type.Integer(),
  returnedQuantity: Type.Integer(),
  shipmentId: Nullable(Type.Integer()),
  lineTotal: Money,
}, { title: 'OrderItem' });

/** The answer of POST /orders (SPEC: 201 with the placed order). */
export const PlacedOrderBody = Type.Object({
  orderId: Type.Integer(),
  orderStatus: Type.String(),
  orderTimestamp: Timestamp,
  customerId: Type.Integer(),
  storeId: Type.Integer(),
  items: Type.Array(OrderItem),
  total: Money,
  version: Type.Integer(),
}, { title: 'PlacedOrder' });

export const OrderEventBody = Type.Object({
  fromStatus: Nullable(Type.String()),
  toStatus: Type.String(),
  actor: Type.Optional(Nullable(Type.String({ description: 'Email of who did it; null for the system. Absent for customers.' }))),
  note: Type.Optional(Nullable(Type.String({ description: 'What staff typed, with the restock detail of a refund. Absent for customers.' }))),
  createdAt: Timestamp,
}, { title: 'OrderEvent' });

export const OrderShipmentBody = Type.Object({
  shipmentId: Type.Integer(),
  shipmentStatus: Type.String(),
  deliveryAddress: Type.String(),
  createdAt: Timestamp,
  lineItemIds: Type.Array(Type.Integer()),
}, { title: 'OrderShipment' });

export const OrderDetailBody = Type.Object({
  orderId: Type.Integer(),
  orderStatus: Type.String(),
  orderTimestamp: Timestamp,
  customerId: Type.Integer(),
  customerName: Type.String(),
  emailAddress: Type.String(),
  storeId: Type.Integer(),
  storeName: Type.String(),
  items: Type.Array(OrderItem),
  total: Money,
  version: Type.Integer({ description: 'Send it back with actions (optimistic locking).' }),
  allowedActions: Type.Array(Type.String(), { description: 'What the caller may do now (POST /orders/{id}/actions/{action}).' }),
  events: Type.Array(OrderEventBody),
  shipments: Type.Array(OrderShipmentBody),
}, { title: 'Order' });

export const PlaceOrderBody = Type.Object({
  customerId: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647, description: 'Required for staff and admins; customers may omit it (their own).' })),
  storeId: Id,
  // Quantities are numbers here, not integers: a fractional or zero quantity gets the same
  // 422 with a per-line message as every other bad line (placeOrder checks them).
  items: Type.Array(Type.Object({
    productId: Type.Integer({ minimum: -2147483648, maximum: 2147483647 }),
    quantity: Type.Number({ minimum: -1e9, maximum: 1e9 }),
  }, { additionalProperties: false }), { maxItems: MAX_LINES * 2 }),
}, { additionalProperties: false, title: 'PlaceOrder' });
export type PlaceOrderBody = Static<typeof PlaceOrderBody>;

export const API_ACTIONS = ['pay', 'cancel', 'refund'] as const;
export const ActionParams = Type.Object({
  id: Type.Integer({ minimum: 1, maximum: 9007199254740991 }),
  action: Type.Union(API_ACTIONS.map((a) => Type.Literal(a))),
});

export const ActionBody = Type.Object({
  version: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647, description: 'The version you based the action on; a different current version answers 409.' })),
  note: Type.Optional(Type.String({ maxLength: 500 })),
  returns: Type.Optional(Type.Array(Type.Object({
    lineItemId: Type.Integer({ minimum: 1, maximum: 2147483647 }),
    quantity: Type.Integer({ minimum: 0, maximum: MAX_QUANTITY }),
  }, { additionalProperties: false }), { maxItems: MAX_LINES, description: 'Refunds: units of each line that go back on hand (default none).' })),
}, { additionalProperties: false, title: 'OrderAction' });
export type ActionBody = Static<typeof ActionBody>;

export const OrderIdParam = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 9007199254740991 }) });

/** 409 of an action: the usual error and the order as it is now. */
export const OrderConflictBody = Type.Object({
  status: Type.Integer(),
  message: Type.String(),
  errors: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }))),
  current: Type.Optional(OrderDetailBody),
}, { title: 'OrderConflict' });
