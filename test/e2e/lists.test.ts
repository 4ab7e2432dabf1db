// The back-office lists in a real browser (issue 3), customers and products: search as you type,
// sort and filter by htmx swaps with the URL kept in sync (bookmarkable, the back button
// restores), create refused with field errors then accepted, two people editing the same record
// (the second save is refused and shows the current values beside the attempt), and deletes
// refused with a clear message while orders point at the record. One server (demo data) for
// the file; no console errors, page errors or CSP violations anywhere.
import t, { type Test } from 'tap';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  BrowserErrors, accountOf, cellNumbers, htmxResponse, isSorted, launchBrowser, markPage, saveScreenshot, signIn,
  startServer, stockedProducts, submitForm, type RunningServer, type StockedProduct,
} from './server.ts';

const RUN = Date.now().toString(36).slice(-5);

let server: RunningServer;
let browser: Browser;
let admin: Page;
let staff: Page;
let adminErrors: BrowserErrors;
let staffErrors: BrowserErrors;

async function openPage(): Promise<[Page, BrowserErrors]> {
  const context: BrowserContext = await browser.newContext({ baseURL: server.baseUrl, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  // window.confirm of data-confirm / hx-confirm buttons: the user says yes.
  page.on('dialog', (d) => void d.accept());
  return [page, await BrowserErrors.watch(page)];
}

t.before(async () => {
  const started = Date.now();
  [server, browser] = await Promise.all([startServer({ seedDemo: true }), launchBrowser()]);
  t.comment(`server ${server.baseUrl} ready in ${Date.now() - started} ms; chromium ${browser.version()}`);
  [admin, adminErrors] = await openPage();
  [staff, staffErrors] = await openPage();
  await Promise.all([signIn(admin, accountOf(server, 'admin')), signIn(staff, accountOf(server, 'staff'))]);
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
      tt.same([...adminErrors.take(), ...staffErrors.take()], [], 'no console errors, page errors or CSP violations');
    }
  });
}

async function shot(tt: Test, p: Page, name: string) {
  tt.comment(`screenshot: ${await saveScreenshot(p, `lists-${name}`)}`);
}

const query = (p: Page) => new URL(p.url()).searchParams;

/** Waits until the cells matching `selector` read exactly `expected` (a swap has landed). */
async function waitForColumn(p: Page, selector: string, expected: string[]) {
  await p.waitForFunction(([sel, want]) => JSON.stringify([...document.querySelectorAll<HTMLElement>(sel)].map((e) => e.innerText.trim())) === want,
    [selector, JSON.stringify(expected.map((s) => s.trim()))] as const);
}
const isList = (pathname: string) => (u: URL, method: string) => method === 'GET' && u.pathname === pathname;

// ---------------------------------------------------------------- customers

const customerRows = (p: Page) => p.locator('#customers-rows tbody tr');
/** The column of the customer table: 0 id, 1 name, 2 email, 3 orders, 4 last order. */
const customerColumn = (p: Page, i: number) => p.locator(`#customers-rows tbody tr td:nth-child(${i + 1})`);
let busiestCustomer = 0;

