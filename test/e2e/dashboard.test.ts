// The dashboard in a real browser: every chart is drawn (Chart.js instances with data, pixels on
// the canvas), changing the period and the store swaps cards and charts in place without a
// reload (a marker set on window survives), the URL follows, and the back button restores the
// previous period. No console errors, page errors or CSP violations along the way.
import t, { type Test } from 'tap';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { BrowserErrors, SCREENSHOT_DIR, launchBrowser, startServer, type RunningServer } from './server.ts';
import { csvLines } from '../csv-rows.ts';

const CHARTS = ['sales', 'top-units', 'top-revenue', 'order-status', 'shipment-status', 'stock-value'];

let server: RunningServer;
let browser: Browser;
let page: Page;
let errors: BrowserErrors;

t.before(async () => {
  const started = Date.now();
  [server, browser] = await Promise.all([startServer({ seedDemo: true }), launchBrowser()]);
  t.comment(`server ${server.baseUrl} ready in ${Date.now() - started} ms; chromium ${browser.version()}`);
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const context = await browser.newContext({ baseURL: server.baseUrl, viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  errors = await BrowserErrors.watch(page);
});

t.teardown(async () => {
  await browser?.close().catch(() => {});
  await server?.stop();
});

async function screenshot(tt: Test, name: string) {
  await page.waitForTimeout(400); // let the charts' short animation finish
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  tt.comment(`screenshot: ${path.relative(process.cwd(), file)}`);
}

interface DrawnChart { id: string; type: string; labels: number; points: number; painted: boolean }

/** The Chart.js instances on the page, once all six are drawn for the content on screen. */
async function drawnCharts(period: string, store: string): Promise<DrawnChart[]> {
  await page.waitForFunction(([p, s]) => {
    const content = document.getElementById('dashboard-content');
    const charts = (window as unknown as { dashboardCharts?: { charts(): Array<{ canvas: HTMLCanvasElement }> } }).dashboardCharts?.charts() ?? [];
    return !!content && content.dataset.period === p && content.dataset.store === s
      && charts.length === 6 && charts.every((c) => c.canvas.isConnected && content!.contains(c.canvas));
  }, [period, store]);
  return page.evaluate(() => {
    const charts = (window as unknown as { dashboardCharts: { charts(): Array<{ canvas: HTMLCanvasElement; config: { type: string }; data: { labels: unknown[]; datasets: Array<{ data: unknown[] }> } }> } }).dashboardCharts.charts();
    return charts.map((c) => {
      // Some pixel of the canvas is not transparent: the chart was really painted.
      const ctx = c.canvas.getContext('2d')!;
      const pixels = ctx.getImageData(0, 0, c.canvas.width, c.canvas.height).data;
      let painted = false;
      for (let i = 3; i < pixels.length; i += 4 * 7) if (pixels[i]! > 0) { painted = true; break; }
      return { id: (c.canvas.dataset.chart ?? '').replace('dashboard-data-', ''), type: c.config.type, labels: c.data.labels.length, points: c.data.datasets[0]!.data.length, painted };
    });
  });
}

const heading = () => page.locator('#dashboard-heading').innerText();
const ordersCard = () => page.locator('#dashboard-card-orders strong').innerText();

t.test('the dashboard draws its charts and follows the period and store pickers', async (tt) => {
  await page.goto('/login');
  await page.locator('input[name="email"]').fill(server.admin.email);
  await page.locator('input[name="password"]').fill(server.admin.password);
  await Promise.all([page.waitForURL((u) => u.pathname === '/dashboard'), page.getByRole('button', { name: 'Sign in', exact: true }).click()]);

  const year = await page.locator('#dashboard-year').inputValue();
  const charts = await drawnCharts(`${year}-01-01`, '');
  tt.same(charts.map((c) => c.id).sort(), [...CHARTS].sort(), 'six charts drawn');
  for (const c of charts) {
    tt.ok(c.painted, `${c.id} painted on its canvas`);
    tt.ok(c.points > 0 && c.points === c.labels, `${c.id} has data (${c.points} points)`);
  }
  tt.equal(charts.find((c) => c.id === 'sales')!.points, 12, 'sales: one point per month');
  tt.equal(charts.find((c) => c.id === 'order-status')!.type, 'doughnut');
  const yearOrders = await ordersCard();
  tt.match(await heading(), `${year} · All stores`);
  await screenshot(tt, 'dashboard-year');

  // The table view and the CSV behind a chart.
  await page.locator('#dashboard-sales summary').click();
  tt.ok(await page.locator('#dashboard-sales table').isVisible(), 'the sales table opens');
  const csvHref = await page.locator('#dashboard-sales footer a').getAttribute('href');
  const csv = await page.request.get(csvHref!);
  tt.equal(csv.status(), 200);
  tt.match(csv.headers()['content-type'], 'text/csv');
  tt.equal(csvLines(await csv.text())[0], 'period,orders,units,revenue');

  await page.evaluate(() => { (window as unknown as { e2eMarker: string }).e2eMarker = 'still here'; });
  const marker = () => page.evaluate(() => (window as unknown as { e2eMarker?: string }).e2eMarker);

  // A month: cards and charts swap in place, the URL follows.
  await page.locator('#dashboard-month').selectOption('3');
  const march = await drawnCharts(`${year}-03-01`, '');
  tt.equal(march.find((c) => c.id === 'sales')!.points, 31, 'sales: one point per day of March');
  tt.match(await heading(), `March ${year}`);
  tt.not(await ordersCard(), yearOrders, 'the orders card changed');
  tt.equal(await marker(), 'still here', 'no full reload');
  tt.match(page.url(), /month=3/, 'the month is in the URL');
  await screenshot(tt, 'dashboard-march');

  // A store.
  const store = page.locator('#dashboard-store option').nth(1);
  const [storeId, storeName] = [await store.getAttribute('value'), (await store.innerText()).trim()];
  await page.locator('#dashboard-store').selectOption(storeId!);
  await drawnCharts(`${year}-03-01`, storeId!);
  tt.match(await heading(), `March ${year} · ${storeName}`);
  tt.equal(await marker(), 'still here', 'still no full reload');
  tt.match(page.url(), new RegExp(`storeId=${storeId}`), 'the store is in the URL');
  tt.match(await page.locator('#dashboard-card-orders').getAttribute('href') ?? '', `storeId=${storeId}`, 'the cards link to that store\'s lists');
  await screenshot(tt, 'dashboard-march-store');

  // Back: the previous period and store come back, charts drawn again.
  await page.goBack();
  const back = await drawnCharts(`${year}-03-01`, '');
  tt.match(await heading(), `March ${year} · All stores`, 'back to March, all stores');
  tt.equal(await page.locator('#dashboard-store').inputValue(), '', 'the store picker is restored');
  tt.ok(back.every((c) => c.painted), 'charts painted again');
  await page.goBack();
  await drawnCharts(`${year}-01-01`, '');
  tt.match(await heading(), `${year} · All stores`, 'back to the whole year');
  tt.equal(await page.locator('#dashboard-month').inputValue(), '');
  tt.equal(await ordersCard(), yearOrders);
  await screenshot(tt, 'dashboard-back');

  tt.same(errors.take(), [], 'no console errors, page errors or CSP violations');
});
