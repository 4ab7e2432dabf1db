// CSV exports of the order list and of "orders by store", shared by the page and the API. The
// first page is read before anything is sent, so a bad sort or cursor is still a clean 400.
import type { FastifyReply } from 'fastify';
import type { Db } from '../../db/client.ts';
import { orderStatuses } from '../../db/schema/index.ts';
import { sendCsv, type CsvColumn } from '../../lib/csv.ts';
import { allPages } from '../../lib/list.ts';
import type { ListOptions, OrderFilters, OrderViewer } from './filters.ts';
import { listOrders, type OrderListRow, type StoreSummaryRow } from './repository.ts';

export const orderCsvColumns: CsvColumn<OrderListRow>[] = [
  { header: 'orderId', value: (r) => r.orderId },
  { header: 'orderTimestamp', value: (r) => r.orderTimestamp.toISOString() },
  { header: 'orderStatus', value: (r) => r.orderStatus },
  { header: 'customerId', value: (r) => r.customerId },
  { header: 'customerName', value: (r) => r.customerName },
  { header: 'emailAddress', value: (r) => r.emailAddress },
  { header: 'storeId', value: (r) => r.storeId },
  { header: 'storeName', value: (r) => r.storeName },
  { header: 'lines', value: (r) => r.lines },
  { header: 'total', value: (r) => r.total },
  { header: 'version', value: (r) => r.version },
];

const byStoreColumns: CsvColumn<StoreSummaryRow>[] = [
  { header: 'storeId', value: (r) => r.storeId },
  { header: 'storeName', value: (r) => r.storeName },
  { header: 'orders', value: (r) => r.orders },
  ...orderStatuses.map((s) => ({ header: s, value: (r: StoreSummaryRow) => r.byStatus[s] })),
  { header: 'revenue', value: (r) => r.revenue },
];

const stamp = () => new Date().toISOString().slice(0, 10);

export async function sendOrdersCsv(reply: FastifyReply, db: Db, viewer: OrderViewer, filters: OrderFilters, opts: ListOptions, timeZone: string) {
  // Index-ordered sorts read 1,000 rows a page. Sorting by total or store name costs a pass over
  // the matching orders per page (seconds at 1M): far fewer, bigger pages then.
  const limit = opts.sort === 'total' || opts.sort === 'storeName' ? 50_000 : 1000;
  const fetch = (cursor?: string) => listOrders(db, viewer, filters, { sort: opts.sort, order: opts.order, cursor, limit }, timeZone);
  const first = await fetch();
  const rows = allPages((cursor) => (cursor ? fetch(cursor) : Promise.resolve(first)));
  return sendCsv(reply, `orders-${stamp()}.csv`, orderCsvColumns, rows);
}

export function sendByStoreCsv(reply: FastifyReply, rows: StoreSummaryRow[]) {
  return sendCsv(reply, `orders-by-store-${stamp()}.csv`, byStoreColumns, (async function* each() { yield* rows; })());
}
