// GET /inventory/movements: the stock ledger (all of it, or one product at one store), newest
// first, with the balance after each movement, filters, keyset pages and CSV.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import Type, { type Static } from 'typebox';
import { storeScope } from '../../lib/access.ts';
import { allPages, ListParams } from '../../lib/list.ts';
import { sendCsv, wantsCsv } from '../../lib/csv.ts';
import { findStockRow, storeOptions } from './repository.ts';
import { listMovements } from './movements.ts';
import { movementCsv } from './present.ts';
import { MovementFilters } from './schema.ts';
import { movementKinds } from '../../db/schema/index.ts';
import { listParams } from './stock-routes.ts';

const MovementPageQuery = Type.Object({ ...ListParams, ...MovementFilters });

export default async function historyRoutes(app: FastifyInstance) {
  app.get('/inventory/movements', { schema: { querystring: MovementPageQuery } },
    async function listHistory(req: FastifyRequest<{ Querystring: Static<typeof MovementPageQuery> }>, reply) {
      const scope = storeScope(req.user);
      const query = req.query;
      const tz = app.config.timeZone;
      if (wantsCsv(query, undefined)) {
        return sendCsv(reply, 'stock-movements.csv', movementCsv, allPages((cursor) => listMovements(app.db, scope, { ...query, cursor, limit: 1000 }, tz)));
      }
      const pair = query.storeId && query.productId ? findStockRow(app.db, scope, query.storeId, query.productId) : null;
      const [page, stores, row] = await Promise.all([
        listMovements(app.db, scope, query, tz),
        req.wantsFragment ? [] : storeOptions(app.db, scope),
        pair,
      ]);
      const title = row ? `History of ${row.sku} at ${row.storeName}` : 'Stock movements';
      return reply.page('inventory/movements', {
        title, page, stores, row, kinds: movementKinds, filters: query, params: listParams(query),
      }, { fragment: 'inventory/_movement-rows' });
    });
}
