// Turns the dashboard figures into what the template shows: cards with their change against the
// previous period and the filtered list behind them, and the chart data blocks (JSON read by
// public/js/dashboard.js). Kept out of the template so the markup stays plain.
import { withQuery, type Formatters } from '../../lib/format.ts';
import { MONTHS, type Period } from '../reports/params.ts';
import type { DashboardData } from './repository.ts';

export interface Card {
  id: string;
  label: string;
  value: string;
  href: string;
  /** "▲ 12.5% vs 2025" and its direction, for figures that have a previous period. */
  change?: { text: string; direction: 'up' | 'down' | 'flat' };
  note?: string;
}

export interface Cell { text: string; href?: string; num?: boolean }

/** The table view of a chart (and of the low-stock list). */
export interface Table { head: Cell[]; rows: Cell[][]; foot?: Cell[]; empty: string }

export interface ChartBlock {
  id: string;
  title: string;
  kind: 'sales' | 'bar' | 'hbar' | 'doughnut';
  labels: string[];
  series: Array<{ label: string; data: number[]; axis?: 'left' | 'right'; type?: 'bar' | 'line' }>;
}

function change(current: number, previous: number, prevLabel: string): Card['change'] {
  if (current === previous) return { text: `no change vs ${prevLabel}`, direction: 'flat' };
  const up = current > previous;
  const arrow = up ? '▲' : '▼';
  if (previous === 0) return { text: `${arrow} from 0 in ${prevLabel}`, direction: up ? 'up' : 'down' };
  const pct = Math.abs(((current - previous) / previous) * 100);
  return { text: `${arrow} ${pct < 10 ? pct.toFixed(1) : Math.round(pct)}% vs ${prevLabel}`, direction: up ? 'up' : 'down' };
}

/** Query parameters of the lists behind the cards (names shared with the orders, inventory and
 * shipments pages: storeId, status, from, to, lowStock). */
export function listParams(period: Period, storeId: number | null) {
  return { from: period.start, to: period.end, storeId: storeId ?? undefined };
}

export function buildCards(d: DashboardData, storeId: number | null, fmt: Formatters): Card[] {
  const prev = d.previous.label;
  const orders = withQuery('/orders', listParams(d.period, storeId));
  const store = { storeId: storeId ?? undefined };
  return [
    { id: 'orders', label: 'Orders', value: fmt.number(d.totals.orders), href: orders,
      change: change(d.totals.orders, d.previousTotals.orders, prev),
      note: `${fmt.number(d.totals.notCounted)} cancelled or refunded` },
    { id: 'revenue', label: 'Revenue', value: fmt.money(d.totals.revenue), href: orders,
      change: change(Number(d.totals.revenue), Number(d.previousTotals.revenue), prev) },
    { id: 'units', label: 'Units sold', value: fmt.number(d.totals.units), href: orders,
      change: change(d.totals.units, d.previousTotals.units, prev) },
    { id: 'customers', label: 'Customers', value: fmt.number(d.customers), href: '/customers',
      change: change(d.customers, d.previousCustomers, prev), note: 'who ordered in the period' },
    { id: 'products', label: 'Products', value: fmt.number(d.products), href: '/products', note: 'active in the catalogue' },
    { id: 'stock', label: 'Stock units', value: fmt.number(d.stockTotals.units), href: withQuery('/inventory', store), note: 'on hand now' },
    { id: 'low-stock', label: 'Low-stock items', value: fmt.number(d.stockTotals.lowStock), href: withQuery('/inventory', { lowStock: 'true', ...store }), note: 'available at or below reorder point' },
  ];
}

/** Short labels for the series axis: "Mar" for a month of the year, "14" for a day. */
function seriesLabel(period: string): string {
  const parts = period.split('-');
  return parts.length === 2 ? MONTHS[Number(parts[1]) - 1]!.slice(0, 3) : String(Number(parts[2]));
}

export interface ChartView { chart: ChartBlock; table: Table; csv: string }

const th = (text: string, num = false): Cell => ({ text, num });

/** Every chart with its table view and CSV link. `params` are the page's filters (year, month,
 * storeId), `list` the query of the lists behind the figures (from, to, storeId). */