journey('customers: search as you type, the URL follows, the back button restores', async (tt) => {
  await admin.goto('/customers');
  const firstPage = await customerColumn(admin, 0).allInnerTexts();
  tt.ok(firstPage.length >= 10, `the first page lists customers (${firstPage.length})`);
  const email = (await customerColumn(admin, 2).nth(3).innerText()).trim();
  const needle = email.split('@')[0]!.slice(0, 8);
  const same = await markPage(admin);

  await htmxResponse(admin, (u, m) => isList('/customers')(u, m) && u.searchParams.get('q') === needle, () => admin.locator('#customers-q').fill(needle));
  await admin.waitForURL((u) => u.searchParams.get('q') === needle);
  const names = await customerColumn(admin, 1).allInnerTexts();
  const emails = await customerColumn(admin, 2).allInnerTexts();
  tt.ok(emails.includes(email), `the customer whose email starts "${needle}" is listed`);
  tt.ok(names.every((n, i) => `${n} ${emails[i]}`.toLowerCase().includes(needle.toLowerCase())), `every row matches "${needle}" (${names.length} rows)`);
  tt.ok(names.length < firstPage.length, 'fewer rows than the unfiltered page');
  tt.ok(await same(), 'swapped in place: no full page load');
  await shot(tt, admin, 'customers-search');

  // No match: a message, not an empty table.
  await htmxResponse(admin, (u) => u.searchParams.get('q') === `zz${RUN}qq`, () => admin.locator('#customers-q').fill(`zz${RUN}qq`));
  await admin.waitForURL((u) => u.searchParams.get('q') === `zz${RUN}qq`);
  tt.match(await admin.locator('#customers-rows .empty').innerText(), `No customer matches “zz${RUN}qq”`);

  // Back: htmx restores the earlier list (from its cache or the server) and the URL.
  await admin.goBack();
  await admin.waitForURL((u) => u.searchParams.get('q') === needle);
  await waitForColumn(admin, '#customers-rows tbody tr td:nth-child(3)', emails);
  tt.pass('back: the earlier search\'s rows again');
  tt.equal(await admin.locator('#customers-q').inputValue(), needle, 'back: the search box shows that search');
  await admin.goBack();
  await admin.waitForURL((u) => !u.searchParams.has('q'));
  await waitForColumn(admin, '#customers-rows tbody tr td:nth-child(1)', firstPage);
  tt.pass('back again: the unfiltered list');
  tt.equal(await admin.locator('#customers-q').inputValue(), '', 'and an empty search box');

  // The address is a bookmark: opened directly it shows the same search.
  await admin.goto(`/customers?q=${encodeURIComponent(needle)}`);
  tt.same(await customerColumn(admin, 2).allInnerTexts(), emails, 'the URL reproduces the search');
  tt.equal(await admin.locator('#customers-q').inputValue(), needle);
});

journey('customers: sort by a column both ways, keep the sort while searching, page on', async (tt) => {
  await admin.goto('/customers');
  const header = (label: string) => admin.locator('#customers-rows thead th', { hasText: label });
  const same = await markPage(admin);

  await htmxResponse(admin, (u) => u.searchParams.get('sort') === 'orderCount' && u.searchParams.get('order') === 'asc', () => header('Orders').locator('a').click());
  await admin.waitForURL((u) => u.searchParams.get('sort') === 'orderCount' && u.searchParams.get('order') === 'asc');
  tt.equal(await header('Orders').getAttribute('aria-sort'), 'ascending', 'Orders header marked ascending');
  const asc = await cellNumbers(customerColumn(admin, 3));
  tt.ok(asc.length > 1 && isSorted(asc, 'asc'), `order counts ascend (${asc.slice(0, 5).join(', ')}, …)`);

  await htmxResponse(admin, (u) => u.searchParams.get('sort') === 'orderCount' && u.searchParams.get('order') === 'desc', () => header('Orders').locator('a').click());
  await admin.waitForURL((u) => u.searchParams.get('order') === 'desc');
  tt.equal(await header('Orders').getAttribute('aria-sort'), 'descending', 'clicked again: descending');
  const desc = await cellNumbers(customerColumn(admin, 3));
  tt.ok(isSorted(desc, 'desc') && desc[0]! > asc[0]!, `order counts descend (${desc.slice(0, 5).join(', ')}, …)`);
  busiestCustomer = Number(await customerColumn(admin, 0).first().innerText());
  tt.ok(await same(), 'sorting swapped in place');
  await shot(tt, admin, 'customers-sorted');

  // Next page: a cursor in the URL, other customers, still in order and after the first page.
  const page1 = await customerColumn(admin, 0).allInnerTexts();
  await htmxResponse(admin, (u) => u.searchParams.has('cursor'), () => admin.locator('#customers-rows a[rel="next"]').click());
  await admin.waitForURL((u) => u.searchParams.has('cursor') && u.searchParams.get('sort') === 'orderCount');
  const page2 = await cellNumbers(customerColumn(admin, 3));
  tt.ok(isSorted(page2, 'desc') && page2[0]! <= desc.at(-1)!, 'page 2 continues the order');
  tt.notOk((await customerColumn(admin, 0).allInnerTexts()).some((id) => page1.includes(id)), 'page 2 repeats nobody from page 1');

  // A search from here keeps the sort (the list sent its state back out of band).
  await htmxResponse(admin, (u) => u.searchParams.get('q') === 'an', () => admin.locator('#customers-q').fill('an'));
  await admin.waitForURL((u) => u.searchParams.get('q') === 'an');
  tt.equal(query(admin).get('sort'), 'orderCount', 'the search kept the sort column');
  tt.equal(query(admin).get('order'), 'desc', 'and its direction');
  tt.notOk(query(admin).has('cursor'), 'and started from the first page');
  const searched = await cellNumbers(customerColumn(admin, 3));
  tt.ok(searched.length > 1 && isSorted(searched, 'desc'), 'the matches are sorted by orders, descending');
});

