// Stores in the back office: the list (staff see their own stores) with CSV export, and the
// detail page with the stock summary and recent orders. Forms live in form-routes.ts.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import Type, { type Static } from 'typebox';
import { ListParams, allPages } from '../../lib/list.ts';
import { sendCsv, wantsCsv, type CsvColumn } from '../../lib/csv.ts';
import { assertStoreAccess, isAdmin, storeScope } from '../../lib/access.ts';
import { notFound } from '../../lib/errors.ts';
import { IdParam } from '../../lib/schemas.ts';
import { recentHistory } from '../audit/repository.ts';
import { listStores, storeCounts, findStore, stockSummary, recentOrders, type StoreRow, type StoreCounts } from './repository.ts';
import storeFormRoutes from './form-routes.ts';

const StoresQuery = Type.Object(ListParams);
type StoresQuery = Static<typeof StoresQuery>;
type ListRequest = FastifyRequest<{ Querystring: StoresQuery }>;
type IdRequest = FastifyRequest<{ Params: { id: number } }>;

type StoreWithCounts = StoreRow & StoreCounts;

const csvColumns: CsvColumn<StoreWithCounts>[] = [
  { header: 'storeId', value: (r) => r.storeId },
  { header: 'storeName', value: (r) => r.storeName },
  { header: 'webAddress', value: (r) => r.webAddress ?? '' },
  { header: 'physicalAddress', value: (r) => r.physicalAddress ?? '' },
  { header: 'latitude', value: (r) => (r.latitude === null ? '' : Number(r.latitude)) },
  { header: 'longitude', value: (r) => (r.longitude === null ? '' : Number(r.longitude)) },
  { header: 'stockUnits', value: (r) => r.stockUnits },
  { header: 'productsStocked', value: (r) => r.productsStocked },
  { header: 'openOrders', value: (r) => r.openOrders },
];

const noCounts: StoreCounts = { stockUnits: 0, productsStocked: 0, openOrders: 0 };

export default async function storesRoutes(app: FastifyInstance) {
  async function withCounts(items: StoreRow[]): Promise<StoreWithCounts[]> {
    const counts = await storeCounts(app.db, items.map((s) => s.storeId));
    return items.map((s) => ({ ...s, ...(counts.get(s.storeId) ?? noCounts) }));
  }

  app.get('/stores', { schema: { querystring: StoresQuery } }, async function listStoresPage(req: ListRequest, reply) {
    const scope = storeScope(req.user);
    const { q, sort, order } = req.query;
    if (wantsCsv(req.query, req.headers.accept)) {
      const rows = allPages(async (cursor) => {
        const page = await listStores(app.db, { q, sort, order, cursor, limit: 200 }, scope);
        return { ...page, items: await withCounts(page.items) };
      });
      return sendCsv(reply, 'stores.csv', csvColumns, rows);
    }
    const page = await listStores(app.db, req.query, scope);
    const items = await withCounts(page.items);
    return reply.page('stores/index', {
      title: 'Stores', page: { ...page, items }, params: { q, sort, order }, canEdit: isAdmin(req.user),
    }, { fragment: 'stores/_rows' });
  });

  async function showStore(req: IdRequest, reply: FastifyReply, extra: { status?: number; message?: string } = {}) {
    const store = await findStore(app.db, req.params.id);
    if (!store) throw notFound(`Store #${req.params.id}`);
    assertStoreAccess(req.user, store.storeId);
    const admin = isAdmin(req.user);
    const [summary, orders, history] = await Promise.all([
      stockSummary(app.db, store.storeId),
      recentOrders(app.db, store.storeId, 20),
      admin ? recentHistory(app.db, 'store', store.storeId, 10) : Promise.resolve([]),
    ]);
    return reply.page('stores/show', {
      title: store.storeName, store, summary, orders, history, canEdit: admin, message: extra.message,
      historyEntity: 'store', historyEntityId: store.storeId,
    }, { status: extra.status });
  }

  app.get('/stores/:id', { schema: { params: IdParam } }, async function showStorePage(req: IdRequest, reply) {
    return showStore(req, reply);
  });

  await app.register(storeFormRoutes, { showStore });
}