export function buildCharts(d: DashboardData, fmt: Formatters, params: Record<string, unknown>, storeId: number | null): ChartView[] {
  const list = listParams(d.period, storeId);
  const csv = (chart: string) => withQuery('/dashboard', params, { format: 'csv', chart });
  const byMonth = d.period.month === null;
  const pct = (part: number, whole: number) => (whole ? `${((part / whole) * 100).toFixed(1)}%` : '—');

  const sales: ChartView = {
    chart: {
      id: 'sales', title: byMonth ? `Sales per month, ${d.period.label}` : `Sales per day, ${d.period.label}`,
      kind: 'sales', labels: d.sales.map((r) => seriesLabel(r.period)),
      series: [
        { label: 'Revenue', data: d.sales.map((r) => Number(r.revenue)), axis: 'left', type: 'bar' },
        { label: 'Orders', data: d.sales.map((r) => r.orders), axis: 'right', type: 'line' },
        { label: 'Units sold', data: d.sales.map((r) => r.units), axis: 'right', type: 'line' },
      ],
    },
    table: {
      head: [th(byMonth ? 'Month' : 'Day'), th('Orders', true), th('Units sold', true), th('Revenue', true)],
      // A period without orders says so rather than listing a column of zeros.
      rows: !d.totals.orders ? [] : d.sales.map((r) => {
        const [y, m] = r.period.split('-').map(Number);
        // A month opens that month's dashboard; a day opens its orders.
        const cell: Cell = byMonth
          ? { text: `${MONTHS[m! - 1]} ${y}`, href: withQuery('/dashboard', params, { month: m }) }
          : { text: fmt.date(`${r.period}T12:00:00Z`), href: withQuery('/orders', list, { from: r.period, to: r.period }) };
        return [cell, { text: fmt.number(r.orders), num: true }, { text: fmt.number(r.units), num: true }, { text: fmt.money(r.revenue), num: true }];
      }),
      foot: [th('Total'), th(fmt.number(d.totals.orders), true), th(fmt.number(d.totals.units), true), th(fmt.money(d.totals.revenue), true)],
      empty: 'No orders in this period.',
    },
    csv: csv('sales'),
  };

  const top = (id: string, title: string, rows: DashboardData['topUnits'], by: 'units' | 'revenue'): ChartView => ({
    chart: { id, title, kind: 'hbar', labels: rows.map((r) => r.productName), series: [{ label: by === 'units' ? 'Units sold' : 'Revenue', data: rows.map((r) => Number(r[by])) }] },
    table: {
      head: [th('Product'), th('Orders', true), th('Units sold', true), th('Revenue', true)],
      rows: rows.map((r) => [{ text: r.productName, href: `/products/${r.productId}` }, { text: fmt.number(r.orders), num: true },
        { text: fmt.number(r.units), num: true }, { text: fmt.money(r.revenue), num: true }]),
      empty: 'No products sold in this period.',
    },
    csv: csv(id),
  });

  const orderTotal = d.orderStatus.reduce((a, r) => a + r.orders, 0);
  const shipmentTotal = d.shipmentStatus.reduce((a, r) => a + r.shipments, 0);
  return [
    sales,
    top('top-units', 'Top products by units', d.topUnits, 'units'),
    top('top-revenue', 'Top products by revenue', d.topRevenue, 'revenue'),
    {
      chart: { id: 'order-status', title: 'Orders by status', kind: 'doughnut', labels: d.orderStatus.map((r) => r.orderStatus), series: [{ label: 'Orders', data: d.orderStatus.map((r) => r.orders) }] },
      table: {
        head: [th('Status'), th('Orders', true), th('Share', true)],
        rows: !orderTotal ? [] : d.orderStatus.map((r) => [{ text: r.orderStatus, href: withQuery('/orders', list, { status: r.orderStatus }) },
          { text: fmt.number(r.orders), num: true }, { text: pct(r.orders, orderTotal), num: true }]),
        foot: [th('Total'), th(fmt.number(orderTotal), true), th('')],
        empty: 'No orders in this period.',
      },
      csv: csv('order-status'),
    },
    {
      chart: { id: 'shipment-status', title: 'Shipments by status', kind: 'doughnut', labels: d.shipmentStatus.map((r) => r.shipmentStatus), series: [{ label: 'Shipments', data: d.shipmentStatus.map((r) => r.shipments) }] },
      table: {
        head: [th('Status'), th('Shipments', true), th('Share', true)],
        rows: !shipmentTotal ? [] : d.shipmentStatus.map((r) => [{ text: r.shipmentStatus, href: withQuery('/shipments', list, { status: r.shipmentStatus }) },
          { text: fmt.number(r.shipments), num: true }, { text: pct(r.shipments, shipmentTotal), num: true }]),
        foot: [th('Total'), th(fmt.number(shipmentTotal), true), th('')],
        empty: 'No shipments created in this period.',
      },
      csv: csv('shipment-status'),
    },
    {
      chart: { id: 'stock-value', title: 'Stock value by store (now)', kind: 'bar', labels: d.stock.map((r) => r.storeName), series: [{ label: 'Value', data: d.stock.map((r) => Number(r.value)) }] },
      table: {
        head: [th('Store'), th('Items', true), th('Units on hand', true), th('Value', true), th('Low stock', true)],
        rows: d.stock.map((r) => [{ text: r.storeName, href: withQuery('/inventory', { storeId: r.storeId }) }, { text: fmt.number(r.items), num: true },
          { text: fmt.number(r.units), num: true }, { text: fmt.money(r.value), num: true },
          { text: fmt.number(r.lowStock), num: true, href: withQuery('/inventory', { lowStock: 'true', storeId: r.storeId }) }]),
        foot: [th('Total'), th(fmt.number(d.stockTotals.items), true), th(fmt.number(d.stockTotals.units), true), th(fmt.money(d.stockTotals.value), true), th(fmt.number(d.stockTotals.lowStock), true)],
        empty: 'No stores.',
      },
      csv: csv('stock-value'),
    },
  ];
}

/** The most urgent low-stock rows, as a table. */
export function lowStockTable(d: DashboardData, fmt: Formatters): Table {
  return {
    head: [th('Store'), th('Product'), th('On hand', true), th('Reserved', true), th('Available', true), th('Reorder point', true)],
    rows: d.lowStock.map((r) => [{ text: r.storeName, href: withQuery('/inventory', { storeId: r.storeId, lowStock: 'true' }) },
      { text: r.productName, href: withQuery('/inventory', { storeId: r.storeId, productId: r.productId }) },
      { text: fmt.number(r.onHand), num: true }, { text: fmt.number(r.reserved), num: true },
      { text: fmt.number(r.available), num: true }, { text: fmt.number(r.reorderPoint), num: true }]),
    empty: 'Nothing is below its reorder point.',
  };
}

/** JSON that is safe inside <script type="application/json">: no "</script>" or "<!--" can end
 * or confuse the element, whatever the product or store names contain. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}
