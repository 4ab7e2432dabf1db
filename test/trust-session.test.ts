// Issue 13, security finding 3: a session ended by logout, a password change or deactivation
// stays ended, whatever requests of it are still running. A request that read the session before
// the end and saves it after must not bring it back; the logout answer clears the cookie.
import t from 'tap';
import type { FastifySessionObject } from '@fastify/session';
import { buildTestApp, Client, makeUser } from './helper.ts';
import { stores } from '../src/db/schema/index.ts';
import { deactivateUser } from '../src/modules/users/manage.ts';
import { systemActor } from '../src/lib/audit.ts';

const { app } = await buildTestApp(t);
const store = app.sessionStore;
await app.db.insert(stores).values([{ storeName: 'Session A', webAddress: 'https://a.example' }, { storeName: 'Session B', webAddress: 'https://b.example' }]);

const cookie = (c: Client) => `oi.sid=${c.cookies.get('oi.sid')}`;
const sidOf = (c: Client) => { const v = decodeURIComponent(c.cookies.get('oi.sid')!); return v.slice(0, v.lastIndexOf('.')); };
const read = (sid: string) => new Promise<FastifySessionObject | null | undefined>((resolve, reject) => store.get(sid, (err, s) => (err ? reject(err) : resolve(s))));
const save = (sid: string, s: FastifySessionObject) => new Promise<void>((resolve, reject) => store.set(sid, s, (err) => (err ? reject(err) : resolve())));
const dashboard = (cookieHeader: string) => app.inject({ url: '/dashboard', headers: { cookie: cookieHeader, accept: 'text/html' } });

async function signedInClient(user: { email: string; password: string }) {
  const c = new Client(app);
  const res = await c.login(user.email, user.password);
  if (res.statusCode !== 303) throw new Error(`login failed: ${res.statusCode}`);
  await c.get('/dashboard'); // a page of the signed-in session, for its CSRF token
  return c;
}

t.test('a save from a request that read the session before logout does not bring it back', async (t) => {
  const staff = await makeUser(app, 'staff');
  const c = await signedInClient(staff);
  const sid = sidOf(c);
  const old = cookie(c);
  const inFlight = await read(sid);
  t.ok(inFlight?.userId, 'the in-flight request read a signed-in session');

  t.equal((await c.post('/logout')).statusCode, 303);
  await save(sid, { ...inFlight!, storeId: 2 } as FastifySessionObject);

  t.equal(await read(sid), null, 'the store has no session under that id');
  const after = await dashboard(old);
  t.equal(after.statusCode, 303, 'the old cookie is signed out');
  t.match(String(after.headers.location), /^\/login/);
});

t.test('two real requests interleaved: the shop saves its store choice after the logout', async (t) => {
  const staff = await makeUser(app, 'staff');
  const c = await signedInClient(staff);
  const sid = sidOf(c);
  const old = cookie(c);
  // Hold the shop request's save until the logout has answered.
  let release!: () => void;
  const gate = new Promise<void>((resolve) => { release = resolve; });
  let held = false;
  const set = store.set.bind(store);
  store.set = (id, s, cb) => {
    if (id === sid && !held) { held = true; void gate.then(() => set(id, s, cb)); return; }
    set(id, s, cb);
  };
  t.teardown(() => { store.set = set; });

  const shop = app.inject({ url: '/shop?storeId=2', headers: { cookie: old, accept: 'text/html' } });
  while (!held) await new Promise((r) => setImmediate(r));
  const logout = await c.post('/logout');
  t.equal(logout.statusCode, 303);
  release();
  t.equal((await shop).statusCode, 200, 'the shop request finishes');

  t.equal(await read(sid), null, 'the session stays ended');
  t.equal((await dashboard(old)).statusCode, 303, 'the old cookie gets the login page');
});

t.test('the logout answer clears the cookie and the site data', async (t) => {
  const staff = await makeUser(app, 'staff');
  const c = await signedInClient(staff);
  const res = await c.post('/logout');
  t.equal(res.statusCode, 303);
  const cleared = (res.cookies as Array<{ name: string; value: string; expires?: Date; maxAge?: number }>).find((x) => x.name === 'oi.sid');
  t.ok(cleared, 'the answer sets oi.sid');
  t.ok(cleared && (cleared.value === '' || (cleared.expires && cleared.expires.getTime() < Date.now()) || cleared.maxAge === 0), 'to an expired, empty cookie');
  t.equal(res.headers['clear-site-data'], '"cache", "storage"');
  t.notOk(c.cookies.get('oi.sid'), 'the browser forgets the cookie');
});

