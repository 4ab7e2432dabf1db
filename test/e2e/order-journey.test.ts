// An order's whole life in a real browser (issue 5), across three people: a shopper picks a
// store and fills a cart, is asked to sign in at checkout, registers (the cart survives) and
// places the order; a staff member marks it paid, ships it in two shipments and follows each to
// delivery, which completes the order; the customer sees it complete in their account. Then a
// refund puts returned units back on hand, and a cancelled order gives its reservation back.
// Every stock effect is read off the inventory page, as staff see it, before and after.
import t, { type Test } from 'tap';
import type { Browser, Page } from 'playwright-core';
import {
  BrowserErrors, accountOf, htmxResponse, launchBrowser, mailText, mailTo, markPage, saveScreenshot, signIn, startServer,
  stockedProducts, submitForm, type RunningServer, type StockedProduct,
} from './server.ts';

const RUN = Date.now().toString(36).slice(-5);
const SHOPPER = { fullName: `Olive Journey ${RUN}`, email: `olive.${RUN}@e2e.example.com`, password: `Olive-${RUN}-passw0rd` };

let server: RunningServer;
let browser: Browser;
let shopper: Page;
let staff: Page;
let shopperErrors: BrowserErrors;
let staffErrors: BrowserErrors;

let storeId = 0;
let storeName = '';
let p1: StockedProduct;
let p2: StockedProduct;
let orderId = 0;

