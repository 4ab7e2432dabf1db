// GET /inventory: stock levels with filters, sort, keyset pages and CSV; the htmx filter form
// swaps #inventory-rows. GET /inventory/:storeId/:productId/row re-renders one row (the Cancel of
// an inline form).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import Type, { type Static } from 'typebox';
import { isAdmin, storeScope } from '../../lib/access.ts';
import { notFound } from '../../lib/errors.ts';
import { allPages, ListParams } from '../../lib/list.ts';
import { sendCsv, wantsCsv } from '../../lib/csv.ts';
import { brandOptions, findStockRow, listStock, storeOptions } from './repository.ts';
import { stockCsv } from './present.ts';
import { IdSchema, StockFilters } from './schema.ts';

export const StockPageQuery = Type.Object({ ...ListParams, ...StockFilters });
export const RowParams = Type.Object({
  storeId: IdSchema,
  productId: IdSchema,
});
export type RowParams = Static<typeof RowParams>;

/** The filters and sort of a list as query parameters (no cursor), for links that keep them. */
export function listParams(query: Record<string, unknown>): Record<string, unknown> {
  const { cursor: _cursor, format: _format, limit: _limit, ...rest } = query;
  return rest;
}

export default async function stockRoutes(app: FastifyInstance) {
  app.get('/inventory', { schema: { querystring: StockPageQuery } },
    async function listInventory(req: FastifyRequest<{ Querystring: Static<typeof StockPageQuery> }>, reply) {
      const scope = storeScope(req.user);
      const query = req.query;
      if (wantsCsv(query, undefined)) {
        return sendCsv(reply, 'inventory.csv', stockCsv, allPages((cursor) => listStock(app.db, scope, { ...query, cursor, limit: 1000 })));
      }
      // An htmx filter request only swaps the rows: the selects of the filter form stay as they are.
      const [page, stores, brands] = await Promise.all([
        listStock(app.db, scope, query),
        req.wantsFragment ? [] : storeOptions(app.db, scope),
        req.wantsFragment ? [] : brandOptions(app.db),
      ]);
      return reply.page('inventory/index', {
        title: query.lowStock ? 'Low stock' : 'Inventory', page, stores, brands, filters: query, params: listParams(query),
        isAdmin: isAdmin(req.user),
      }, { fragment: 'inventory/_rows' });
    });

  app.get('/inventory/:storeId/:productId/row', { schema: { params: RowParams } },
    async function showStockRow(req: FastifyRequest<{ Params: RowParams }>, reply) {
      const row = await findStockRow(app.db, storeScope(req.user), req.params.storeId, req.params.productId);
      if (!row) throw notFound('This stock row');
      // The row alone is for htmx (an inline form's Cancel); a browser gets the list showing it.
      if (!req.wantsFragment) return reply.redirect(`/inventory?storeId=${row.storeId}&q=${encodeURIComponent(row.sku)}`);
      return reply.page('inventory/_row', { row });
    });
}
