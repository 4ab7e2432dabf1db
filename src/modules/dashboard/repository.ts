// Everything the dashboard shows for one period and store selection, read in one read-only
// snapshot so the cards, charts and tables of a page always agree with each other.
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { queryRows, intArray } from '../../db/client.ts';
import { previousPeriod, selectionKey, wholeScope, type Period, type ReportScope, type StoreSelection } from '../reports/params.ts';
import { memo } from '../../lib/memo.ts';
import {
  salesSeries, periodTotals, customerCounts, productSales, shipmentStatus, orderStatusRows, stockByStore,
  lowStockList, activeProducts, orderYears,
  type SalesRow, type Totals, type ProductSalesRow, type ShipmentStatusRow, type OrderStatusRow, type StockRow, type LowStockRow,
} from '../reports/queries.ts';
import { DASHBOARD_TOP } from '../reports/tables.ts';


export interface StoreOption { storeId: number; storeName: string }

export interface DashboardData {
  period: Period;
  previous: Period;
  totals: Totals;
  previousTotals: Totals;
  customers: number;
  previousCustomers: number;
  products: number;
  sales: SalesRow[];
  topUnits: ProductSalesRow[];
  topRevenue: ProductSalesRow[];
  orderStatus: OrderStatusRow[];
  shipmentStatus: ShipmentStatusRow[];
  stock: StockRow[];
  stockTotals: Omit<StockRow, 'storeId' | 'storeName'>;
  lowStock: LowStockRow[];
}

/** The figures of the period, remembered per rollup version (they change only with it). */
function periodFigures(db: Db, version: string, sel: StoreSelection, period: Period) {
  const previous = previousPeriod(period);
  return memo(db, version, `dashboard|${selectionKey(sel, period)}`, () => db.transaction(async (tx) => {
    const totals = await periodTotals(tx, sel, [period, previous]);
    const customers = await customerCounts(tx, sel, [period, previous]);
    const totalsNow = totals.get(period.start)!;
    return {
      period,
      previous,
      totals: totalsNow,
      previousTotals: totals.get(previous.start)!,
      customers: customers.get(period.start) ?? 0,
      previousCustomers: customers.get(previous.start) ?? 0,
      products: await activeProducts(tx),
      sales: await salesSeries(tx, sel, period),
      topUnits: await productSales(tx, sel, period, 'units', DASHBOARD_TOP),
      topRevenue: await productSales(tx, sel, period, 'revenue', DASHBOARD_TOP),
      orderStatus: orderStatusRows(totalsNow),
      shipmentStatus: await shipmentStatus(tx, sel, period),
    };
  }, { isolationLevel: 'repeatable read', accessMode: 'read only' }));
}

/** Everything the page shows: the period's figures from one read-only snapshot (so cards,
 * charts and tables always agree) and the stock as it is, all remembered per version. */
export async function loadDashboard(db: Db, version: string, sel: StoreSelection, period: Period): Promise<DashboardData> {
  const figures = await periodFigures(db, version, sel, period);
  const stock = await memo(db, version, `stock|${selectionKey(sel)}`, () => stockByStore(db, sel));
  const lowStock = await memo(db, version, `low-stock|${selectionKey(sel)}`, () => lowStockList(db, sel, DASHBOARD_TOP));
  return { ...figures, stock: stock.items, stockTotals: stock.totals, lowStock };
}

/** The stores offered in the store picker: all for admins, their own for staff. */
export function storeOptions(db: Db, version: string, scope: ReportScope): Promise<StoreOption[]> {
  const where = scope.allowed === 'all' ? sql`true` : sql`store_id = any(${intArray(scope.allowed)})`;
  return memo(db, version, `stores|${scope.allowed === 'all' ? 'all' : scope.allowed.join(',')}`, () =>
    queryRows<StoreOption>(db, sql`select store_id as "storeId", store_name as "storeName" from stores where ${where} order by store_name, store_id`));
}

/** Years with orders anywhere in the user's scope (not just the picked store), so switching
 * stores never empties the year picker. */
export function yearsInScope(db: Db, version: string, scope: ReportScope): Promise<number[]> {
  const sel = wholeScope(scope);
  return memo(db, version, `years|${selectionKey(sel)}`, () => orderYears(db, sel));
}
