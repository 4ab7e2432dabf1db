// CSV exports of the customer list and a customer's orders and shipments, shared by the page
// and the API. Headers are the API's field names, which the customer CSV import also accepts.
// The first page is read before anything is sent, so a bad sort or cursor is still a clean 400.
import type { FastifyReply } from 'fastify';
import type { Db } from '../../db/client.ts';
import { sendCsv, type CsvColumn } from '../../lib/csv.ts';
import { allPages, type Page } from '../../lib/list.ts';
import { listCustomers, type CustomerListParams, type CustomerRow, type OrderScope } from './repository.ts';
import { customerOrders, customerShipments, type CustomerOrderRow, type CustomerShipmentRow, type SubListParams } from './history.ts';

const iso = (d: Date | null) => (d ? d.toISOString() : '');

export const customerCsvColumns: CsvColumn<CustomerRow>[] = [
  { header: 'customerId', value: (r) => r.customerId },
  { header: 'fullName', value: (r) => r.fullName },
  { header: 'emailAddress', value: (r) => r.emailAddress },
  { header: 'createdAt', value: (r) => iso(r.createdAt) },
  { header: 'orderCount', value: (r) => r.orderCount },
  { header: 'lastOrderAt', value: (r) => iso(r.lastOrderAt) },
];

const orderCsvColumns: CsvColumn<CustomerOrderRow>[] = [
  { header: 'orderId', value: (r) => r.orderId },
  { header: 'orderTimestamp', value: (r) => iso(r.orderTimestamp) },
  { header: 'orderStatus', value: (r) => r.orderStatus },
  { header: 'storeId', value: (r) => r.storeId },
  { header: 'storeName', value: (r) => r.storeName },
  { header: 'total', value: (r) => r.total },
];

const shipmentCsvColumns: CsvColumn<CustomerShipmentRow>[] = [
  { header: 'shipmentId', value: (r) => r.shipmentId },
  { header: 'orderId', value: (r) => r.orderId },
  { header: 'storeId', value: (r) => r.storeId },
  { header: 'storeName', value: (r) => r.storeName },
  { header: 'deliveryAddress', value: (r) => r.deliveryAddress },
  { header: 'shipmentStatus', value: (r) => r.shipmentStatus },
  { header: 'createdAt', value: (r) => iso(r.createdAt) },
];

/** Every page from the start, the first one already fetched (and validated). */
async function pagesFrom<Row>(fetch: (cursor?: string) => Promise<Page<Row>>): Promise<AsyncIterable<Row>> {
  const first = await fetch();
  return allPages((cursor) => (cursor ? fetch(cursor) : Promise.resolve(first)));
}

const stamp = () => new Date().toISOString().slice(0, 10);

export async function sendCustomersCsv(reply: FastifyReply, db: Db, params: CustomerListParams, scope: OrderScope) {
  // Sorting the whole list by the order summary costs a pass over orders per page: fewer,
  // bigger pages (20,000 rows of six short columns is a few MB).
  const limit = !params.q?.trim() && (params.sort === 'orderCount' || params.sort === 'lastOrderAt') ? 20_000 : 1000;
  const rows = await pagesFrom((cursor) => listCustomers(db, { q: params.q, sort: params.sort, order: params.order, cursor, limit }, scope));
  return sendCsv(reply, `customers-${stamp()}.csv`, customerCsvColumns, rows);
}

export async function sendCustomerOrdersCsv(reply: FastifyReply, db: Db, customerId: number, params: SubListParams, scope: OrderScope) {
  const rows = await pagesFrom((cursor) => customerOrders(db, customerId, scope, { ...params, cursor, limit: 1000 }));
  return sendCsv(reply, `customer-${customerId}-orders-${stamp()}.csv`, orderCsvColumns, rows);
}

export async function sendCustomerShipmentsCsv(reply: FastifyReply, db: Db, customerId: number, params: SubListParams, scope: OrderScope) {
  const rows = await pagesFrom((cursor) => customerShipments(db, customerId, scope, { ...params, cursor, limit: 1000 }));
  return sendCsv(reply, `customer-${customerId}-shipments-${stamp()}.csv`, shipmentCsvColumns, rows);
}
