// The customers back office: list (search, sort, keyset pages, CSV), detail page, and (in
// form-routes.ts) create, edit and delete. Admins and staff both manage every customer; only the
// orders and shipments shown are limited to a staff member's stores.
//
// Decisions and measured speed at 500k customers / 1M orders: README.md in this folder.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { wantsCsv, sendCsv, type CsvColumn } from '../../lib/csv.ts';
import { IdParam } from '../../lib/schemas.ts';
import { CustomerListQuery } from './schema.ts';
import { listCustomers, shipmentStatusSummary, orderScope } from './repository.ts';
import { sendCustomersCsv } from './export.ts';
import { renderCustomerPage } from './show-page.ts';
import customerFormRoutes from './form-routes.ts';

const SummaryQuery = Type.Object({ format: Type.Optional(Type.Union([Type.Literal('html'), Type.Literal('csv')])) });
type SummaryRow = { shipmentStatus: string; customers: number };
const SUMMARY_COLUMNS: CsvColumn<SummaryRow>[] = [
  { header: 'shipmentStatus', value: (r) => r.shipmentStatus },
  { header: 'customers', value: (r) => r.customers },
];
async function* toAsync<T>(rows: T[]) { yield* rows; }

type ListRequest = FastifyRequest<{ Querystring: CustomerListQuery }>;
type IdRequest = FastifyRequest<{ Params: { id: number } }>;

export default async function customersRoutes(app: FastifyInstance) {
  app.get('/customers', { schema: { querystring: CustomerListQuery } }, async function listCustomersPage(req: ListRequest, reply) {
    const query = req.query;
    const scope = orderScope(req.user);
    if (wantsCsv(query, req.headers.accept)) return sendCustomersCsv(reply, app.db, query, scope);
    const page = await listCustomers(app.db, query, scope);
    const params = { q: query.q?.trim() || undefined, sort: page.sort, order: page.order, limit: query.limit };
    return reply.page('customers/index', { title: 'Customers', page, params, scoped: scope !== 'all' }, { fragment: 'customers/_rows' });
  });

  // Customers by shipment status. A pass over every shipment, so the list page loads it after
  // itself (hx-trigger="load") rather than making every search wait for it; without JavaScript
  // it is this page, linked from the list.
  app.get('/customers/shipment-status', { schema: { querystring: SummaryQuery } }, async function shipmentStatusPage(req: FastifyRequest<{ Querystring: { format?: string } }>, reply) {
    const scope = orderScope(req.user);
    const summary = await shipmentStatusSummary(app.db, scope);
    if (wantsCsv(req.query, req.headers.accept)) return sendCsv(reply, 'customers-by-shipment-status.csv', SUMMARY_COLUMNS, toAsync(summary));
    return reply.page('customers/shipment-status', { title: 'Customers by shipment status', summary, scoped: scope !== 'all' }, { fragment: 'customers/_summary' });
  });

  app.get('/customers/:id', { schema: { params: IdParam } }, async function showCustomer(req: IdRequest, reply) {
    return renderCustomerPage(app, req.user!, reply, req.params.id);
  });

  await app.register(customerFormRoutes);
}
