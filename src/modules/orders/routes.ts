// The orders back office: the list (filters, per-status counts, sort, keyset pages, CSV) and
// "orders by store"; the detail page with its actions and the new-order form live in their own
// files. Staff see their stores' orders only: the scope is part of every query.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { wantsCsv } from '../../lib/csv.ts';
import { orderStatuses } from '../../db/schema/index.ts';
import { OrderPageQuery } from './schema.ts';
import { assertFilterAccess, filterParams, orderViewer, parseOrderQuery } from './filters.ts';
import { BY_STORE_SORTS, listOrders, ordersByStore, statusCounts, storesFor } from './repository.ts';
import { sendByStoreCsv, sendOrdersCsv } from './export.ts';
import showOrderRoutes from './show-routes.ts';
import newOrderRoutes from './new-routes.ts';

type PageRequest = FastifyRequest<{ Querystring: OrderPageQuery }>;

export default async function ordersRoutes(app: FastifyInstance) {
  const tz = app.config.timeZone;

  app.get('/orders', { schema: { querystring: OrderPageQuery } }, async function listOrdersPage(req: PageRequest, reply) {
    const user = req.user!;
    const viewer = orderViewer(user);
    const { filters, list, errors } = parseOrderQuery(req.query);
    assertFilterAccess(user, filters);
    const params = { ...filterParams(filters), sort: list.sort, order: list.order, limit: list.limit };
    const hasErrors = Object.keys(errors).length > 0;
    if (!hasErrors && wantsCsv(req.query, req.headers.accept)) return sendOrdersCsv(reply, app.db, viewer, filters, list, tz);
    const [page, counts, stores] = await Promise.all([
      hasErrors ? null : listOrders(app.db, viewer, filters, list, tz),
      hasErrors ? null : statusCounts(app.db, viewer, filters, tz),
      // The filter form sits outside the swapped results: htmx updates skip its store list.
      req.wantsFragment ? [] : storesFor(app.db, viewer),
    ]);
    if (page) { params.sort = page.sort as typeof params.sort; params.order = page.order; }
    return reply.page('orders/index', {
      title: 'Orders', page, counts, stores, params, filters, errors, statuses: orderStatuses, scoped: viewer.stores !== 'all',
      raw: req.query,
    }, { fragment: 'orders/_results', status: hasErrors ? 422 : undefined });
  });

  app.get('/orders/by-store', { schema: { querystring: OrderPageQuery } }, async function ordersByStorePage(req: PageRequest, reply) {
    const user = req.user!;
    const viewer = orderViewer(user);
    const { filters, errors } = parseOrderQuery({ ...req.query, sort: undefined, cursor: undefined });
    assertFilterAccess(user, filters);
    const sort = (BY_STORE_SORTS as readonly string[]).includes(req.query.sort ?? '') ? req.query.sort as (typeof BY_STORE_SORTS)[number] : 'storeName';
    const order = req.query.order === 'desc' ? 'desc' : 'asc';
    const hasErrors = Object.keys(errors).length > 0;
    const summary = hasErrors ? null : await ordersByStore(app.db, viewer, filters, tz, sort, order);
    if (summary && wantsCsv(req.query, req.headers.accept)) return sendByStoreCsv(reply, summary.rows);
    const stores = req.wantsFragment ? [] : await storesFor(app.db, viewer);
    return reply.page('orders/by-store', {
      title: 'Orders by store', summary, stores, filters, errors, statuses: orderStatuses, raw: req.query, scoped: viewer.stores !== 'all',
      params: { ...filterParams(filters), sort, order },
    }, { fragment: 'orders/_by-store', status: hasErrors ? 422 : undefined });
  });

  await app.register(newOrderRoutes);
  await app.register(showOrderRoutes);
}
