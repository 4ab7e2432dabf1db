// TypeBox shapes of the inventory API, so the OpenAPI document describes exactly what the
// routes validate and answer. Bodies are strict (no coercion, no unknown fields).
import Type from 'typebox';
import { ApiListQuery } from '../../lib/schemas.ts';
import { adjustmentReasons, IdSchema, MAX_COUNT, MAX_MOVE, MAX_TRANSFER_LINES, MovementFilters, StockFilters } from './schema.ts';
import { movementKinds } from '../../db/schema/index.ts';

const Nullable = <T extends import('typebox').TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const InventoryItem = Type.Object({
  storeId: Type.Integer(), storeName: Type.String(), productId: Type.Integer(), sku: Type.String(), productName: Type.String(),
  onHand: Type.Integer(), reserved: Type.Integer(), available: Type.Integer(), reorderPoint: Type.Integer(),
  lastMovementAt: Nullable(Type.String({ format: 'date-time' })),
}, { title: 'InventoryItem' });

export const Movement = Type.Object({
  movementId: Type.Integer(), storeId: Type.Integer(), productId: Type.Integer(), sku: Type.String(), productName: Type.String(),
  quantity: Type.Integer({ description: 'Signed change of on hand' }),
  kind: Type.Union(movementKinds.map((k) => Type.Literal(k))),
  reason: Nullable(Type.String()), reference: Nullable(Type.String()),
  orderId: Nullable(Type.Integer()), shipmentId: Nullable(Type.Integer()), transferId: Nullable(Type.String({ format: 'uuid' })),
  createdAt: Type.String({ format: 'date-time' }),
  actor: Nullable(Type.String({ description: 'Email of the user who posted it' })), actorId: Nullable(Type.Integer()),
  balance: Type.Optional(Type.Integer({ description: 'On hand at the store right after this movement' })),
}, { title: 'StockMovement' });

export const MovementAnswer = Type.Object({ inventory: InventoryItem, movement: Movement }, { title: 'MovementResult' });

export const TransferAnswer = Type.Object({
  transferId: Type.String({ format: 'uuid' }), fromStoreId: Type.Integer(), toStoreId: Type.Integer(), movements: Type.Array(Movement),
}, { title: 'Transfer' });

export const StockListQuery = Type.Object({ ...ApiListQuery, ...StockFilters });
export const MovementListQuery = Type.Object({ ...ApiListQuery, ...MovementFilters });

const strict = { additionalProperties: false } as const;
const Reference = Type.String({ maxLength: 100, description: 'e.g. the supplier delivery note' });

export const ReceiptBody = Type.Object({
  storeId: IdSchema, productId: IdSchema, quantity: Type.Integer({ minimum: 1, maximum: MAX_MOVE }), reference: Type.Optional(Reference),
}, strict);

export const AdjustmentBody = Type.Object({
  storeId: IdSchema, productId: IdSchema,
  quantity: Type.Integer({ minimum: -MAX_MOVE, maximum: MAX_MOVE, description: 'Signed, not 0: negative removes units' }),
  reason: Type.Union(adjustmentReasons.map((r) => Type.Literal(r))),
  note: Type.Optional(Type.String({ maxLength: 500 })),
}, strict);

export const CountBody = Type.Object({ storeId: IdSchema, productId: IdSchema, countedQuantity: Type.Integer({ minimum: 0, maximum: MAX_COUNT }) }, strict);

export const TransferBody = Type.Object({
  fromStoreId: IdSchema, toStoreId: IdSchema,
  items: Type.Array(Type.Object({ productId: IdSchema, quantity: Type.Integer({ minimum: 1, maximum: MAX_MOVE }) }, strict), { minItems: 1, maxItems: MAX_TRANSFER_LINES }),
  reference: Type.Optional(Reference),
}, strict);

export const ReorderPointBody = Type.Object({ storeId: IdSchema, productId: IdSchema, reorderPoint: Type.Integer({ minimum: 0, maximum: MAX_MOVE }) }, strict);

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ description: 'Retry-safe key (8-200 of A-Z a-z 0-9 _ . : -): a replay returns the first answer and posts nothing' })),
});

export const OrderLineItem = Type.Object({
  orderId: Type.Integer(), lineItemId: Type.Integer(), orderStatus: Type.String(), orderTimestamp: Type.String({ format: 'date-time' }),
  productId: Type.Integer(), sku: Type.String(), productName: Type.String(), storeId: Type.Integer(), storeName: Type.String(),
  customerId: Type.Integer(), customerName: Type.String(), emailAddress: Type.String(), quantity: Type.Integer(),
  unitPrice: Type.String(), lineTotal: Type.String(), shipmentId: Nullable(Type.Integer()), shipmentStatus: Nullable(Type.String()),
}, { title: 'OrderLine' });

export const StoreProductItem = Type.Object({
  productId: Type.Integer(), sku: Type.String(), productName: Type.String(),
  open: Type.Integer(), paid: Type.Integer(), shipped: Type.Integer(), complete: Type.Integer(), cancelled: Type.Integer(), refunded: Type.Integer(),
  orders: Type.Integer(), units: Type.Integer(), salesValue: Type.String({ description: 'Value of the lines of orders not cancelled or refunded' }),
}, { title: 'StoreProductSales' });

export const DeliveredItem = Type.Object({
  productId: Type.Integer(), sku: Type.String(), productName: Type.String(), units: Type.Integer(), returned: Type.Integer(), salesValue: Type.String(),
}, { title: 'DeliveredUnits' });

const Range = { from: MovementFilters.from, to: MovementFilters.to };
export const StoreProductsQuery = Type.Object({ ...ApiListQuery, storeId: IdSchema, ...Range });
export const DeliveredQuery = Type.Object({ ...ApiListQuery, storeId: Type.Optional(IdSchema), ...Range });
export const OrderLinesQuery = Type.Object({ orderId: Type.Integer({ minimum: 1 }), format: ApiListQuery.format });