let createdCustomer = 0;
const customerName = `Quentin Quokka ${RUN}`;
const customerEmail = `quentin.${RUN}@e2e.example.com`;

journey('customers: create refused with field errors, then accepted', async (tt) => {
  await admin.goto('/customers/new');
  const save = admin.getByRole('button', { name: 'Create customer' });
  await admin.locator('#field-emailAddress').fill('not-an-email');
  const bad = await adminErrors.expectStatus(422, () => submitForm(admin, save, '/customers'));
  tt.equal(bad.status(), 422, 'blank name and bad email: 422');
  tt.equal(await admin.locator('#field-fullName').getAttribute('aria-invalid'), 'true', 'the name is marked invalid');
  tt.match(await admin.locator('#field-fullName-error').innerText(), /full name/i, 'with a message');
  tt.match(await admin.locator('#field-emailAddress-error').innerText(), /valid email/i, 'the email has its message');
  tt.equal(await admin.locator('#field-emailAddress').inputValue(), 'not-an-email', 'what was typed is kept');
  await shot(tt, admin, 'customers-create-errors');

  // An email that exists, in other capitals: unique regardless of case.
  await admin.goto(`/customers/${busiestCustomer}`);
  const taken = (await admin.locator('article header a[href^="mailto:"]').innerText()).trim();
  await admin.goto('/customers/new');
  await admin.locator('#field-fullName').fill(customerName);
  await admin.locator('#field-emailAddress').fill(taken.toUpperCase());
  const dup = await adminErrors.expectStatus(422, () => submitForm(admin, save, '/customers'));
  tt.equal(dup.status(), 422, 'an email in use (upper-cased): 422');
  tt.equal(await admin.locator('#field-emailAddress-error').innerText(), 'Another customer already uses this email address.');
  tt.equal(await admin.locator('#field-fullName').inputValue(), customerName, 'the name is kept');

  await admin.locator('#field-emailAddress').fill(customerEmail);
  const ok = await submitForm(admin, save, '/customers');
  tt.equal(ok.status(), 303, 'valid: 303');
  await admin.waitForURL(/\/customers\/\d+$/);
  createdCustomer = Number(new URL(admin.url()).pathname.split('/').pop());
  tt.equal(await admin.getByRole('heading', { level: 1 }).innerText(), customerName, 'the new customer\'s page');
  tt.match(await admin.locator('#flash').innerText(), `Customer ${customerName} created.`);

  await admin.goto(`/customers?q=${RUN}`);
  tt.same(await customerColumn(admin, 2).allInnerTexts(), [customerEmail], 'the list finds the new customer');
});

journey('customers: two people edit the same customer; the second save shows the conflict', async (tt) => {
  tt.ok(createdCustomer, 'a customer was created');
  await Promise.all([admin.goto(`/customers/${createdCustomer}/edit`), staff.goto(`/customers/${createdCustomer}/edit`)]);
  const adminName = `${customerName} (admin)`;
  const staffName = `${customerName} (staff)`;

  await admin.locator('#field-fullName').fill(adminName);
  const first = await submitForm(admin, admin.getByRole('button', { name: 'Save' }), `/customers/${createdCustomer}/edit`);
  tt.equal(first.status(), 303, 'the first save goes through');
  tt.match(await admin.locator('#flash').innerText(), `Customer ${adminName} saved.`);

  await staff.locator('#field-fullName').fill(staffName);
  const second = await staffErrors.expectStatus(409, () => submitForm(staff, staff.getByRole('button', { name: 'Save' }), `/customers/${createdCustomer}/edit`));
  tt.equal(second.status(), 409, 'the second save, based on the old version: 409');
  tt.match(await staff.locator('#flash [role="alert"]').innerText(), /Someone else changed this customer while you were editing it/, 'a clear message');
  tt.equal(await staff.locator('#field-fullName').inputValue(), adminName, 'the form now holds the saved name');
  tt.match(await staff.locator('#customers-conflict').innerText(), staffName, 'the attempted name is shown beside it');
  await shot(tt, staff, 'customers-edit-conflict');

  await admin.goto(`/customers/${createdCustomer}/edit`);
  tt.equal(await admin.locator('#field-fullName').inputValue(), adminName, 'nothing of the refused save was written');

  // Saving again from the conflict form, knowingly, works.
  await staff.locator('#field-fullName').fill(staffName);
  const again = await submitForm(staff, staff.getByRole('button', { name: 'Save' }), `/customers/${createdCustomer}/edit`);
  tt.equal(again.status(), 303, 'saving again after review goes through');
  tt.equal(await staff.getByRole('heading', { level: 1 }).innerText(), staffName);
});

