// Every main page, reached the way each kind of user reaches it (issue 7.6): the anonymous
// visitor (landing, shop, cart, sign-in, registration, password reset), a customer (account,
// checkout, their order), a staff member (dashboard, placing, paying and shipping an order,
// inline stock receipt, what they may not open) and an administrator (every list, detail and
// form of the back office, reports, users, audit, imports). Each page is saved as a full-page
// screenshot under test/e2e/screenshots/page-<name>.png and checked with axe-core: no
// "serious" or "critical" violation anywhere (pages showing the app's status colours are checked
// in the system's dark mode too). The pages keep their CSP (axe is evaluated through the
// DevTools protocol; an injected <script> is refused, checked below). The roles' browser windows
// run side by side against the one server; E2E_TIMINGS=1 prints screenshot and axe times.
import t, { type Test } from 'tap';
import type { Browser, Page } from 'playwright-core';
import {
  AXE_PATH, BrowserErrors, accountOf, axeViolations, htmxResponse, launchBrowser, mailTo, resetLinkFrom,
  saveScreenshot, severe, signIn, startServer, stockedProducts, submitForm, type AxeViolation, type RunningServer, type StockedProduct,
} from './server.ts';

const RUN = Date.now().toString(36).slice(-5);

/** The pages this file must have screenshotted and checked by the end (a journey that stops
 * early leaves some out, and the last test says which). */
const MAIN_PAGES = [
  // anonymous
  'landing', 'shop', 'cart', 'login', 'register', 'register-errors', 'forgot-password', 'reset-password', 'reset-link-invalid', 'not-found',
  // customer
  'account', 'checkout-cart', 'account-order', 'account-password', 'backoffice-forbidden',
  // staff
  'staff-dashboard', 'orders-new', 'orders-new-errors', 'order-open', 'order-paid', 'shipment', 'packing-slip', 'invoice',
  'inventory-inline-receive', 'staff-users-forbidden',
  // admin
  'dashboard', 'customers', 'customers-search', 'customer', 'customer-edit', 'customer-new', 'customers-shipment-status',
  'products', 'products-filtered', 'product', 'product-edit', 'product-new', 'product-new-errors',
  'inventory', 'inventory-low-stock', 'inventory-movements', 'inventory-receive', 'inventory-adjust', 'inventory-transfer-new', 'inventory-transfer',
  'inventory-reports', 'report-order-lines', 'report-store-products', 'report-delivered-units', 'inventory-verify',
  'orders', 'orders-filtered', 'orders-by-store', 'order-complete', 'shipments',
  'stores', 'store', 'store-edit', 'store-new', 'users', 'user-new', 'user', 'user-edit', 'audit', 'audit-filtered',
  'imports', 'import-new', 'import-preview', 'import-done',
  // the same in the system's dark mode, where the app's status colours show
  'shop-dark', 'register-errors-dark', 'dashboard-dark', 'inventory-low-stock-dark', 'product-new-errors-dark', 'order-complete-dark', 'import-preview-dark',
];

interface Session { role: string; page: Page; errors: BrowserErrors }
interface Audited { role: string; name: string; path: string; status: number; file: string; violations: AxeViolation[] }

let server: RunningServer;
let browser: Browser;
const sessions: Record<string, Session> = {};
const audited: Audited[] = [];

