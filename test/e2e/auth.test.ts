// End to end in a real browser against the real server process: landing page, refused and
// accepted sign-in, the dashboard, sign-out, and the forgotten-password round trip through the
// mail directory. Every page must load without console errors, page errors or CSP violations.
import t, { type Test } from 'tap';
import { mkdir, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import {
  BrowserErrors, SCREENSHOT_DIR, launchBrowser, newestMail, resetLinkFrom, startServer, type RunningServer,
} from './server.ts';

const NEW_PASSWORD = 'Fresh-passw0rd-for-e2e';
const BAD_CREDENTIALS = 'The email or password is not correct.';

let server: RunningServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let errors: BrowserErrors;

t.before(async () => {
  const started = Date.now();
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  t.comment(`server ${server.baseUrl} ready in ${Date.now() - started} ms (demo data: ${server.seeded}); chromium ${browser.version()}`);
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  context = await browser.newContext({ baseURL: server.baseUrl, viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.setDefaultNavigationTimeout(15_000);
  errors = await BrowserErrors.watch(page);
});

t.teardown(async () => {
  await browser?.close().catch(() => {});
  await server?.stop();
});

/** One journey: a subtest that ends by checking the browser saw no errors. */
function journey(name: string, fn: (tt: Test) => Promise<void>) {
  return t.test(name, async (tt) => {
    try {
      await fn(tt);
    } finally {
      tt.same(errors?.take() ?? [], [], 'no console errors, page errors or CSP violations in the browser');
    }
  });
}

async function screenshot(tt: Test, name: string) {
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  tt.comment(`screenshot: ${path.relative(process.cwd(), file)}`);
}

const pathOf = (p: Page) => new URL(p.url()).pathname;

/** Submits the page's form by clicking a button and returns the response to the POST. */
async function submit(p: Page, button: string, action: string): Promise<Response> {
  // The POST's answer, and the commit of the document that follows it (the re-rendered form or
  // the redirect's target), so nothing below looks at the page that was just left.
  const [response] = await Promise.all([
    p.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === action),
    p.waitForEvent('framenavigated', (frame) => frame === p.mainFrame()),
    p.getByRole('button', { name: button, exact: true }).click(),
  ]);
  await p.waitForLoadState('load');
  return response;
}

async function signIn(p: Page, email: string, password: string): Promise<Response> {
  await p.goto('/login');
  await p.locator('input[name="email"]').fill(email);
  await p.locator('input[name="password"]').fill(password);
  return submit(p, 'Sign in', '/login');
}

/** Reads the dashboard cards: label → number (the smallest element of main whose text is the
 * label followed by a number), and whether the card links somewhere. */
async function readCards(p: Page, labels: string[]) {
  return p.evaluate((wanted) => {
    const out: Record<string, { value: number | null; href: string | null }> = {};
    const main = document.querySelector('main') ?? document.body;
    const all = [...main.querySelectorAll<HTMLElement>('*')];
    for (const label of wanted) {
      const re = new RegExp(`^${label}\\s*([\\d,.]+)$`);
      const hits = all.filter((el) => re.test((el.innerText ?? '').replace(/\s+/g, ' ').trim()));
      const el = hits.sort((a, b) => a.innerText.length - b.innerText.length || b.querySelectorAll('*').length - a.querySelectorAll('*').length).pop();
      const match = el && re.exec(el.innerText.replace(/\s+/g, ' ').trim());
      out[label] = {
        value: match ? Number(match[1]!.replace(/,/g, '')) : null,
        href: el?.closest('a')?.getAttribute('href') ?? el?.querySelector('a')?.getAttribute('href') ?? null,
      };
    }
    return out;
  }, labels);
}

async function mailCount(): Promise<number> {
  return existsSync(server.mailDir) ? (await readdir(server.mailDir)).filter((n) => n.endsWith('.eml')).length : 0;
}

journey('landing page renders with a sign-in link', async (tt) => {
  const response = await page.goto('/');
  tt.equal(response?.status(), 200, 'GET / answers 200');
  await page.getByRole('heading', { level: 1 }).waitFor();
  tt.ok(await page.getByRole('link', { name: 'Sign in', exact: true }).first().isVisible(), 'a visible "Sign in" link');
  tt.match(await page.title(), /Order Inventory/, 'page title names the product');
  await screenshot(tt, 'landing');
  await page.getByRole('link', { name: 'Sign in', exact: true }).first().click();
  await page.waitForURL((u) => u.pathname === '/login');
  tt.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Sign in', 'the link leads to the sign-in page');
  await screenshot(tt, 'login');
});

journey('a refused sign-in shows one generic message', async (tt) => {
  const wrong = await errors.expectStatus(401, () => signIn(page, server.admin.email, 'not-the-right-password'));
  tt.equal(wrong.status(), 401, 'wrong password answers 401');
  tt.equal(pathOf(page), '/login', 'stays on the sign-in page');
  tt.ok(await page.getByText(BAD_CREDENTIALS).isVisible(), 'shows the generic message for a wrong password');
  tt.equal(await page.locator('input[name="email"]').inputValue(), server.admin.email, 'keeps the email');
  tt.equal(await page.locator('input[name="password"]').inputValue(), '', 'does not echo the password');
  await screenshot(tt, 'login-refused');

  const unknown = await errors.expectStatus(401, () => signIn(page, 'nobody-here@example.com', 'whatever-password-1'));
  tt.equal(unknown.status(), 401, 'unknown email answers 401 too');
  tt.ok(await page.getByText(BAD_CREDENTIALS).isVisible(), 'and shows the same message');
});

journey('admin signs in and sees the dashboard', async (tt) => {
  const response = await signIn(page, server.admin.email, server.admin.password);
  tt.equal(response.status(), 303, 'sign-in answers with a redirect');
  await page.waitForURL((u) => u.pathname === '/dashboard');
  tt.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Dashboard', 'h1 is "Dashboard"');

  const labels = ['Orders', 'Products', 'Customers', 'Stock units', 'Low-stock items'];
  const cards = await readCards(page, labels);
  for (const label of labels) {
    const card = cards[label];
    tt.type(card?.value, 'number', `card "${label}" shows a number (${card?.value})`);
    tt.ok(card?.href, `card "${label}" links to its module (${card?.href})`);
  }
  if (server.seeded) {
    for (const label of ['Orders', 'Products', 'Customers', 'Stock units']) {
      tt.ok((cards[label]?.value ?? 0) > 0, `with demo data, ${label} > 0`);
    }
  }

  const current = page.locator('header nav a[aria-current="page"]');
  tt.equal(await current.count(), 1, 'exactly one nav link is marked current');
  tt.equal((await current.first().innerText()).trim(), 'Dashboard', 'the current link is Dashboard');
  await screenshot(tt, 'dashboard');
});

journey('signing out returns to the landing page and closes the back office', async (tt) => {
  // A list page changed in place by htmx (the address follows): the kind of page htmx used to
  // keep a snapshot of in the tab.
  await page.goto('/customers');
  await Promise.all([
    page.waitForURL((u) => u.searchParams.get('sort') === 'fullName'),
    page.locator('#customers-rows th a', { hasText: 'Name' }).first().click(),
  ]);
  await Promise.all([
    page.waitForURL((u) => u.pathname === '/'),
    page.getByRole('button', { name: 'Sign out' }).click(),
  ]);
  tt.equal(pathOf(page), '/', 'back on the landing page');
  tt.ok(await page.getByRole('link', { name: 'Sign in', exact: true }).first().isVisible(), 'shows "Sign in" again');
  await page.goto('/dashboard');
  tt.equal(pathOf(page), '/login', '/dashboard now redirects to /login');
  // htmx keeps no snapshot of the back office's pages in the tab (security report 15).
  tt.equal(await page.evaluate(() => sessionStorage.getItem('htmx-history-cache')), null, 'no htmx history cache left in the tab');
});

journey('forgot password → mailed link → new password', async (tt) => {
  // An unknown email gets the same answer and no mail.
  const before = await mailCount();
  await page.goto('/forgot-password');
  await page.locator('input[name="email"]').fill('nobody-here@example.com');
  await submit(page, 'Send reset link', '/forgot-password');
  await page.waitForURL((u) => u.pathname === '/login');
  tt.ok(await page.getByText(/If an account exists for that email, we have sent a link/).isVisible(), 'unknown email: the generic flash');

  const requested = Date.now() - 1_000;
  await page.goto('/forgot-password');
  tt.equal(await page.getByRole('heading', { level: 1 }).count(), 1, 'forgot-password page has a heading');
  await page.locator('input[name="email"]').fill(server.admin.email);
  await screenshot(tt, 'forgot-password');
  await submit(page, 'Send reset link', '/forgot-password');
  await page.waitForURL((u) => u.pathname === '/login');
  tt.ok(await page.getByText(/If an account exists for that email, we have sent a link/).isVisible(), 'known email: the same flash');
  await screenshot(tt, 'forgot-password-sent');

  const mail = await newestMail(server.mailDir, requested);
  tt.equal(await mailCount(), before + 1, 'exactly one mail was written (none for the unknown email)');
  tt.match(mail.text, new RegExp(`^To: .*${server.admin.email.replace(/[.]/g, '\\.')}`, 'mi'), 'the mail goes to the account');
  const link = resetLinkFrom(mail.text);
  tt.ok(link, `the mail contains a reset link (${path.basename(mail.file)})`);
  if (!link) return;
  tt.ok(link.startsWith(`${server.baseUrl}/reset-password?token=`), `the link points at BASE_URL (${link.slice(0, 60)}…)`);

  // The same link opened in a second tab before the first one is used.
  const second = await context.newPage();
  const secondErrors = await BrowserErrors.watch(second);

  const open = await page.goto(link);
  tt.equal(open?.status(), 200, 'the link opens the reset form');
  await screenshot(tt, 'reset-password');
  await second.goto(link);

  await page.locator('input[name="password"]').fill(NEW_PASSWORD);
  await page.locator('input[name="confirm"]').fill(NEW_PASSWORD);
  await submit(page, 'Change password', '/reset-password');
  await page.waitForURL((u) => u.pathname === '/login');
  tt.ok(await page.getByText(/Your password has been changed/).isVisible(), 'flash: the password has been changed');

  // The link is single-use: from the tab opened earlier, and opened again.
  await second.locator('input[name="password"]').fill('Another-passw0rd-x');
  await second.locator('input[name="confirm"]').fill('Another-passw0rd-x');
  const reuse = await secondErrors.expectStatus(400, () => submit(second, 'Change password', '/reset-password'));
  tt.equal(reuse.status(), 400, 'submitting the used link again is refused');
  tt.match(await second.getByRole('heading', { level: 1 }).innerText(), /not valid/i, 'with the "link not valid" page');
  tt.same(secondErrors.take(), [], 'no browser errors in the second tab');
  await second.close();

  const again = await errors.expectStatus(400, () => page.goto(link));
  tt.equal(again?.status(), 400, 'opening the used link again is refused');
  tt.equal(await page.getByRole('button', { name: 'Change password' }).count(), 0, 'and offers no form');
  await screenshot(tt, 'reset-link-used');

  const old = await errors.expectStatus(401, () => signIn(page, server.admin.email, server.admin.password));
  tt.equal(old.status(), 401, 'the old password no longer works');
  tt.ok(await page.getByText(BAD_CREDENTIALS).isVisible(), 'with the generic message');

  const fresh = await signIn(page, server.admin.email, NEW_PASSWORD);
  tt.equal(fresh.status(), 303, 'the new password works');
  await page.waitForURL((u) => u.pathname === '/dashboard');
  tt.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Dashboard', 'and leads to the dashboard');
});

// LOG_LEVEL=warn: any log line is a warning or an error worth a look.
t.test('the server logged no warnings or errors', async (tt) => {
  const { stdout, stderr } = server.output();
  const logged = stdout.split('\n').filter((line) => line.startsWith('{') && /"level":\s*[4-6]\d/.test(line));
  tt.same(logged, [], 'no warning or error in the server log');
  tt.equal(stderr.trim(), '', 'nothing on the server\'s stderr');
});