journey('customers: delete refused while the customer has orders', async (tt) => {
  // A customer with many orders: the page says why there is no Delete button.
  await admin.goto(`/customers/${busiestCustomer}`);
  tt.match(await admin.locator('#customers-delete-refusal').innerText(), 'This customer has orders and cannot be deleted: order history is kept.', 'the refusal is explained, with no figure');
  tt.equal(await admin.getByRole('button', { name: 'Delete' }).count(), 0, 'and no Delete button is offered');

  // The customer made earlier has no orders: the admin's page offers Delete. Meanwhile the
  // staff member places an order for them; the delete is then refused, not half-done.
  await admin.goto(`/customers/${createdCustomer}`);
  const del = admin.getByRole('button', { name: 'Delete' });
  tt.equal(await del.count(), 1, 'a customer without orders can be deleted');

  await staff.goto('/orders/new');
  const storeId = await staff.locator('#orders-store option:not([value=""])').first().getAttribute('value');
  const [{ sku }] = await stockedProducts(staff, storeId!, 1) as [StockedProduct];
  await staff.goto(`/orders/new?customerId=${createdCustomer}&storeId=${storeId}`);
  await staff.locator('#orders-line-0-product').fill(sku);
  await staff.locator('#orders-line-0-quantity').fill('1');
  const placed = await submitForm(staff, staff.locator('#orders-new-submit'), '/orders');
  tt.equal(placed.status(), 303, `the staff member placed an order for the customer (${sku} at store ${storeId})`, {
    messages: placed.status() === 303 ? [] : await staff.locator('[role="alert"], .field-error').allInnerTexts(),
  });
  await staff.waitForURL(/\/orders\/\d+$/);

  const refused = await adminErrors.expectStatus(409, () => submitForm(admin, del, `/customers/${createdCustomer}/delete`));
  tt.equal(refused.status(), 409, 'the delete is refused: 409');
  tt.match(await admin.locator('#customers-delete-refusal').innerText(), 'This customer has orders and cannot be deleted: order history is kept.', 'with the reason');
  tt.equal(await admin.getByText('This customer has orders and cannot be deleted').count(), 1, 'said once');
  tt.equal(await admin.getByRole('heading', { level: 1 }).innerText(), `${customerName} (staff)`, 'the customer is still there');
  tt.equal(await admin.locator('#customers-orders tbody tr').count(), 1, 'now showing the order');
  await shot(tt, admin, 'customers-delete-refused');

  // Without orders, delete works (so the refusal above is about the order).
  await admin.goto('/customers/new');
  await admin.locator('#field-fullName').fill(`Short Lived ${RUN}`);
  await admin.locator('#field-emailAddress').fill(`short.${RUN}@e2e.example.com`);
  await submitForm(admin, admin.getByRole('button', { name: 'Create customer' }), '/customers');
  const gone = Number(new URL(admin.url()).pathname.split('/').pop());
  const deleted = await submitForm(admin, admin.getByRole('button', { name: 'Delete' }), `/customers/${gone}/delete`);
  tt.equal(deleted.status(), 303, 'a customer without orders is deleted');
  tt.equal(new URL(admin.url()).pathname, '/customers');
  tt.match(await admin.locator('#flash').innerText(), `Customer Short Lived ${RUN} deleted.`);
});

// ---------------------------------------------------------------- products

/** The column of the product table: 0 id, 1 SKU, 2 name, 3 brand, 4 colour, 5 size, 6 rating, 7 price, 8 available. */
const productColumn = (p: Page, i: number) => p.locator(`#products-table tbody tr td:nth-child(${i + 1})`);