async function openPage(): Promise<[Page, BrowserErrors]> {
  const context = await browser.newContext({ baseURL: server.baseUrl, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('dialog', (d) => void d.accept()); // data-confirm / hx-confirm: yes
  return [page, await BrowserErrors.watch(page)];
}

t.before(async () => {
  const started = Date.now();
  [server, browser] = await Promise.all([startServer({ seedDemo: true }), launchBrowser()]);
  t.comment(`server ${server.baseUrl} ready in ${Date.now() - started} ms; chromium ${browser.version()}`);
  [shopper, shopperErrors] = await openPage();
  [staff, staffErrors] = await openPage();
  await signIn(staff, accountOf(server, 'staff'));
});

t.teardown(async () => {
  await browser?.close().catch(() => {});
  await server?.stop();
});

function journey(name: string, fn: (tt: Test) => Promise<void>) {
  return t.test(name, async (tt) => {
    try {
      await fn(tt);
    } finally {
      tt.same([...shopperErrors.take(), ...staffErrors.take()], [], 'no console errors, page errors or CSP violations');
    }
  });
}

async function shot(tt: Test, p: Page, name: string) {
  tt.comment(`screenshot: ${await saveScreenshot(p, `journey-${name}`)}`);
}

interface Stock { onHand: number; reserved: number; available: number }

/** One stock row as the inventory page shows it to the staff member. */
async function stock(product: StockedProduct): Promise<Stock> {
  await staff.goto(`/inventory?storeId=${storeId}&productId=${product.productId}`);
  const cells = staff.locator(`#inventory-row-${storeId}-${product.productId} td`);
  const n = async (i: number) => parseInt((await cells.nth(i).innerText()).replace(/,/g, ''), 10);
  return { onHand: await n(3), reserved: await n(4), available: await n(5) };
}

const statusOf = (p: Page) => p.locator('#orders-status-value').innerText();

journey('the staff member\'s store has two products in stock', async (tt) => {
  await staff.goto('/inventory');
  const option = staff.locator('#inventory-store option:not([value=""])').first();
  storeId = Number(await option.getAttribute('value'));
  storeName = (await option.innerText()).trim();
  [p1, p2] = await stockedProducts(staff, storeId, 2) as [StockedProduct, StockedProduct];
  tt.ok(p1.available >= 3 && p2.available >= 4, `${storeName}: ${p1.sku} (${p1.available}) and ${p2.sku} (${p2.available}) available`);
});

let before1: Stock;
let before2: Stock;

journey('a shopper fills a cart, registers at checkout, and places the order', async (tt) => {
  [before1, before2] = [await stock(p1), await stock(p2)];

  await shopper.goto('/shop');
  const same = await markPage(shopper);
  await htmxResponse(shopper, (u) => u.pathname === '/shop' && u.searchParams.get('storeId') === String(storeId), () => shopper.locator('#shop-store').selectOption(String(storeId)));
  await shopper.waitForURL((u) => u.searchParams.get('storeId') === String(storeId));
  tt.ok(await same(), 'choosing the store swapped the catalogue in place');

  for (const [product, quantity, before] of [[p1, 2, before1], [p2, 1, before2]] as const) {
    await htmxResponse(shopper, (u) => u.searchParams.get('q') === product.sku, () => shopper.locator('#shop-q').fill(product.sku));
    await shopper.waitForURL((u) => u.searchParams.get('q') === product.sku);
    const card = shopper.locator(`#shop-product-${product.productId}`);
    tt.match(await card.innerText(), `${before.available} available`, `${product.sku}: the card shows what ${storeName} has`);
    await card.getByLabel('Quantity').fill(String(quantity));
    const added = await submitForm(shopper, card.getByRole('button', { name: 'Add to cart' }), '/cart/items');
    tt.equal(added.status(), 303, `${product.sku} × ${quantity} added`);
    tt.match(await shopper.locator('#flash').innerText(), `Added ${product.productName} to your cart.`);
    if (product === p1) await shopper.goto(`/shop?storeId=${storeId}`);
  }
  tt.match(await shopper.getByRole('link', { name: /^Cart/ }).innerText(), 'Cart (3)', 'the header counts 3 units');
  tt.equal(await shopper.locator('#cart-store').inputValue(), String(storeId), `the cart orders from ${storeName}`);
  tt.equal(await shopper.locator('#cart-lines tbody tr').count(), 2, 'two lines');
  await shot(tt, shopper, 'cart');

  // Checkout without an account: sign in first, the cart is kept.
  await submitForm(shopper, shopper.getByRole('button', { name: `Place order at ${storeName}` }), '/checkout');
  await shopper.waitForURL((u) => u.pathname === '/login');
  tt.match(await shopper.locator('#flash').innerText(), 'Sign in or create an account to place your order. Your cart is kept.');
  await shopper.getByRole('link', { name: 'Create a customer account' }).click();
  await shopper.waitForURL((u) => u.pathname === '/register');
  await shopper.locator('#field-fullName').fill(SHOPPER.fullName);
  await shopper.locator('#field-email').fill(SHOPPER.email);
  await shopper.locator('#field-password').fill(SHOPPER.password);
  await shopper.locator('#field-confirm').fill(SHOPPER.password);
  const asked = Date.now() - 1_000;
  const registered = await submitForm(shopper, shopper.getByRole('button', { name: 'Create account' }), '/register');
  tt.equal(registered.status(), 303, 'registered');
  await shopper.waitForURL((u) => u.pathname === '/login');
  tt.match(await shopper.locator('#flash').innerText(), 'Check your mail: we sent a link to finish creating your account.');
  // Nothing exists until the mailed link is used with the password chosen above (issue 13).
  const mail = await mailTo(server.mailDir, SHOPPER.email, asked);
  const link = /https?:\/\/[^\s"'<>]+\/register\/confirm\?token=[^\s"'<>&]+/.exec(mailText(mail.text))?.[0];
  tt.ok(link?.startsWith(`${server.baseUrl}/register/confirm?token=`), 'the mail holds the link, at BASE_URL');
  await shopper.goto(link!);
  await shopper.locator('#field-password').fill(SHOPPER.password);
  const confirmed = await submitForm(shopper, shopper.getByRole('button', { name: 'Finish creating your account' }), '/register/confirm');
  tt.equal(confirmed.status(), 303, 'the link finished the account');
  await shopper.waitForURL((u) => u.pathname === '/account');
  tt.match(await shopper.locator('#flash').innerText(), 'Welcome! Your account is ready.');

  await shopper.getByRole('link', { name: /^Cart/ }).click();
  await shopper.waitForURL((u) => u.pathname === '/cart');
  const lines = await shopper.locator('#cart-lines tbody tr').evaluateAll((rows) => rows.map((r) => r.id));
  tt.same(lines.sort(), [`cart-line-${p1.productId}`, `cart-line-${p2.productId}`].sort(), 'the cart survived registering');
  tt.equal(await shopper.locator(`#cart-qty-${p1.productId}`).inputValue(), '2');

  const placed = await submitForm(shopper, shopper.getByRole('button', { name: `Place order at ${storeName}` }), '/checkout');
  tt.equal(placed.status(), 303, 'checkout places the order');
  await shopper.waitForURL(/\/account\/orders\/\d+$/);
  orderId = Number(new URL(shopper.url()).pathname.split('/').pop());
  tt.match(await shopper.locator('#flash').innerText(), 'Thank you! Your order is placed.');
  tt.equal(await shopper.locator('#shop-order-status').innerText(), 'OPEN', `order ${orderId} is OPEN`);
  tt.match(await shopper.getByRole('link', { name: /^Cart/ }).innerText(), /^Cart$/, 'the cart is empty again');
  await shot(tt, shopper, 'order-placed');

  const [after1, after2] = [await stock(p1), await stock(p2)];
  tt.same(after1, { onHand: before1.onHand, reserved: before1.reserved + 2, available: before1.available - 2 }, `${p1.sku}: 2 reserved, on hand unchanged`);
  tt.same(after2, { onHand: before2.onHand, reserved: before2.reserved + 1, available: before2.available - 1 }, `${p2.sku}: 1 reserved`);
});

journey('staff pay it, ship it in two shipments, and delivery completes it', async (tt) => {
  tt.ok(orderId, 'an order was placed');
  await staff.goto(`/orders/${orderId}`);
  tt.equal(await statusOf(staff), 'OPEN');
  const same = await markPage(staff);
  await htmxResponse(staff, (u, m) => m === 'POST' && u.pathname === `/orders/${orderId}/actions/pay`, () => staff.getByRole('button', { name: 'Mark paid' }).click());
  await staff.locator('#orders-status-value', { hasText: 'PAID' }).waitFor();
  tt.ok(await same(), 'paid in place (htmx)');
  tt.same(await staff.locator('#flash .flash').allInnerTexts(), [`Order #${orderId} marked paid.`], 'the flash region says so, and only that');
  await staff.locator('#orders-ship-form').waitFor();
  tt.equal(await staff.locator('#orders-ship-form input[name="lineItemId"]').count(), 2, 'two unshipped lines offered for a shipment');

  // Shipment 1: the first product's line.
  const lineOf = (p: StockedProduct) => staff.locator('#orders-ship-form label', { hasText: p.productName }).locator('input');
  const address = `${RUN} Journey Lane, Testford`;
  await staff.locator('#orders-delivery-address').fill(address);
  tt.ok(await lineOf(p1).isChecked() && await lineOf(p2).isChecked(), 'all unshipped lines are ticked by default');
  await lineOf(p2).uncheck();
  const first = await submitForm(staff, staff.getByRole('button', { name: 'Create shipment' }), `/orders/${orderId}/shipments`);
  tt.equal(first.status(), 303, 'first shipment created');
  tt.match(await staff.locator('#flash').innerText(), /Shipment #\d+ created for 1 line\./);
  tt.equal(await staff.locator('#orders-ship-form input[name="lineItemId"]').count(), 1, 'one line left to ship');
  tt.equal(await staff.locator('#orders-delivery-address').inputValue(), address, 'the address defaults to the last one used');
  tt.ok(await lineOf(p2).isChecked(), 'the remaining line is ticked');
  const second = await submitForm(staff, staff.getByRole('button', { name: 'Create shipment' }), `/orders/${orderId}/shipments`);
  tt.equal(second.status(), 303, 'second shipment created');
  tt.equal(await staff.locator('#orders-ship-form').count(), 0, 'nothing left to ship');
  const shipmentIds = (await staff.locator('#orders-shipments-table tbody tr').evaluateAll((rows) => rows.map((r) => r.id.replace('orders-shipment-', '')))).map(Number).sort((a, b) => a - b);
  tt.equal(shipmentIds.length, 2, `two shipments: ${shipmentIds.join(', ')}`);
  await shot(tt, staff, 'two-shipments');

  const before = await stock(p1);
  // Each shipment: dispatch, in transit, delivered; the order follows.
  const steps = [['Dispatch', 'SHIPPED'], ['Mark in transit', 'IN-TRANSIT'], ['Mark delivered', 'DELIVERED']] as const;
  for (const [n, shipmentId] of shipmentIds.entries()) {
    await staff.goto(`/shipments/${shipmentId}`);
    const panel = staff.locator(`#shipments-status-${shipmentId}`);
    for (const [label, to] of steps) {
      const button = panel.getByRole('button', { name: label });
      await htmxResponse(staff, (u, m) => m === 'POST' && u.pathname.startsWith(`/shipments/${shipmentId}/actions/`), () => button.click());
      await panel.locator('strong', { hasText: new RegExp(`^${to}$`) }).waitFor();
      tt.pass(`shipment ${shipmentId}: "${label}" → ${to}`);
      // Without a reload, everything the step changed is shown: the flash, the timeline, the order.
      tt.same(await staff.locator('#flash .flash').allInnerTexts(), [`Shipment ${shipmentId}: ${to}.`], `"${label}": one flash says so`);
      const step = { SHIPPED: 'Dispatched', 'IN-TRANSIT': 'In transit', DELIVERED: 'Delivered' }[to];
      tt.notMatch(await staff.locator(`#shipments-timeline-${shipmentId} dt:has-text("${step}") + dd`).innerText(), '—', `"${label}": the timeline dates it`);
      const expected = to === 'SHIPPED' ? (n === 0 ? 'PAID' : 'SHIPPED') : to === 'DELIVERED' && n === 1 ? 'COMPLETE' : n === 0 ? 'PAID' : 'SHIPPED';
      tt.match(await staff.locator(`#shipments-header-${shipmentId}`).innerText(), `(${expected})`, `"${label}": the heading shows the order ${expected}`);
      if (to === 'SHIPPED') {
        await staff.goto(`/orders/${orderId}`);
        tt.equal(await statusOf(staff), n === 0 ? 'PAID' : 'SHIPPED', n === 0 ? 'one of two dispatched: the order stays PAID' : 'both dispatched: the order is SHIPPED');
        if (n === 0) {
          const after = await stock(p1);
          tt.same(after, { onHand: before.onHand - 2, reserved: before.reserved - 2, available: before.available }, `${p1.sku}: dispatch took 2 off on hand and off reserved`);
        }
        await staff.goto(`/shipments/${shipmentId}`);
      }
    }
    tt.match(await panel.innerText(), 'This shipment has been delivered.');
    if (n === 0) await shot(tt, staff, 'shipment-delivered');
  }
  await staff.goto(`/orders/${orderId}`);
  tt.equal(await statusOf(staff), 'COMPLETE', 'the last delivery completed the order');
  const timeline = await staff.locator('#orders-timeline').innerText();
  for (const s of ['OPEN', 'PAID', 'SHIPPED', 'COMPLETE']) tt.match(timeline, s, `the timeline shows ${s}`);
  await shot(tt, staff, 'order-complete');
});

journey('the customer sees the order complete in their account', async (tt) => {
  await shopper.getByRole('link', { name: 'Account' }).click();
  await shopper.waitForURL((u) => u.pathname === '/account');
  const row = shopper.locator('#account-orders tbody tr', { has: shopper.locator(`a[href="/account/orders/${orderId}"]`) });
  tt.match(await row.innerText(), /COMPLETE/, 'the account lists the order as COMPLETE');
  await row.getByRole('link').click();
  await shopper.waitForURL((u) => u.pathname === `/account/orders/${orderId}`);
  tt.equal(await shopper.locator('#shop-order-status').innerText(), 'COMPLETE');
  const shipments = await shopper.locator('table').nth(1).locator('tbody tr').allInnerTexts();
  tt.equal(shipments.length, 2, 'two shipments listed');
  tt.ok(shipments.every((s) => s.includes('DELIVERED')), 'both delivered');
  tt.equal(await shopper.getByRole('button', { name: 'Cancel order' }).count(), 0, 'a complete order cannot be cancelled');
  await shot(tt, shopper, 'account-order-complete');

  // Someone else's order is not theirs to see.
  const other = await shopperErrors.expectStatus(404, () => shopper.goto(`/account/orders/${orderId - 1}`));
  tt.equal(other?.status(), 404, 'another customer\'s order: 404');
});

journey('a refund puts the returned units back on hand', async (tt) => {
  const before = await stock(p1);
  await staff.goto(`/orders/${orderId}`);
  await staff.getByText('Refund', { exact: true }).click();
  const line = staff.locator('#orders-action-refund label', { hasText: p1.productName }).locator('input');
  tt.equal(await line.getAttribute('max'), '2', `up to 2 units of ${p1.sku} can go back`);
  await line.fill('1');
  await staff.locator('#orders-refund-note').fill('One came back unworn');
  await htmxResponse(staff, (u, m) => m === 'POST' && u.pathname === `/orders/${orderId}/actions/refund`, () => staff.getByRole('button', { name: 'Refund order' }).click());
  await staff.locator('#orders-status-value', { hasText: 'REFUNDED' }).waitFor();
  tt.match(await staff.locator('#flash').innerText(), 'Returned units are back on hand.', 'the flash confirms the restock');
  tt.match(await staff.locator(`#orders-lines-table tbody tr`, { hasText: p1.sku }).innerText(), /\t1\t/, 'the line shows 1 returned');
  await shot(tt, staff, 'order-refunded');
  const after = await stock(p1);
  tt.same(after, { onHand: before.onHand + 1, reserved: before.reserved, available: before.available + 1 }, `${p1.sku}: 1 unit back on hand and available`);
});

journey('cancelling an open order gives its reservation back', async (tt) => {
  const before = await stock(p2);
  await shopper.goto(`/shop?storeId=${storeId}&q=${encodeURIComponent(p2.sku)}`);
  const card = shopper.locator(`#shop-product-${p2.productId}`);
  await card.getByLabel('Quantity').fill('3');
  await submitForm(shopper, card.getByRole('button', { name: 'Add to cart' }), '/cart/items');
  await submitForm(shopper, shopper.getByRole('button', { name: `Place order at ${storeName}` }), '/checkout');
  await shopper.waitForURL(/\/account\/orders\/\d+$/);
  const second = Number(new URL(shopper.url()).pathname.split('/').pop());
  tt.ok(second > orderId, `a second order, ${second}`);
  const reserved = await stock(p2);
  tt.same(reserved, { onHand: before.onHand, reserved: before.reserved + 3, available: before.available - 3 }, `${p2.sku}: 3 reserved by the new order`);

  const cancelled = await submitForm(shopper, shopper.getByRole('button', { name: 'Cancel order' }), `/account/orders/${second}/cancel`);
  tt.equal(cancelled.status(), 303, 'the customer cancels it');
  tt.match(await shopper.locator('#flash').innerText(), 'Your order is cancelled.');
  tt.equal(await shopper.locator('#shop-order-status').innerText(), 'CANCELLED');
  tt.same(await stock(p2), before, `${p2.sku}: the reservation is released (back to ${before.available} available)`);
  await staff.goto(`/orders/${second}`);
  tt.equal(await statusOf(staff), 'CANCELLED', 'staff see it cancelled too');
  tt.match(await staff.locator('#orders-timeline').innerText(), 'CANCELLED');
});

t.test('the server kept running and logged no warnings or errors', async (tt) => {
  tt.equal(server.exited(), null, 'the server process is still running (not stopped by anything else)');
  const { stdout, stderr } = server.output();
  const logged = stdout.split('\n').filter((line) => line.startsWith('{') && /"level":\s*[4-6]\d/.test(line));
  tt.same(logged, [], 'no warning or error in the server log');
  tt.equal(stderr.trim(), '', 'nothing on the server\'s stderr');
});
