// The stock reports kept from the reference system (/inventory/reports/...) and the admin-only
// ledger check (/inventory/verify). Each report takes the same query parameters as its API twin
// and answers CSV for ?format=csv.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import Type, { type Static } from 'typebox';
import { assertStoreAccess, isAdmin, storeScope } from '../../lib/access.ts';
import { forbidden } from '../../lib/errors.ts';
import { allPages, ListParams } from '../../lib/list.ts';
import { sendCsv, wantsCsv } from '../../lib/csv.ts';
import { storeOptions } from './repository.ts';
import { deliveredUnits, orderLines, storeProducts, storeStatusCounts } from './reports.ts';
import { orderStatuses } from '../../db/schema/index.ts';
import { deliveredCsv, orderLineCsv, storeProductCsv } from './present.ts';
import { verifyStock } from './verify.ts';
import { Day, IdSchema } from './schema.ts';
import { listParams } from './stock-routes.ts';

const ReportQuery = Type.Object({ ...ListParams, storeId: Type.Optional(IdSchema), from: Type.Optional(Day), to: Type.Optional(Day) });
type ReportQuery = Static<typeof ReportQuery>;
const OrderLinesQuery = Type.Object({ orderId: Type.Optional(Type.Integer({ minimum: 1 })), format: ListParams.format });

export default async function reportRoutes(app: FastifyInstance) {
  const tz = app.config.timeZone;

  app.get('/inventory/reports', async function reportIndex(req, reply) {
    return reply.page('inventory/reports/index', { title: 'Stock reports', isAdmin: isAdmin(req.user) });
  });

  app.get('/inventory/reports/order-lines', { schema: { querystring: OrderLinesQuery } },
    async function orderLinesPage(req: FastifyRequest<{ Querystring: Static<typeof OrderLinesQuery> }>, reply) {
      const { orderId } = req.query;
      const lines = orderId ? await orderLines(app.db, storeScope(req.user), orderId) : [];
      if (orderId && wantsCsv(req.query, undefined)) {
        return sendCsv(reply, `order-${orderId}-lines.csv`, orderLineCsv, (async function* rows() { yield* lines; })());
      }
      const total = lines.reduce((sum, l) => sum + Math.round(Number(l.lineTotal) * 100), 0);
      return reply.page('inventory/reports/order-lines', { title: 'Order lines', orderId, lines, total: (total / 100).toFixed(2) },
        { status: orderId && !lines.length ? 404 : 200 });
    });

  app.get('/inventory/reports/store-products', { schema: { querystring: ReportQuery } },
    async function storeProductsPage(req: FastifyRequest<{ Querystring: ReportQuery }>, reply) {
      const scope = storeScope(req.user);
      const stores = await storeOptions(app.db, scope);
      // Without a choice, the first of the caller's stores.
      const storeId = req.query.storeId ?? stores[0]?.storeId;
      if (storeId === undefined) return reply.page('inventory/reports/store-products', { title: 'Products by store', stores, page: null, params: {} });
      assertStoreAccess(req.user, storeId);
      const query = { ...req.query, storeId };
      if (wantsCsv(query, undefined)) {
        return sendCsv(reply, `store-${storeId}-products.csv`, storeProductCsv, allPages((cursor) => storeProducts(app.db, scope, storeId, { ...query, cursor, limit: 1000 }, tz)));
      }
      const [page, statuses] = await Promise.all([storeProducts(app.db, scope, storeId, query, tz), storeStatusCounts(app.db, scope, storeId, query, tz)]);
      return reply.page('inventory/reports/store-products', {
        title: 'Products by store', stores, page, statuses, statusColumns: orderStatuses, filters: query, params: listParams(query),
      }, { fragment: 'inventory/reports/_store-products-rows' });
    });

  app.get('/inventory/reports/delivered-units', { schema: { querystring: ReportQuery } },
    async function deliveredUnitsPage(req: FastifyRequest<{ Querystring: ReportQuery }>, reply) {
      const scope = storeScope(req.user);
      if (req.query.storeId !== undefined) assertStoreAccess(req.user, req.query.storeId);
      if (wantsCsv(req.query, undefined)) {
        return sendCsv(reply, 'delivered-units.csv', deliveredCsv, allPages((cursor) => deliveredUnits(app.db, scope, { ...req.query, cursor, limit: 1000 }, tz)));
      }
      const [page, stores] = await Promise.all([deliveredUnits(app.db, scope, req.query, tz), req.wantsFragment ? [] : storeOptions(app.db, scope)]);
      return reply.page('inventory/reports/delivered-units', {
        title: 'Units sold in delivered shipments', stores, page, filters: req.query, params: listParams(req.query),
      }, { fragment: 'inventory/reports/_delivered-rows' });
    });

  // The whole ledger takes a while on millions of rows; one store is a quick look.
  app.get('/inventory/verify', { schema: { querystring: Type.Object({ storeId: Type.Optional(IdSchema) }) } },
    async function verifyPage(req: FastifyRequest<{ Querystring: { storeId?: number } }>, reply) {
      if (req.user?.role !== 'admin') throw forbidden('Only administrators can run the stock check.');
      const { storeId } = req.query;
      const started = performance.now();
      const [problems, stores] = await Promise.all([verifyStock(app.db, storeId ? { storeIds: [storeId] } : {}), storeOptions(app.db, 'all')]);
      return reply.page('inventory/verify', { title: 'Stock check', problems, stores, storeId, ms: Math.round(performance.now() - started) });
    });
}
