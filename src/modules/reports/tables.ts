// The rows behind each dashboard chart, as CSV: the same functions the page draws from, so a
// download always matches the chart next to it.
import type { FastifyReply } from 'fastify';
import type { Db } from '../../db/client.ts';
import { sendCsv, type CsvColumn } from '../../lib/csv.ts';
import { badRequest } from '../../lib/errors.ts';
import type { Period, StoreSelection } from './params.ts';
import {
  salesSeries, productSales, periodTotals, orderStatusRows, shipmentStatus, stockByStore, lowStockList,
  type SalesRow, type ProductSalesRow, type OrderStatusRow, type ShipmentStatusRow, type StockRow, type LowStockRow,
} from './queries.ts';

export const chartNames = ['sales', 'top-units', 'top-revenue', 'order-status', 'shipment-status', 'stock-value', 'low-stock'] as const;
export type ChartName = (typeof chartNames)[number];

/** How many rows the dashboard's top-products charts and low-stock list show. */
export const DASHBOARD_TOP = 10;

const col = <R>(header: keyof R & string): CsvColumn<R> => ({ header, value: (r) => r[header] });

export const salesColumns: CsvColumn<SalesRow>[] = [col('period'), col('orders'), col('units'), col('revenue')];
export const productColumns: CsvColumn<ProductSalesRow>[] = [col('productId'), col('productName'), col('orders'), col('units'), col('revenue')];
export const orderStatusColumns: CsvColumn<OrderStatusRow>[] = [col('orderStatus'), col('orders')];
export const shipmentStatusColumns: CsvColumn<ShipmentStatusRow>[] = [col('shipmentStatus'), col('shipments')];
export const stockColumns: CsvColumn<StockRow>[] = [col('storeId'), col('storeName'), col('items'), col('units'), col('value'), col('lowStock')];
export const lowStockColumns: CsvColumn<LowStockRow>[] = [
  col('storeId'), col('storeName'), col('productId'), col('productName'), col('onHand'), col('reserved'), col('available'), col('reorderPoint'),
];

export function parseChart(value: unknown): ChartName {
  if (typeof value === 'string' && (chartNames as readonly string[]).includes(value)) return value as ChartName;
  throw badRequest(`chart must be one of ${chartNames.join(', ')}.`, [{ field: 'chart', message: `Use one of ${chartNames.join(', ')}.` }]);
}

export async function* rowsOf<R>(rows: R[]): AsyncIterable<R> {
  yield* rows;
}

/** A file name that says what the rows are: sales-2026-03-store-4.csv. */
export function csvName(what: string, period: Period | null, storeId: number | null): string {
  const when = period ? `-${period.year}${period.month ? `-${String(period.month).padStart(2, '0')}` : ''}` : '';
  return `${what}${when}${storeId ? `-store-${storeId}` : ''}.csv`;
}

/** Streams the rows of one dashboard chart as CSV. */
export async function sendChartCsv(reply: FastifyReply, db: Db, chart: ChartName, sel: StoreSelection, period: Period, storeId: number | null) {
  const name = (what: string, withPeriod = true) => csvName(what, withPeriod ? period : null, storeId);
  switch (chart) {
    case 'sales':
      return sendCsv(reply, name('sales'), salesColumns, rowsOf(await salesSeries(db, sel, period)));
    case 'top-units':
      return sendCsv(reply, name('top-products-by-units'), productColumns, rowsOf(await productSales(db, sel, period, 'units', DASHBOARD_TOP)));
    case 'top-revenue':
      return sendCsv(reply, name('top-products-by-revenue'), productColumns, rowsOf(await productSales(db, sel, period, 'revenue', DASHBOARD_TOP)));
    case 'order-status': {
      const totals = (await periodTotals(db, sel, [period])).get(period.start)!;
      return sendCsv(reply, name('order-status'), orderStatusColumns, rowsOf(orderStatusRows(totals)));
    }
    case 'shipment-status':
      return sendCsv(reply, name('shipment-status'), shipmentStatusColumns, rowsOf(await shipmentStatus(db, sel, period)));
    case 'stock-value':
      return sendCsv(reply, name('stock-value', false), stockColumns, rowsOf((await stockByStore(db, sel)).items));
    case 'low-stock':
      return sendCsv(reply, name('low-stock', false), lowStockColumns, rowsOf(await lowStockList(db, sel, DASHBOARD_TOP)));
  }
}