journey('products: filters combine in the URL, sort both ways, the URL reproduces the list', async (tt) => {
  await admin.goto('/products');
  const same = await markPage(admin);
  const brand = (await admin.locator('#products-brand option').nth(1).getAttribute('value'))!;
  await htmxResponse(admin, (u) => u.searchParams.get('brand') === brand, () => admin.locator('#products-brand').selectOption(brand));
  await admin.waitForURL((u) => u.searchParams.get('brand') === brand);
  const brands = await productColumn(admin, 3).allInnerTexts();
  tt.ok(brands.length > 0 && brands.every((b) => b === brand), `brand "${brand}": ${brands.length} rows, all of that brand`);

  const colours = (await productColumn(admin, 4).allInnerTexts()).filter(Boolean);
  const colour = colours[0]!;
  await htmxResponse(admin, (u) => u.searchParams.get('colour') === colour, () => admin.locator('#products-colour').selectOption(colour));
  await admin.waitForURL((u) => u.searchParams.get('colour') === colour && u.searchParams.get('brand') === brand);
  const both = await admin.locator('#products-table tbody tr').evaluateAll((rows) => rows.map((r) => [r.children[3]!.textContent!.trim(), r.children[4]!.textContent!.trim()]));
  tt.ok(both.length > 0 && both.every(([b, c]) => b === brand && c === colour), `brand and colour together: ${both.length} rows`);

  await htmxResponse(admin, (u) => u.searchParams.get('brand') === brand && !u.searchParams.get('colour'), () => admin.locator('#products-colour').selectOption({ index: 0 }));
  await admin.waitForURL((u) => !u.searchParams.get('colour'));
  const prices = await cellNumbers(productColumn(admin, 7));
  const onePage = await admin.locator('#products-rows a[rel="next"]').count() === 0;
  // A range that leaves out the cheapest and the dearest of the brand's prices.
  const distinct = [...new Set(prices)].sort((a, b) => a - b);
  tt.ok(distinct.length >= 2, `the brand has several prices (${distinct.length})`);
  const mid = (a: number, b: number) => ((a + b) / 2).toFixed(2);
  const min = mid(distinct[0]!, distinct[1]!);
  const max = distinct.length > 2 ? mid(distinct.at(-2)!, distinct.at(-1)!) : distinct.at(-1)!.toFixed(2);
  await htmxResponse(admin, (u) => u.searchParams.get('minPrice') === min, () => admin.locator('#products-minPrice').fill(min));
  await htmxResponse(admin, (u) => u.searchParams.get('maxPrice') === max, () => admin.locator('#products-maxPrice').fill(max));
  await admin.waitForURL((u) => u.searchParams.get('minPrice') === min && u.searchParams.get('maxPrice') === max && u.searchParams.get('brand') === brand);
  const ranged = await admin.locator('#products-table tbody tr').evaluateAll((rows) => rows.map((r) => [r.children[3]!.textContent!.trim(), Number(r.children[7]!.textContent!.replace(/,/g, ''))] as const));
  const inRange = (p: number) => p >= Number(min) && p <= Number(max);
  tt.ok(ranged.length > 0 && ranged.length < prices.length, `the price range ${min}–${max} narrows ${prices.length} rows to ${ranged.length}`);
  if (onePage) tt.equal(ranged.length, prices.filter(inRange).length, 'exactly the brand\'s products in that range');
  tt.ok(ranged.every(([b, p]) => b === brand && inRange(p)), 'every row has the brand and a price in range');

  // Sort by price: the filters stay.
  const priceHeader = admin.locator('#products-table thead th', { hasText: 'Price' });
  await htmxResponse(admin, (u) => u.searchParams.get('sort') === 'unitPrice' && u.searchParams.get('order') === 'asc', () => priceHeader.locator('a').click());
  await admin.waitForURL((u) => u.searchParams.get('sort') === 'unitPrice' && u.searchParams.get('order') === 'asc');
  tt.ok(isSorted(await cellNumbers(productColumn(admin, 7)), 'asc'), 'prices ascend');
  await htmxResponse(admin, (u) => u.searchParams.get('order') === 'desc', () => admin.locator('#products-table thead th', { hasText: 'Price' }).locator('a').click());
  await admin.waitForURL((u) => u.searchParams.get('sort') === 'unitPrice' && u.searchParams.get('order') === 'desc');
  const desc = await cellNumbers(productColumn(admin, 7));
  tt.ok(isSorted(desc, 'desc'), 'clicked again: prices descend');
  tt.equal(await admin.locator('#products-table thead th', { hasText: 'Price' }).getAttribute('aria-sort'), 'descending');
  const url = new URL(admin.url());
  tt.same([url.searchParams.get('brand'), url.searchParams.get('minPrice'), url.searchParams.get('maxPrice')], [brand, min, max], 'the sort kept the filters in the URL');
  tt.equal(desc.length, ranged.length, 'and the same rows');
  tt.ok(await same(), 'all of it swapped in place: no full page load');

  // A name filter on top, then the page opened fresh from its address.
  const word = (await productColumn(admin, 2).first().innerText()).trim().split(/\s+/)[0]!;
  await htmxResponse(admin, (u) => u.searchParams.get('q') === word, () => admin.locator('#products-q').fill(word));
  await admin.waitForURL((u) => u.searchParams.get('q') === word && u.searchParams.get('sort') === 'unitPrice');
  const named = await productColumn(admin, 2).allInnerTexts();
  tt.ok(named.length > 0 && named.every((n) => n.toLowerCase().includes(word.toLowerCase())), `name contains "${word}": ${named.length} rows`);
  await shot(tt, admin, 'products-filtered');

  const bookmarked = admin.url();
  const ids = await productColumn(admin, 0).allInnerTexts();
  await admin.goto(bookmarked);
  tt.same(await productColumn(admin, 0).allInnerTexts(), ids, 'opened from the URL: the same rows in the same order');
  tt.equal(await admin.locator('#products-brand').inputValue(), brand, 'the brand filter is shown');
  tt.equal(await admin.locator('#products-minPrice').inputValue(), min, 'and the price range');
  tt.equal(await admin.locator('#products-q').inputValue(), word, 'and the name filter');
});

