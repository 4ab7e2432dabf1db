// /api/v1/inventory/reports/*: the reference system's stock queries as JSON (or CSV). Registered
// by api/v1/inventory.ts, whose hooks already refused anyone but staff and admins.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import { assertStoreAccess, storeScope } from '../../lib/access.ts';
import { notFound } from '../../lib/errors.ts';
import { allPages } from '../../lib/list.ts';
import { sendCsv, wantsCsv } from '../../lib/csv.ts';
import { ListOf, errorResponses } from '../../lib/schemas.ts';
import { deliveredUnits, orderLines, storeProducts } from './reports.ts';
import { apiOrderLine, deliveredCsv, orderLineCsv, storeProductCsv } from './present.ts';
import * as S from './api-schemas.ts';

const tags = ['inventory'];

export default async function inventoryReportsApi(app: FastifyInstance) {
  const tz = app.config.timeZone;

  app.get('/order-lines', {
    schema: { tags, summary: 'The lines of one order: product, store, customer, shipment status, line total', querystring: S.OrderLinesQuery, response: { 200: ListOf(S.OrderLineItem, 'OrderLineList'), ...errorResponses(400, 401, 403, 404) } },
  }, async function orderLinesReport(req: FastifyRequest<{ Querystring: Static<typeof S.OrderLinesQuery> }>, reply) {
    const lines = await orderLines(app.db, storeScope(req.user), req.query.orderId);
    if (!lines.length) throw notFound(`Order #${req.query.orderId}`);
    if (wantsCsv(req.query, req.headers.accept)) return sendCsv(reply, `order-${req.query.orderId}-lines.csv`, orderLineCsv, (async function* rows() { yield* lines; })());
    return { items: lines.map(apiOrderLine), nextCursor: null };
  });

  app.get('/store-products', {
    schema: { tags, summary: 'Products sold by a store with the status of their orders', querystring: S.StoreProductsQuery, response: { 200: ListOf(S.StoreProductItem, 'StoreProductList'), ...errorResponses(400, 401, 403) } },
  }, async function storeProductsReport(req: FastifyRequest<{ Querystring: Static<typeof S.StoreProductsQuery> }>, reply) {
    assertStoreAccess(req.user, req.query.storeId);
    const scope = storeScope(req.user);
    if (wantsCsv(req.query, req.headers.accept)) {
      return sendCsv(reply, `store-${req.query.storeId}-products.csv`, storeProductCsv,
        allPages((cursor) => storeProducts(app.db, scope, req.query.storeId, { ...req.query, cursor, limit: 1000 }, tz)));
    }
    const page = await storeProducts(app.db, scope, req.query.storeId, req.query, tz);
    return { items: page.items, nextCursor: page.nextCursor };
  });

  app.get('/delivered-units', {
    schema: { tags, summary: 'Units sold in delivered shipments per product, optionally per store and delivery date range', querystring: S.DeliveredQuery, response: { 200: ListOf(S.DeliveredItem, 'DeliveredUnitsList'), ...errorResponses(400, 401, 403) } },
  }, async function deliveredUnitsReport(req: FastifyRequest<{ Querystring: Static<typeof S.DeliveredQuery> }>, reply) {
    if (req.query.storeId !== undefined) assertStoreAccess(req.user, req.query.storeId);
    const scope = storeScope(req.user);
    if (wantsCsv(req.query, req.headers.accept)) {
      return sendCsv(reply, 'delivered-units.csv', deliveredCsv, allPages((cursor) => deliveredUnits(app.db, scope, { ...req.query, cursor, limit: 1000 }, tz)));
    }
    const page = await deliveredUnits(app.db, scope, req.query, tz);
    return { items: page.items, nextCursor: page.nextCursor };
  });
}
