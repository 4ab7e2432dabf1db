// How inventory rows and movements leave the app: JSON for the API (camelCase, ISO timestamps)
// and the CSV columns shared by the pages and the API exports.
import type { CsvColumn } from '../../lib/csv.ts';
import type { StockRow } from './repository.ts';
import type { MovementRow } from './movements.ts';
import type { DeliveredRow, OrderLine, StoreProductRow } from './reports.ts';

const iso = (v: Date | string | null | undefined) => (v == null ? null : new Date(v).toISOString());

export function apiStock(r: StockRow) {
  return {
    storeId: r.storeId, storeName: r.storeName, productId: r.productId, sku: r.sku, productName: r.productName,
    onHand: r.onHand, reserved: r.reserved, available: r.available, reorderPoint: r.reorderPoint, lastMovementAt: iso(r.lastMovementAt),
  };
}

export function apiMovement(r: MovementRow) {
  return {
    movementId: r.movementId, storeId: r.storeId, productId: r.productId, sku: r.sku, productName: r.productName,
    quantity: r.quantity, kind: r.kind, reason: r.reason, reference: r.reference, orderId: r.orderId,
    shipmentId: r.shipmentId, transferId: r.transferId, createdAt: iso(r.createdAt)!,
    actor: r.actor, actorId: r.actorId, ...(r.balance === undefined ? {} : { balance: r.balance }),
  };
}

export function apiOrderLine(r: OrderLine) {
  return { ...r, orderTimestamp: iso(r.orderTimestamp)! };
}

export const stockCsv: CsvColumn<StockRow>[] = [
  { header: 'storeId', value: (r) => r.storeId },
  { header: 'storeName', value: (r) => r.storeName },
  { header: 'productId', value: (r) => r.productId },
  { header: 'sku', value: (r) => r.sku },
  { header: 'productName', value: (r) => r.productName },
  { header: 'brand', value: (r) => r.brand },
  { header: 'onHand', value: (r) => r.onHand },
  { header: 'reserved', value: (r) => r.reserved },
  { header: 'available', value: (r) => r.available },
  { header: 'reorderPoint', value: (r) => r.reorderPoint },
  { header: 'lastMovementAt', value: (r) => iso(r.lastMovementAt) },
];

export const movementCsv: CsvColumn<MovementRow>[] = [
  { header: 'movementId', value: (r) => r.movementId },
  { header: 'createdAt', value: (r) => iso(r.createdAt) },
  { header: 'storeId', value: (r) => r.storeId },
  { header: 'storeName', value: (r) => r.storeName },
  { header: 'productId', value: (r) => r.productId },
  { header: 'sku', value: (r) => r.sku },
  { header: 'productName', value: (r) => r.productName },
  { header: 'kind', value: (r) => r.kind },
  { header: 'quantity', value: (r) => r.quantity },
  { header: 'balance', value: (r) => r.balance },
  { header: 'reason', value: (r) => r.reason },
  { header: 'reference', value: (r) => r.reference },
  { header: 'orderId', value: (r) => r.orderId },
  { header: 'shipmentId', value: (r) => r.shipmentId },
  { header: 'transferId', value: (r) => r.transferId },
  { header: 'actor', value: (r) => r.actor },
];

export const orderLineCsv: CsvColumn<OrderLine>[] = ([
  'orderId', 'lineItemId', 'orderStatus', 'productId', 'sku', 'productName', 'storeId', 'storeName', 'customerId',
  'customerName', 'emailAddress', 'quantity', 'unitPrice', 'lineTotal', 'shipmentId', 'shipmentStatus',
] as const).map((k) => ({ header: k, value: (r: OrderLine) => r[k] }));

export const storeProductCsv: CsvColumn<StoreProductRow>[] = ([
  'productId', 'sku', 'productName', 'open', 'paid', 'shipped', 'complete', 'cancelled', 'refunded', 'orders', 'units', 'salesValue',
] as const).map((k) => ({ header: k, value: (r: StoreProductRow) => r[k] }));

export const deliveredCsv: CsvColumn<DeliveredRow>[] = ([
  'productId', 'sku', 'productName', 'units', 'returned', 'salesValue',
] as const).map((k) => ({ header: k, value: (r: DeliveredRow) => r[k] }));
