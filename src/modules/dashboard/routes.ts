// The dashboard: cards, charts and tables for a period (a year, or a month of it) and a store
// selection. The filter form swaps #dashboard-content in place with htmx and keeps the choice in
// the URL; every chart's rows download as CSV (?format=csv&chart=…).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { wantsCsv } from '../../lib/csv.ts';
import { createFormatters, withQuery } from '../../lib/format.ts';
import { notFound } from '../../lib/errors.ts';
import { ensureRollups } from '../reports/refresh.ts';
import { MAX_YEAR, MIN_YEAR, MONTHS, currentYear, defaultYear, makePeriod, optionalInt, resolveScope } from '../reports/params.ts';
import { parseChart, sendChartCsv } from '../reports/tables.ts';
import { loadDashboard, storeOptions, yearsInScope } from './repository.ts';
import { buildCards, buildCharts, lowStockTable, scriptJson } from './view.ts';
import { memo } from '../../lib/memo.ts';

type DashboardQuery = { year?: string; month?: string; storeId?: string; format?: string; chart?: string };

export default async function dashboardRoutes(app: FastifyInstance) {
  const fmt = createFormatters(app.config.timeZone);
  app.get('/dashboard', async function showDashboard(req: FastifyRequest<{ Querystring: DashboardQuery }>, reply) {
    const q = req.query;
    const storeId = optionalInt(q.storeId, 'storeId', 1, 2_147_483_647);
    const scope = resolveScope(req.user, storeId);
    const month = optionalInt(q.month, 'month', 1, 12);
    let year = optionalInt(q.year, 'year', MIN_YEAR, MAX_YEAR);
    const chart = wantsCsv(q) ? parseChart(q.chart) : null;

    const { version } = await ensureRollups(app.db, app.config.timeZone);
    const [stores, years] = await Promise.all([storeOptions(app.db, version, scope), yearsInScope(app.db, version, scope)]);
    if (storeId !== null && !stores.some((s) => s.storeId === storeId)) throw notFound('The store');
    year ??= defaultYear(years, currentYear(app.config.timeZone));
    const period = makePeriod(year, month);
    if (chart) return sendChartCsv(reply, app.db, chart, scope.selection, period, storeId);

    const params = { year, month: month ?? undefined, storeId: storeId ?? undefined };
    const storeName = storeId === null ? null : stores.find((s) => s.storeId === storeId)!.storeName;
    const allStoresLabel = scope.allowed === 'all' ? 'All stores' : 'All my stores';
    // The figures' markup depends only on the rollup version, the user's store scope and the
    // choice made, never on who asks (no token or name in it): rendered once, then reused.
    const content = await memo(app.db, version, `content|${scope.allowed === 'all' ? 'all' : scope.allowed.join(',')}|${year}|${month}|${storeId}`, async () => {
      const data = await loadDashboard(app.db, version, scope.selection, period);
      return app.view('dashboard/_figures', {
        data, params, storeName, allStoresLabel, withQuery, scriptJson,
        cards: buildCards(data, storeId, fmt),
        charts: buildCharts(data, fmt, params, storeId),
        lowStock: lowStockTable(data, fmt),
      });
    });
    // The year asked for is offered even without orders, so the picker shows what is on screen.
    const yearOptions = [...new Set([...years, year])].sort((a, b) => b - a);
    return reply.page('dashboard/index', {
      title: 'Dashboard', content, params, stores, allStoresLabel, yearOptions, months: MONTHS,
    }, { fragment: 'dashboard/_content' });
  });
}
