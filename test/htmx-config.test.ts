// What every layout tells htmx (security report 15): no snapshots of pages in the tab's
// sessionStorage, where customer names and emails outlived signing out. Back and forward still
// work: on a miss htmx asks the server again (a history-restore request gets the whole page).
import t from 'tap';
import { buildTestApp, Client, makeUser } from './helper.ts';

const { app } = await buildTestApp(t);
const admin = await makeUser(app, 'admin');
const shopper = await makeUser(app, 'customer');

const htmxConfig = (html: string) => JSON.parse(/<meta name="htmx-config" content='([^']+)'>/.exec(html)?.[1] ?? '{}') as Record<string, unknown>;

t.test('no layout lets htmx keep page snapshots', async (t) => {
  const staffSide = new Client(app);
  await staffSide.login(admin.email, admin.password);
  for (const url of ['/dashboard', '/customers', '/orders']) {
    const page = await staffSide.get(url);
    t.equal(page.statusCode, 200, url);
    t.equal(htmxConfig(page.body).historyCacheSize, 0, `${url}: back office`);
  }
  const restore = await staffSide.get('/customers?sort=fullName', { 'hx-request': 'true', 'hx-history-restore-request': 'true' });
  t.match(restore.body, /^<!doctype html>/i, 'a history restore gets the whole page from the server');
  const account = new Client(app);
  await account.login(shopper.email, shopper.password);
  t.equal(htmxConfig((await account.get('/account')).body).historyCacheSize, 0, 'the shop, signed in');
  t.equal(htmxConfig((await new Client(app).get('/login')).body).historyCacheSize, 0, 'the sign-in pages');
});