const sku = `E2E-${RUN.toUpperCase()}`;
let createdProduct = 0;

journey('products: create refused with field errors, then accepted', async (tt) => {
  await admin.goto('/products/new');
  const create = admin.getByRole('button', { name: 'Create product' });
  await admin.locator('#field-unitPrice').fill('-1.234');
  const bad = await adminErrors.expectStatus(422, () => submitForm(admin, create, '/products'));
  tt.equal(bad.status(), 422, 'blank SKU and name, bad price: 422');
  for (const field of ['sku', 'productName', 'unitPrice']) {
    tt.equal(await admin.locator(`#field-${field}`).getAttribute('aria-invalid'), 'true', `${field} is marked invalid`);
    tt.ok((await admin.locator(`#field-${field}-error`).innerText()).trim(), `${field} has a message`);
  }
  tt.equal(await admin.locator('#field-unitPrice').inputValue(), '-1.234', 'the bad price is kept for correcting');
  await shot(tt, admin, 'products-create-errors');

  // An existing SKU, typed in lower case.
  await admin.goto('/products');
  const existing = (await productColumn(admin, 1).first().innerText()).trim();
  await admin.goto('/products/new');
  await admin.locator('#field-sku').fill(existing.toLowerCase());
  await admin.locator('#field-productName').fill(`E2E lamp ${RUN}`);
  await admin.locator('#field-unitPrice').fill('19.90');
  const dup = await adminErrors.expectStatus(422, () => submitForm(admin, create, '/products'));
  tt.equal(dup.status(), 422, `SKU ${existing.toLowerCase()} is taken: 422`);
  tt.match(await admin.locator('#field-sku-error').innerText(), /SKU/i, 'the SKU field says so');

  await admin.locator('#field-sku').fill(sku);
  await admin.locator('#field-brand').fill('E2E Brand');
  await admin.locator('#field-rating').selectOption('4');
  const ok = await submitForm(admin, create, '/products');
  tt.equal(ok.status(), 303, 'valid: 303');
  await admin.waitForURL(/\/products\/\d+$/);
  createdProduct = Number(new URL(admin.url()).pathname.split('/').pop());
  tt.equal(await admin.getByRole('heading', { level: 1 }).innerText(), `E2E lamp ${RUN}`);
  tt.match(await admin.locator('#flash').innerText(), `Product ${sku} created.`);
  tt.match(await admin.locator('article table.facts').innerText(), /Unit price\s+19\.90/);
});

