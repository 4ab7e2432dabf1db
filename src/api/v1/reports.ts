// Reports for sales channels and BI tools: the dashboard's figures as JSON (or CSV with
// ?format=csv), read through the same functions as the page. Admins see every store, staff their
// own (another store's storeId is a 403), customers none.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import Type, { type Static } from 'typebox';
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { queryRows } from '../../db/client.ts';
import { orderStatuses, shipmentStatuses } from '../../db/schema/index.ts';
import type { CurrentUser } from '../../lib/access.ts';
import { sendCsv, wantsCsv } from '../../lib/csv.ts';
import { notFound } from '../../lib/errors.ts';
import { errorResponses } from '../schemas.ts';
import { ensureRollups } from '../../modules/reports/refresh.ts';
import {
  MAX_YEAR, MIN_YEAR, currentYear, defaultYear, makePeriod, resolveScope, selectionKey, wholeScope, type Period, type ReportScope,
} from '../../modules/reports/params.ts';
import { memo } from '../../lib/memo.ts';
import {
  salesSeries, periodTotals, productSales, productSorts, shipmentStatus, orderStatusRows, stockByStore, orderYears,
} from '../../modules/reports/queries.ts';
import {
  csvName, rowsOf, salesColumns, productColumns, orderStatusColumns, shipmentStatusColumns, stockColumns,
} from '../../modules/reports/tables.ts';

const Money = Type.String({ pattern: '^-?\\d+\\.\\d{2}$', description: 'Decimal amount with two places' });
const StoreIdQuery = Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647, description: 'One store; default: every store you may see' }));
const Format = Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')]));

const PeriodQuery = Type.Object({
  year: Type.Optional(Type.Integer({ minimum: MIN_YEAR, maximum: MAX_YEAR, description: 'Default: this year if it has orders, else the latest year that has' })),
  month: Type.Optional(Type.Integer({ minimum: 1, maximum: 12, description: 'One month of the year; default: the whole year' })),
  storeId: StoreIdQuery,
  format: Format,
});
type PeriodQueryT = Static<typeof PeriodQuery>;

const ProductQuery = Type.Object({
  ...PeriodQuery.properties,
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 10 })),
  sort: Type.Optional(Type.Union(productSorts.map((s) => Type.Literal(s)), { default: 'units', description: 'Ranking measure, largest first' })),
});
type ProductQueryT = Static<typeof ProductQuery>;

const StockQuery = Type.Object({ storeId: StoreIdQuery, format: Format });

/** What every period report answers besides its rows: the period and store it covers. */
const PeriodInfo = {
  year: Type.Integer(),
  month: Type.Union([Type.Integer(), Type.Null()]),
  from: Type.String({ format: 'date', description: 'First day, in the configured time zone' }),
  to: Type.String({ format: 'date', description: 'Last day (inclusive)' }),
  storeId: Type.Union([Type.Integer(), Type.Null()]),
};

const SalesReport = Type.Object({
  ...PeriodInfo,
  grain: Type.Union([Type.Literal('month'), Type.Literal('day')]),
  items: Type.Array(Type.Object({ period: Type.String({ description: 'YYYY-MM, or YYYY-MM-DD for days' }), orders: Type.Integer(), units: Type.Integer(), revenue: Money })),
  totals: Type.Object({ orders: Type.Integer(), units: Type.Integer(), revenue: Money }),
}, { title: 'SalesReport' });

const ProductSalesReport = Type.Object({
  ...PeriodInfo,
  items: Type.Array(Type.Object({ productId: Type.Integer(), productName: Type.String(), orders: Type.Integer(), units: Type.Integer(), revenue: Money })),
}, { title: 'ProductSalesReport' });

const OrderStatusReport = Type.Object({
  ...PeriodInfo,
  items: Type.Array(Type.Object({ orderStatus: Type.Union(orderStatuses.map((s) => Type.Literal(s))), orders: Type.Integer() })),
  totals: Type.Object({ orders: Type.Integer() }),
}, { title: 'OrderStatusReport' });

const ShipmentStatusReport = Type.Object({
  ...PeriodInfo,
  items: Type.Array(Type.Object({ shipmentStatus: Type.Union(shipmentStatuses.map((s) => Type.Literal(s))), shipments: Type.Integer() })),
  totals: Type.Object({ shipments: Type.Integer() }),
}, { title: 'ShipmentStatusReport' });

const StockValueReport = Type.Object({
  storeId: Type.Union([Type.Integer(), Type.Null()]),
  items: Type.Array(Type.Object({ storeId: Type.Integer(), storeName: Type.String(), items: Type.Integer(), units: Type.Integer(), value: Money, lowStock: Type.Integer() })),
  totals: Type.Object({ items: Type.Integer(), units: Type.Integer(), value: Money, lowStock: Type.Integer() }),
}, { title: 'StockValueReport' });

const DEFINITIONS = 'Orders count every order placed in the period (any status); units and revenue (quantity × unit price of the lines) only count orders that are not CANCELLED or REFUNDED. Days and months are cut in the server\'s configured time zone.';

const schema = (summary: string, querystring: unknown, report: unknown) => ({
  tags: ['reports'], summary, description: `${DEFINITIONS} Admins see every store, staff the stores they work at (another store is 403), customers none (403). \`?format=csv\` answers the rows as CSV.`,
  querystring, response: { 200: report, ...errorResponses(400, 401, 403, 404) },
});

interface Opened { scope: ReportScope; period: Period; storeId: number | null; version: string }