t.test('a password change ends the other sessions for good, even one with a save in flight', async (t) => {
  const staff = await makeUser(app, 'staff');
  const here = await signedInClient(staff);
  const there = await signedInClient(staff);
  const otherSid = sidOf(there);
  const inFlight = await read(otherSid);
  const changed = await here.post('/account/password', { current: staff.password, password: 'a fresh long passphrase 7', confirm: 'a fresh long passphrase 7' });
  t.equal(changed.statusCode, 303);
  await save(otherSid, { ...inFlight!, storeId: 1 } as FastifySessionObject);
  t.equal(await read(otherSid), null, 'the other session stays ended in the store');
  t.equal((await dashboard(cookie(there))).statusCode, 303);
  t.equal((await dashboard(cookie(here))).statusCode, 200, 'the session that changed it carries on');
});

t.test('deactivation ends every session for good, even one with a save in flight', async (t) => {
  const staff = await makeUser(app, 'staff');
  const c = await signedInClient(staff);
  const sid = sidOf(c);
  const inFlight = await read(sid);
  await deactivateUser(app.db, staff.id, systemActor);
  await save(sid, { ...inFlight!, storeId: 1 } as FastifySessionObject);
  t.equal(await read(sid), null, 'the session stays ended in the store');
});

t.test('a session regenerated at sign-in cannot be revived under its old id either', async (t) => {
  const staff = await makeUser(app, 'staff');
  const c = new Client(app);
  await c.get('/shop?storeId=2'); // the store choice is something to keep: a stored session
  await c.get('/login');
  const before = sidOf(c);
  const inFlight = await read(before);
  t.ok(inFlight, 'the visitor has a stored session');
  await c.post('/login', { email: staff.email, password: staff.password });
  await save(before, { ...inFlight!, userId: staff.id } as FastifySessionObject);
  t.equal(await read(before), null, 'the pre-login id stays ended');
});

t.test('anonymous visits store no session; their forms still work and still need the token', async (t) => {
  const { sql } = await import('drizzle-orm');
  const { queryRows } = await import('../src/db/client.ts');
  const count = async () => (await queryRows<{ n: number }>(app.db, sql`select count(*)::int as n from sessions`))[0]!.n;
  const before = await count();
  for (let i = 0; i < 20; i++) {
    const login = await app.inject({ url: '/login', headers: { accept: 'text/html' } });
    t.equal(login.statusCode, 200);
    t.notOk((login.cookies as Array<{ name: string }>).some((c) => c.name === 'oi.sid'), 'no session cookie for a visitor');
    t.equal((await app.inject({ url: '/register', headers: { accept: 'text/html' } })).statusCode, 200);
  }
  t.equal(await count(), before, '40 anonymous form pages add no session row');

  // The forms still work, with and without htmx, and the token is still required.
  const staff = await makeUser(app, 'staff');
  const plain = new Client(app);
  await plain.get('/login');
  t.equal((await plain.post('/login', { email: staff.email, password: staff.password }, { csrf: false })).statusCode, 403, 'no token: refused');
  t.equal((await plain.post('/login', { email: staff.email, password: staff.password })).statusCode, 303, 'the form signs in');
  const htmx = new Client(app);
  await htmx.get('/login');
  const viaHeader = await htmx.post('/login', { email: staff.email, password: staff.password }, { csrf: false, headers: { 'x-csrf-token': htmx.csrf, 'hx-request': 'true' } });
  t.equal(viaHeader.statusCode, 303, 'htmx sends the token as a header');
  const other = new Client(app);
  await other.get('/register');
  const stranger = new Client(app);
  await stranger.get('/register');
  const forged = await stranger.post('/register', { fullName: 'X', email: `x-${Date.now()}@example.test`, password: 'lantern orchard quietly 41', confirm: 'lantern orchard quietly 41' }, { csrf: other.csrf });
  t.equal(forged.statusCode, 403, "another visitor's token is refused");
  const shopper = new Client(app);
  await shopper.get('/register');
  const reg = await shopper.post('/register', { fullName: 'Shopper', email: `shopper-${Date.now()}@example.test`, password: 'lantern orchard quietly 41', confirm: 'lantern orchard quietly 41' });
  t.equal(reg.statusCode, 303, 'registration works');
  t.ok(shopper.cookies.get('oi.sid'), 'and a signed-in visitor gets a session');
});
