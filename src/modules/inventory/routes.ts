// The inventory pages (registered inside the back-office context, so the user is staff or admin):
// stock levels, the movement forms, transfers, history, the stock reports and the ledger check.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import stockRoutes from './stock-routes.ts';
import movementRoutes from './movement-routes.ts';
import transferRoutes from './transfer-routes.ts';
import historyRoutes from './history-routes.ts';
import reportRoutes from './report-routes.ts';

/** A filter form sends every field, empty ones too (`storeId=` for "All stores"): an empty value
 * means "no filter", not an invalid one, so it is dropped before the query is validated. */
async function dropEmptyQuery(req: FastifyRequest) {
  const query = req.query as Record<string, unknown> | undefined;
  if (!query) return;
  for (const [key, value] of Object.entries(query)) if (value === '') delete query[key];
}

export default async function inventoryRoutes(app: FastifyInstance) {
  app.addHook('preValidation', dropEmptyQuery);
  await app.register(stockRoutes);
  await app.register(movementRoutes);
  await app.register(transferRoutes);
  await app.register(historyRoutes);
  await app.register(reportRoutes);
}