journey('products: two people edit the same product; the second save shows what changed', async (tt) => {
  tt.ok(createdProduct, 'a product was created');
  await Promise.all([admin.goto(`/products/${createdProduct}/edit`), staff.goto(`/products/${createdProduct}/edit`)]);
  await admin.locator('#field-unitPrice').fill('24.50');
  const first = await submitForm(admin, admin.getByRole('button', { name: 'Save changes' }), `/products/${createdProduct}`);
  tt.equal(first.status(), 303, 'the first save (price) goes through');

  await staff.locator('#field-productName').fill(`E2E lamp ${RUN} deluxe`);
  const second = await staffErrors.expectStatus(409, () => submitForm(staff, staff.getByRole('button', { name: 'Save changes' }), `/products/${createdProduct}`));
  tt.equal(second.status(), 409, 'the second save (name), on the old version: 409');
  tt.match(await staff.locator('#flash [role="alert"]').innerText(), /Someone else changed this product while you were editing it/);
  tt.equal(await staff.locator('#field-unitPrice').inputValue(), '24.50', 'the form shows the saved price');
  tt.equal(await staff.locator('#field-productName').inputValue(), `E2E lamp ${RUN}`, 'and the saved name');
  const changed = await staff.locator('#products-conflict tbody tr').evaluateAll((rows) => rows.map((r) => [...r.children].map((c) => c.textContent!.trim())));
  tt.same(changed, [['Name', `E2E lamp ${RUN}`, `E2E lamp ${RUN} deluxe`], ['Unit price', '24.50', '19.90']], 'the table shows each differing field: saved now and the attempt');
  await shot(tt, staff, 'products-edit-conflict');

  await staff.locator('#field-productName').fill(`E2E lamp ${RUN} deluxe`);
  const again = await submitForm(staff, staff.getByRole('button', { name: 'Save changes' }), `/products/${createdProduct}`);
  tt.equal(again.status(), 303, 'saving again after review goes through');
  tt.equal(await staff.getByRole('heading', { level: 1 }).innerText(), `E2E lamp ${RUN} deluxe`);
  tt.match(await staff.locator('article table.facts').innerText(), /Unit price\s+24\.50/, 'the other person\'s price is kept');
});

journey('products: delete refused while orders point at the product, allowed otherwise', async (tt) => {
  // A product from an order's lines.
  await admin.goto(`/customers/${busiestCustomer}`);
  await admin.locator('#customers-orders tbody tr a').first().click();
  await admin.waitForURL(/\/orders\/\d+$/);
  await admin.locator('#orders-lines-table tbody tr a[href^="/products/"]').first().click();
  await admin.waitForURL(/\/products\/\d+$/);
  const path = new URL(admin.url()).pathname;
  const name = await admin.getByRole('heading', { level: 1 }).innerText();

  const refused = await adminErrors.expectStatus(409, () => submitForm(admin, admin.getByRole('button', { name: 'Delete' }), `${path}/delete`));
  tt.equal(refused.status(), 409, 'delete refused: 409');
  tt.match(await admin.locator('#flash [role="alert"]').innerText(), /^This product cannot be deleted: it is referenced by order lines.*Deactivate it instead/, 'the reason names the order lines and the way out');
  tt.equal(await admin.getByRole('heading', { level: 1 }).innerText(), name, 'the product page is shown, product intact');
  await shot(tt, admin, 'products-delete-refused');
  tt.equal((await admin.goto(path))?.status(), 200, 'the product still exists');

  // The product created above has no orders or stock: it goes.
  await admin.goto(`/products/${createdProduct}`);
  const deleted = await submitForm(admin, admin.getByRole('button', { name: 'Delete' }), `/products/${createdProduct}/delete`);
  tt.equal(deleted.status(), 303, 'a product nothing refers to is deleted');
  tt.equal(new URL(admin.url()).pathname, '/products');
  tt.match(await admin.locator('#flash').innerText(), `Product ${sku} deleted.`);
  const missing = await adminErrors.expectStatus(404, () => admin.goto(`/products/${createdProduct}`));
  tt.equal(missing?.status(), 404, 'and is gone');
});

// LOG_LEVEL=warn: any log line is a warning or an error worth a look.
t.test('the server kept running and logged no warnings or errors', async (tt) => {
  tt.equal(server.exited(), null, 'the server process is still running (not stopped by anything else)');
  const { stdout, stderr } = server.output();
  const logged = stdout.split('\n').filter((line) => line.startsWith('{') && /"level":\s*[4-6]\d/.test(line));
  tt.same(logged, [], 'no warning or error in the server log');
  tt.equal(stderr.trim(), '', 'nothing on the server\'s stderr');
});