async function openSession(role: string): Promise<Session> {
  const context = await browser.newContext({ baseURL: server.baseUrl, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('dialog', (d) => void d.accept());
  return { role, page, errors: await BrowserErrors.watch(page) };
}

t.before(async () => {
  const started = Date.now();
  [server, browser] = await Promise.all([startServer({ seedDemo: true }), launchBrowser()]);
  t.comment(`server ${server.baseUrl} ready in ${Date.now() - started} ms; chromium ${browser.version()}`);
  // One browser window (context) per role; the administrator's pages are shared by two windows.
  for (const [window, role] of [['anonymous', 'anonymous'], ['customer', 'customer'], ['staff', 'staff'], ['admin', 'admin'], ['admin-2', 'admin']]) {
    sessions[window!] = await openSession(role!);
  }
});

t.teardown(async () => {
  await browser?.close().catch(() => {});
  await server?.stop();
});

/** The journeys of each browser window, in order; the windows run side by side (below). */
const plan = new Map<string, Array<{ name: string; fn: (tt: Test, s: Session) => Promise<void> }>>();

/** One journey in a window: a subtest ending with no browser errors in that window. */
function journey(window: string, name: string, fn: (tt: Test, s: Session) => Promise<void>) {
  plan.set(window, [...(plan.get(window) ?? []), { name, fn }]);
}

const describe = (v: AxeViolation) => `${v.id} [${v.impact}] ${v.help}: ${v.nodes.join(' | ')}`;

/** The page as it is now: a screenshot, and axe with no serious or critical violation.
 * `dark`: the same again with the system in dark mode (Pico follows it; the app's own status
 * colours must too) — done for the pages that show those colours. */
async function check(tt: Test, s: Session, name: string, status = 200, opts: { dark?: boolean } = {}) {
  await checkScheme(tt, s, name, status);
  if (!opts.dark) return;
  await s.page.emulateMedia({ colorScheme: 'dark' });
  try {
    await checkScheme(tt, s, `${name}-dark`, status);
  } finally {
    await s.page.emulateMedia({ colorScheme: 'light' });
  }
}

async function checkScheme(tt: Test, s: Session, name: string, status: number) {
  const p = s.page;
  tt.ok(await p.locator('h1').count() >= 1, `${name}: the page has a main heading`);
  const t0 = Date.now();
  const file = await saveScreenshot(p, `page-${name}`);
  const t1 = Date.now();
  const violations = await axeViolations(p);
  if (process.env.E2E_TIMINGS) tt.comment(`timing ${name}: screenshot ${t1 - t0} ms, axe ${Date.now() - t1} ms, dom ${await p.evaluate(() => document.getElementsByTagName('*').length)} elements`);
  tt.same(severe(violations).map(describe), [], `${name}: no serious or critical accessibility violations`);
  const minor = violations.filter((v) => !severe([v]).length);
  tt.comment(`screenshot: ${file}${minor.length ? ` · axe, minor: ${minor.map((v) => `${v.id} [${v.impact}]`).join(', ')}` : ''}`);
  audited.push({ role: s.role, name, path: new URL(p.url()).pathname + new URL(p.url()).search, status, file, violations });
}

/** Opens `url`, expects `status`, then checks the page. `ready` waits for content loaded after it. */
async function visit(tt: Test, s: Session, url: string, name: string, opts: { status?: number; dark?: boolean; ready?: (p: Page) => Promise<unknown> } = {}) {
  const status = opts.status ?? 200;
  const open = () => s.page.goto(url);
  const response = status === 200 ? await open() : await s.errors.expectStatus(status, open);
  tt.equal(response?.status(), status, `${url} answers ${status}`);
  await opts.ready?.(s.page);
  await check(tt, s, name, status, { dark: opts.dark });
}

const idFromUrl = (p: Page) => Number(new URL(p.url()).pathname.split('/').filter(Boolean)[1]);

t.test('the pages keep their CSP: an injected inline script is refused', async (tt) => {
  const context = await browser.newContext({ baseURL: server.baseUrl });
  const page = await context.newPage();
  await page.goto('/login');
  const refused = await page.addScriptTag({ path: AXE_PATH }).then(() => null, (err: Error) => err.message);
  tt.match(refused, /Content Security Policy/, 'page.addScriptTag (an inline <script>) is blocked by script-src \'self\'');
  tt.equal(await page.evaluate(() => 'axe' in window), false, 'so axe is not on the page that way');
  await context.close();
});

// ---------------------------------------------------------------- anonymous

let resetLink = '';

journey('anonymous', 'landing, shop, cart, checkout asks to sign in; registration and password reset pages', async (tt, s) => {
  const p = s.page;
  await visit(tt, s, '/', 'landing');
  await p.getByRole('link', { name: 'Sign in', exact: true }).first().waitFor();

  await visit(tt, s, '/shop', 'shop', { dark: true });
  const brand = await p.locator('#shop-brand option').nth(1).innerText();
  await htmxResponse(p, (u) => u.searchParams.get('brand') === brand, () => p.locator('#shop-brand').selectOption({ index: 1 }));
  await p.waitForURL((u) => u.searchParams.get('brand') === brand);
  const card = p.locator('#shop-products article').filter({ has: p.getByRole('button', { name: 'Add to cart', disabled: false }) }).first();
  const added = await submitForm(p, card.getByRole('button', { name: 'Add to cart' }), '/cart/items');
  tt.equal(added.status(), 303, 'a product goes into the cart');
  await p.waitForURL((u) => u.pathname === '/cart');
  await check(tt, s, 'cart');

  await submitForm(p, p.getByRole('button', { name: /^Place order at/ }), '/checkout');
  await p.waitForURL((u) => u.pathname === '/login');
  tt.match(await p.locator('#flash').innerText(), 'Sign in or create an account');
  await check(tt, s, 'login');

  await p.getByRole('link', { name: 'Create a customer account' }).click();
  await p.waitForURL((u) => u.pathname === '/register');
  await check(tt, s, 'register');
  await p.locator('#field-email').fill('not-an-email');
  await p.locator('#field-password').fill('short');
  const refused = await s.errors.expectStatus(422, () => submitForm(p, p.getByRole('button', { name: 'Create account' }), '/register'));
  tt.equal(refused.status(), 422, 'an incomplete registration: 422 with messages');
  tt.ok(await p.locator('.field-error').count() >= 2, 'each bad field says why');
  await check(tt, s, 'register-errors', 422, { dark: true });

  await visit(tt, s, '/forgot-password', 'forgot-password');
  const asked = Date.now() - 1_000;
  await p.locator('#field-email').fill(accountOf(server, 'customer').email);
  await submitForm(p, p.getByRole('button', { name: 'Send reset link' }), '/forgot-password');
  const mail = await mailTo(server.mailDir, accountOf(server, 'customer').email, asked);
  resetLink = resetLinkFrom(mail.text) ?? '';
  tt.ok(resetLink, 'the reset mail has a link');
  await visit(tt, s, resetLink, 'reset-password');
  tt.equal(await p.getByRole('button', { name: 'Change password' }).count(), 1, 'the reset form');
  await visit(tt, s, '/reset-password?token=not-a-real-token', 'reset-link-invalid', { status: 400 });
  await visit(tt, s, `/no-such-page-${RUN}`, 'not-found', { status: 404 });
});

// ---------------------------------------------------------------- customer

journey('customer', 'signs in, orders from the shop, follows the order; the back office is closed', async (tt, s) => {
  const p = s.page;
  await signIn(p, accountOf(server, 'customer'));
  await p.waitForURL((u) => u.pathname === '/account');
  await check(tt, s, 'account');

  await p.goto('/shop?inStock=on');
  const card = p.locator('#shop-products article').first();
  await submitForm(p, card.getByRole('button', { name: 'Add to cart' }), '/cart/items');
  await p.waitForURL((u) => u.pathname === '/cart');
  await check(tt, s, 'checkout-cart');
  const placed = await submitForm(p, p.getByRole('button', { name: /^Place order at/ }), '/checkout');
  tt.equal(placed.status(), 303, 'checkout places the order');
  await p.waitForURL(/\/account\/orders\/\d+$/);
  tt.equal(await p.locator('#shop-order-status').innerText(), 'OPEN');
  await check(tt, s, 'account-order');

  await p.getByRole('link', { name: '← All your orders' }).click();
  await p.waitForURL((u) => u.pathname === '/account');
  tt.equal(await p.locator('#account-orders tbody tr').count(), 1, 'the account lists the order');
  await p.getByRole('link', { name: 'Change password' }).click();
  await p.waitForURL((u) => u.pathname === '/account/password');
  await check(tt, s, 'account-password');

  await visit(tt, s, '/customers', 'backoffice-forbidden', { status: 403 });
});

// ---------------------------------------------------------------- staff

let staffOrder = 0;

journey('staff', 'dashboard, places an order, pays and ships it, receives stock inline; users are closed', async (tt, s) => {
  const p = s.page;
  await signIn(p, accountOf(server, 'staff'));
  await p.waitForURL((u) => u.pathname === '/dashboard');
  await p.waitForFunction(() => ((window as unknown as { dashboardCharts?: { charts(): unknown[] } }).dashboardCharts?.charts().length ?? 0) === 6);
  await check(tt, s, 'staff-dashboard');

  await p.getByRole('link', { name: 'Orders', exact: true }).first().click();
  await p.waitForURL((u) => u.pathname === '/orders');
  await p.getByRole('button', { name: 'New order' }).click();
  await p.waitForURL((u) => u.pathname === '/orders/new');
  await check(tt, s, 'orders-new');
  const storeId = (await p.locator('#orders-store option:not([value=""])').first().getAttribute('value'))!;
  const [product] = await stockedProducts(p, storeId, 1);
  await p.goto(`/orders/new?storeId=${storeId}`);
  await p.locator('#orders-line-0-product').fill(product!.sku);
  await p.locator('#orders-line-0-quantity').fill('1');
  const missing = await s.errors.expectStatus(422, () => submitForm(p, p.locator('#orders-new-submit'), '/orders'));
  tt.equal(missing.status(), 422, 'no customer: refused with a message');
  await check(tt, s, 'orders-new-errors', 422);
  await p.locator('#orders-new-customer').fill('1');
  const placed = await submitForm(p, p.locator('#orders-new-submit'), '/orders');
  tt.equal(placed.status(), 303, `order placed for customer 1 (${product!.sku})`);
  await p.waitForURL(/\/orders\/\d+$/);
  staffOrder = idFromUrl(p);
  await check(tt, s, 'order-open');

  await htmxResponse(p, (u, m) => m === 'POST' && u.pathname.endsWith('/actions/pay'), () => p.getByRole('button', { name: 'Mark paid' }).click());
  await p.locator('#orders-ship-form').waitFor();
  await check(tt, s, 'order-paid');
  await p.locator('#orders-delivery-address').fill(`${RUN} Page Street`);
  await submitForm(p, p.getByRole('button', { name: 'Create shipment' }), `/orders/${staffOrder}/shipments`);
  await p.locator('#orders-shipments-table tbody tr a').first().click();
  await p.waitForURL(/\/shipments\/\d+$/);
  await check(tt, s, 'shipment');
  await p.getByRole('button', { name: 'Packing slip' }).click();
  await p.waitForURL(/\/packing-slip$/);
  await check(tt, s, 'packing-slip');
  await visit(tt, s, `/orders/${staffOrder}/invoice`, 'invoice');

  // Stock received inline on the inventory list.
  await p.goto(`/inventory?storeId=${storeId}&productId=${product!.productId}`);
  const rowId = `#inventory-row-${storeId}-${product!.productId}`;
  await p.locator(`${rowId} summary`).click();
  await htmxResponse(p, (u) => u.pathname.endsWith('/receive'), () => p.locator(rowId).getByRole('link', { name: 'Receive' }).click());
  await p.locator(`${rowId} form`).waitFor();
  await check(tt, s, 'inventory-inline-receive');
  await p.locator(`${rowId} input[name="quantity"]`).fill('5');
  await htmxResponse(p, (u, m) => m === 'POST' && u.pathname.endsWith('/receive'), () => p.locator(rowId).getByRole('button', { name: /Receive/ }).click());
  await p.locator(`${rowId} summary`).waitFor();
  tt.pass('the row is back, updated');

  await visit(tt, s, '/users', 'staff-users-forbidden', { status: 403 });
});

// ---------------------------------------------------------------- admin

journey('admin', 'dashboard, customers and products: lists, search, filters, details and forms', async (tt, s) => {
  const p = s.page;
  await signIn(p, accountOf(server, 'admin'));
  await p.waitForURL((u) => u.pathname === '/dashboard');
  await p.waitForFunction(() => ((window as unknown as { dashboardCharts?: { charts(): unknown[] } }).dashboardCharts?.charts().length ?? 0) === 6);
  await check(tt, s, 'dashboard', 200, { dark: true });

  await visit(tt, s, '/customers', 'customers', { ready: (pg) => pg.locator('#customers-shipment-summary .cards').waitFor() });
  await htmxResponse(p, (u) => u.searchParams.get('q') === 'mar', () => p.locator('#customers-q').fill('mar'));
  await p.waitForURL((u) => u.searchParams.get('q') === 'mar');
  await check(tt, s, 'customers-search');
  await p.locator('#customers-rows tbody tr a').first().click();
  await p.waitForURL(/\/customers\/\d+$/);
  await check(tt, s, 'customer');
  await p.getByRole('button', { name: 'Edit', exact: true }).click();
  await p.waitForURL(/\/customers\/\d+\/edit$/);
  await check(tt, s, 'customer-edit');
  await visit(tt, s, '/customers/new', 'customer-new');
  await visit(tt, s, '/customers/shipment-status', 'customers-shipment-status');

  await visit(tt, s, '/products', 'products');
  await htmxResponse(p, (u) => !!u.searchParams.get('brand'), () => p.locator('#products-brand').selectOption({ index: 1 }));
  await p.waitForURL((u) => !!u.searchParams.get('brand'));
  await check(tt, s, 'products-filtered');
  await p.locator('#products-table tbody tr a').first().click();
  await p.waitForURL(/\/products\/\d+$/);
  await check(tt, s, 'product');
  await p.getByRole('button', { name: 'Edit', exact: true }).click();
  await p.waitForURL(/\/products\/\d+\/edit$/);
  await check(tt, s, 'product-edit');
  await visit(tt, s, '/products/new', 'product-new');
  await p.locator('#field-unitPrice').fill('abc');
  await s.errors.expectStatus(422, () => submitForm(p, p.getByRole('button', { name: 'Create product' }), '/products'));
  await check(tt, s, 'product-new-errors', 422, { dark: true });
});

journey('admin-2', 'inventory: stock, low stock, movements, receipt, adjustment, a transfer, reports, the stock check', async (tt, s) => {
  const p = s.page;
  await signIn(p, accountOf(server, 'admin'));
  await visit(tt, s, '/inventory', 'inventory');
  const first = p.locator('#inventory-table tbody tr').first();
  const [, storeId] = /inventory-row-(\d+)-(\d+)/.exec((await first.getAttribute('id'))!)!;
  const [{ productId, sku }] = await stockedProducts(p, storeId!, 1) as [StockedProduct];
  await p.goto('/inventory');
  await p.getByRole('link', { name: 'Low stock' }).click();
  await p.waitForURL((u) => u.searchParams.get('lowStock') === 'true');
  await check(tt, s, 'inventory-low-stock', 200, { dark: true });
  await p.getByRole('link', { name: 'Movements' }).click();
  await p.waitForURL((u) => u.pathname === '/inventory/movements');
  await check(tt, s, 'inventory-movements');
  await p.getByRole('link', { name: 'Receive stock' }).click();
  await p.waitForURL((u) => u.pathname === '/inventory/receive');
  await check(tt, s, 'inventory-receive');
  await visit(tt, s, `/inventory/${storeId}/${productId}/adjust`, 'inventory-adjust');

  await visit(tt, s, '/inventory/transfers/new', 'inventory-transfer-new');
  const from = p.locator('select[name="fromStoreId"]');
  await from.selectOption(storeId!);
  await p.locator('select[name="toStoreId"]').selectOption({ index: 2 });
  if (await p.locator('select[name="toStoreId"]').inputValue() === storeId) await p.locator('select[name="toStoreId"]').selectOption({ index: 1 });
  await p.locator('#field-sku_0').fill(sku);
  await p.locator('#field-quantity_0').fill('1');
  const moved = await submitForm(p, p.getByRole('button', { name: 'Transfer', exact: true }), '/inventory/transfers/new');
  tt.equal(moved.status(), 303, `one unit of ${sku} transferred`);
  await p.waitForURL(/\/inventory\/transfers\/[0-9a-f-]{36}$/);
  await check(tt, s, 'inventory-transfer');

  await visit(tt, s, '/inventory/reports', 'inventory-reports');
  await visit(tt, s, '/inventory/reports/order-lines?orderId=1', 'report-order-lines');
  await visit(tt, s, '/inventory/reports/store-products', 'report-store-products');
  await visit(tt, s, '/inventory/reports/delivered-units', 'report-delivered-units');
  await visit(tt, s, '/inventory/verify', 'inventory-verify');
});

journey('admin', 'orders and shipments: lists, filters, orders by store, a finished order', async (tt, s) => {
  const p = s.page;
  await visit(tt, s, '/orders', 'orders');
  await htmxResponse(p, (u) => u.searchParams.get('status') === 'COMPLETE', () => p.locator('#orders-status-filter').selectOption('COMPLETE'));
  await p.waitForURL((u) => u.searchParams.get('status') === 'COMPLETE');
  await check(tt, s, 'orders-filtered');
  await p.locator('#orders-results tbody tr a[href^="/orders/"]').first().click();
  await p.waitForURL(/\/orders\/\d+$/);
  tt.equal(await p.locator('#orders-status-value').innerText(), 'COMPLETE');
  await p.getByText('Refund', { exact: true }).click();
  await check(tt, s, 'order-complete', 200, { dark: true });
  await visit(tt, s, '/orders/by-store', 'orders-by-store');
  await visit(tt, s, '/shipments', 'shipments');
});

journey('admin-2', 'stores, users, audit and imports', async (tt, s) => {
  const p = s.page;
  await visit(tt, s, '/stores', 'stores');
  await p.locator('#stores-rows tbody tr a').first().click();
  await p.waitForURL(/\/stores\/\d+$/);
  await check(tt, s, 'store');
  await p.getByRole('button', { name: 'Edit', exact: true }).click();
  await p.waitForURL(/\/stores\/\d+\/edit$/);
  await check(tt, s, 'store-edit');
  await visit(tt, s, '/stores/new', 'store-new');

  await visit(tt, s, '/users', 'users');
  await p.getByRole('button', { name: 'New user' }).click();
  await p.waitForURL((u) => u.pathname === '/users/new');
  await check(tt, s, 'user-new');
  await p.locator('#field-email').fill(`pat.${RUN}@e2e.example.com`);
  await p.locator('#field-fullName').fill(`Pat Pages ${RUN}`);
  await p.locator('#field-storeIds input[type="checkbox"]').first().check();
  const created = await submitForm(p, p.getByRole('button', { name: 'Create user' }), '/users');
  tt.equal(created.status(), 303, 'a staff member is created (a password link is mailed)');
  await p.waitForURL(/\/users\/\d+$/);
  await check(tt, s, 'user');
  await p.getByRole('button', { name: 'Edit', exact: true }).click();
  await p.waitForURL(/\/users\/\d+\/edit$/);
  await check(tt, s, 'user-edit');

  await visit(tt, s, '/audit', 'audit');
  await htmxResponse(p, (u) => u.searchParams.get('entity') === 'user', () => p.locator('#audit-entity').selectOption('user'));
  await p.waitForURL((u) => u.searchParams.get('entity') === 'user');
  await check(tt, s, 'audit-filtered');

  await visit(tt, s, '/imports', 'imports');
  await visit(tt, s, '/imports/new?kind=customers', 'import-new');
  const csv = `email_address,full_name\nimported.${RUN}@e2e.example.com,Ida Imported ${RUN}\nnot-an-email,Bad Row ${RUN}\n`;
  await p.locator('#imports-file').setInputFiles({ name: `customers-${RUN}.csv`, mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await Promise.all([p.waitForURL(/\/imports\/\d+/), p.getByRole('button', { name: 'Upload and check' }).click()]);
  await p.locator('#imports-apply-form').waitFor();
  tt.match(await p.locator('#flash').innerText(), 'Checked 2 rows: 1 ready to import, 1 with problems.');
  await check(tt, s, 'import-preview', 200, { dark: true });
  await submitForm(p, p.getByRole('button', { name: 'Import 1 good row' }), (path) => path.endsWith('/apply'));
  await p.getByRole('link', { name: 'Import another file' }).waitFor();
  await check(tt, s, 'import-done');
});

// The windows run side by side (each its own browser context, signed in as its role); the
// journeys of one window run in order.
t.test('the journeys, one window per role, side by side', { jobs: plan.size }, async (tt) => {
  for (const [window, journeys] of plan) {
    void tt.test(window, { buffered: true }, async (wt) => {
      const s = sessions[window]!;
      for (const j of journeys) {
        await wt.test(j.name, async (jt) => {
          try {
            await j.fn(jt, s);
          } finally {
            jt.same(s.errors.take(), [], 'no console errors, page errors or CSP violations');
          }
        });
      }
    });
  }
});

t.test('every main page was screenshotted and passed the accessibility check', async (tt) => {
  const seen = new Set(audited.map((a) => a.name));
  tt.same(MAIN_PAGES.filter((n) => !seen.has(n)), [], `all ${MAIN_PAGES.length} main pages were checked`);
  const failing = audited.filter((a) => severe(a.violations).length);
  tt.same(failing.map((a) => a.name), [], 'no page has a serious or critical violation');
  const order = (a: Audited) => MAIN_PAGES.indexOf(a.name);
  const lines = [...audited].sort((a, b) => order(a) - order(b)).map((a) => `${a.role.padEnd(9)} ${a.name.padEnd(28)} ${String(a.status).padEnd(4)} ${a.path.slice(0, 60).padEnd(60)} `
    + `${a.violations.length ? a.violations.map((v) => `${v.id}[${v.impact}]`).join(' ') : 'axe: clean'}`);
  tt.comment(`${audited.length} pages:\n${lines.join('\n')}`);
});

t.test('the server kept running and logged no warnings or errors', async (tt) => {
  tt.equal(server.exited(), null, 'the server process is still running (not stopped by anything else)');
  const { stdout, stderr } = server.output();
  const logged = stdout.split('\n').filter((line) => line.startsWith('{') && /"level":\s*[4-6]\d/.test(line));
  tt.same(logged, [], 'no warning or error in the server log');
  tt.equal(stderr.trim(), '', 'nothing on the server\'s stderr');
});