/** Checks access, brings the rollups up to date and settles the period. */
async function openReport(db: Db, timeZone: string, user: CurrentUser | null, q: { year?: number; month?: number; storeId?: number }, dated = true): Promise<Opened> {
  const storeId = q.storeId ?? null;
  const scope = resolveScope(user, storeId);
  const { version } = await ensureRollups(db, timeZone);
  if (storeId !== null) {
    const found = await memo(db, version, `store|${storeId}`, () => queryRows(db, sql`select 1 from stores where store_id = ${storeId}`));
    if (!found.length) throw notFound('The store');
  }
  const all = wholeScope(scope);
  const years = () => memo(db, version, `years|${selectionKey(all)}`, () => orderYears(db, all));
  const year = q.year ?? (dated ? defaultYear(await years(), currentYear(timeZone)) : currentYear(timeZone));
  return { scope, period: makePeriod(year, q.month ?? null), storeId, version };
}

/** A figure of the report, remembered under the rollup version it was read at. */
const cached = <T>(db: Db, o: Opened, what: string, load: () => Promise<T>) =>
  memo(db, o.version, `api|${what}|${selectionKey(o.scope.selection, o.period)}`, load);

const info = (o: Opened) => ({ year: o.period.year, month: o.period.month, from: o.period.start, to: o.period.end, storeId: o.storeId });

export default async function reportsApi(app: FastifyInstance) {
  const open = (req: FastifyRequest, q: { year?: number; month?: number; storeId?: number }, dated = true) =>
    openReport(app.db, app.config.timeZone, req.user, q, dated);
  const csv = (req: FastifyRequest<{ Querystring: { format?: string } }>) => wantsCsv(req.query, req.headers.accept);

  app.get('/sales', { schema: schema('Orders, units and revenue per month of a year, or per day of a month', PeriodQuery, SalesReport) },
    async function salesReport(req: FastifyRequest<{ Querystring: PeriodQueryT }>, reply: FastifyReply) {
      const o = await open(req, req.query);
      const items = await cached(app.db, o, 'sales', () => salesSeries(app.db, o.scope.selection, o.period));
      if (csv(req)) return sendCsv(reply, csvName('sales', o.period, o.storeId), salesColumns, rowsOf(items));
      const t = (await cached(app.db, o, 'totals', () => periodTotals(app.db, o.scope.selection, [o.period]))).get(o.period.start)!;
      return { ...info(o), grain: o.period.month === null ? 'month' : 'day', items, totals: { orders: t.orders, units: t.units, revenue: t.revenue } };
    });

  app.get('/product-sales', { schema: schema('Best-selling products of a year or month', ProductQuery, ProductSalesReport) },
    async function productSalesReport(req: FastifyRequest<{ Querystring: ProductQueryT }>, reply: FastifyReply) {
      const o = await open(req, req.query);
      const sort = req.query.sort ?? 'units';
      const limit = req.query.limit ?? 10;
      const items = await cached(app.db, o, `products|${sort}|${limit}`, () => productSales(app.db, o.scope.selection, o.period, sort, limit));
      if (csv(req)) return sendCsv(reply, csvName('product-sales', o.period, o.storeId), productColumns, rowsOf(items));
      return { ...info(o), items };
    });

  app.get('/order-status', { schema: schema('Orders placed in a year or month, by current status', PeriodQuery, OrderStatusReport) },
    async function orderStatusReport(req: FastifyRequest<{ Querystring: PeriodQueryT }>, reply: FastifyReply) {
      const o = await open(req, req.query);
      const t = (await cached(app.db, o, 'totals', () => periodTotals(app.db, o.scope.selection, [o.period]))).get(o.period.start)!;
      const items = orderStatusRows(t);
      if (csv(req)) return sendCsv(reply, csvName('order-status', o.period, o.storeId), orderStatusColumns, rowsOf(items));
      return { ...info(o), items, totals: { orders: t.orders } };
    });

  app.get('/shipment-status', { schema: schema('Shipments created in a year or month, by current status', PeriodQuery, ShipmentStatusReport) },
    async function shipmentStatusReport(req: FastifyRequest<{ Querystring: PeriodQueryT }>, reply: FastifyReply) {
      const o = await open(req, req.query);
      const items = await cached(app.db, o, 'shipments', () => shipmentStatus(app.db, o.scope.selection, o.period));
      if (csv(req)) return sendCsv(reply, csvName('shipment-status', o.period, o.storeId), shipmentStatusColumns, rowsOf(items));
      return { ...info(o), items, totals: { shipments: items.reduce((a, r) => a + r.shipments, 0) } };
    });

  app.get('/stock-value', { schema: { ...schema('Stock on hand now and its value (on hand × unit price) per store', StockQuery, StockValueReport), description: 'Stock as it is now (not tied to a period). Admins see every store, staff their own (another store is 403), customers none (403). `?format=csv` answers the rows as CSV.' } },
    async function stockValueReport(req: FastifyRequest<{ Querystring: Static<typeof StockQuery> }>, reply: FastifyReply) {
      const o = await open(req, { storeId: req.query.storeId }, false);
      const stock = await cached(app.db, o, 'stock', () => stockByStore(app.db, o.scope.selection));
      if (csv(req)) return sendCsv(reply, csvName('stock-value', null, o.storeId), stockColumns, rowsOf(stock.items));
      return { storeId: o.storeId, items: stock.items, totals: stock.totals };
    });
}
