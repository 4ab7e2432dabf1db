// The reference system's addresses (feature audit 15): old bookmarks and links land on the pages
// that replace them, with a permanent redirect, the query string kept.
import t from 'tap';
import { buildTestApp, Client, makeUser } from './helper.ts';

const { app } = await buildTestApp(t);
const admin = await makeUser(app, 'admin');

t.test('old addresses redirect permanently to their pages here', async (t) => {
  const visitor = new Client(app);
  const cases: Array<[string, string]> = [['/landingpage', '/'], ['/admin', '/dashboard'], ['/admin/dashboard', '/dashboard'], ['/admin/dashboard?storeId=2', '/dashboard?storeId=2']];
  for (const [from, to] of cases) {
    const res = await visitor.get(from);
    t.equal(res.statusCode, 301, `${from}: moved permanently`);
    t.equal(res.headers.location, to, `${from} → ${to}`);
  }
  const landing = await visitor.get('/');
  t.equal(landing.statusCode, 200, 'the landing page is public');
  const dashboard = await visitor.get('/dashboard');
  t.equal(dashboard.statusCode, 303, 'the dashboard asks a visitor to sign in');
  t.match(String(dashboard.headers.location), /^\/login/);
  const signedIn = new Client(app);
  await signedIn.login(admin.email, admin.password);
  const followed = await signedIn.get(String((await signedIn.get('/admin/dashboard')).headers.location));
  t.equal(followed.statusCode, 200, 'an admin reaches the dashboard');
  t.equal((await visitor.get('/admin/users')).statusCode, 404, 'only the known addresses');
});
