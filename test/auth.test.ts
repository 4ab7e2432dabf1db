import t from 'tap';
import { sql } from 'drizzle-orm';
import { buildTestApp, Client, makeUser, lastMail, mailCount } from './helper.ts';
import { queryRows } from '../src/db/client.ts';
import { stores } from '../src/db/schema/index.ts';
import { BAD_CREDENTIALS, RESET_SENT } from '../src/modules/auth/service.ts';

const { app, config } = await buildTestApp(t, { login: { maxPerAccount: 5, maxPerIp: 1000, windowSeconds: 900 } });
const admin = await makeUser(app, 'admin');
const staff = await makeUser(app, 'staff');
// A visitor's session is stored once it holds something, such as the shop's store choice.
const [shopStore] = await app.db.insert(stores).values({ storeName: 'Auth shop', webAddress: 'https://auth.example' }).returning();
const keepSomething = (c: Client) => c.get(`/shop?storeId=${shopStore!.storeId}`);

const auditCount = async (action: string) =>
  (await queryRows<{ n: number }>(app.db, sql`select count(*)::int as n from audit_events where action = ${action}`))[0]!.n;

t.test('the landing page is public and starts no session', async (t) => {
  const res = await app.inject({ url: '/' });
  t.equal(res.statusCode, 200);
  t.match(res.body, /Sign in/);
  t.notOk(res.headers['set-cookie'], 'no cookie for a visitor who only reads');
  t.match(String(res.headers.vary), /HX-Request/);
  t.match(String(res.headers['content-security-policy']), /script-src 'self'/);
});

t.test('signing in regenerates the session and lands on the dashboard', async (t) => {
  const c = new Client(app);
  await keepSomething(c);
  await c.get('/login');
  const before = c.cookies.get('oi.sid');
  t.ok(before, 'the visitor has a session before signing in');
  const res = await c.post('/login', { email: admin.email.toUpperCase(), password: admin.password });
  t.equal(res.statusCode, 303);
  t.equal(res.headers.location, '/dashboard');
  t.not(c.cookies.get('oi.sid'), before, 'a new session id after login (no fixation)');
  const cookie = String(res.headers['set-cookie']);
  t.match(cookie, /HttpOnly/);
  t.match(cookie, /SameSite=Lax/);
  const dash = await c.get('/dashboard');
  t.equal(dash.statusCode, 200);
  t.match(dash.body, /<a href="\/dashboard" aria-current="page">Dashboard<\/a>/);
  t.match(dash.body, /Users/, 'admins see the admin links');
  t.ok(await auditCount('login') >= 1, 'login is audited');
});

t.test('a fixed session id from before login is useless afterwards', async (t) => {
  const c = new Client(app);
  await keepSomething(c);
  await c.get('/login');
  const planted = c.cookies.get('oi.sid')!;
  t.ok(planted);
  await c.post('/login', { email: admin.email, password: admin.password });
  const attacker = await app.inject({ url: '/dashboard', headers: { cookie: `oi.sid=${planted}` } });
  t.equal(attacker.statusCode, 303, 'the pre-login session is not signed in');
});

t.test('wrong password and unknown email get the same answer', async (t) => {
  const c = new Client(app);
  const wrong = await c.login(staff.email, 'not the password');
  const unknown = await c.login('nobody@example.test', 'not the password');
  t.equal(wrong.statusCode, 401);
  t.equal(unknown.statusCode, 401);
  t.match(wrong.body, BAD_CREDENTIALS);
  t.match(unknown.body, BAD_CREDENTIALS);
  t.match(wrong.body, `value="${staff.email}"`, 'the email is kept in the form');
  t.notMatch(wrong.body, 'not the password', 'the password is never echoed');
  t.ok(await auditCount('login_failed') >= 2);
});

t.test('login form validation', async (t) => {
  const c = new Client(app);
  await c.get('/login');
  const empty = await c.post('/login', {});
  t.equal(empty.statusCode, 422);
  t.match(empty.body, 'Enter your email address.');
  t.match(empty.body, 'Enter your password.');
  const huge = await c.post('/login', { email: 'a'.repeat(5000), password: 'x' });
  t.equal(huge.statusCode, 422);
  const arrays = await c.post('/login', { email: ['a@b.co', 'c@d.co'], password: 'x' });
  t.ok(arrays.statusCode >= 400 && arrays.statusCode < 500, `repeated fields are refused (${arrays.statusCode})`);
});

t.test('CSRF: forms without a valid token are refused', async (t) => {
  const c = new Client(app);
  await c.get('/login');
  const missing = await c.post('/login', { email: admin.email, password: admin.password }, { csrf: false });
  t.equal(missing.statusCode, 403);
  t.match(missing.body, /form has expired/);
  const forged = await c.post('/login', { email: admin.email, password: admin.password }, { csrf: 'forged-token' });
  t.equal(forged.statusCode, 403);
  const other = new Client(app);
  await other.get('/login');
  const stolen = await c.post('/login', { email: admin.email, password: admin.password }, { csrf: other.csrf });
  t.equal(stolen.statusCode, 403, "another session's token does not work");
  await c.login(admin.email, admin.password);
  const stale = c.csrf;
  await c.get('/dashboard');
  t.not(c.csrf, stale, 'signing in rotates the CSRF secret');
  const logout = await c.post('/logout', {}, { csrf: false });
  t.equal(logout.statusCode, 403, 'logout needs the token too');
  const viaHeader = await c.post('/logout', {}, { csrf: false, headers: { 'x-csrf-token': c.csrf } });
  t.equal(viaHeader.statusCode, 303, 'htmx sends the token as a header');
});

t.test('logout is a POST and ends the session', async (t) => {
  const c = new Client(app);
  await c.login(admin.email, admin.password);
  const get = await c.get('/logout');
  t.equal(get.statusCode, 405, 'no GET logout');
  t.equal(get.headers.allow, 'POST');
  await c.get('/dashboard'); // a signed-in page hands the form its token, as a browser's would
  const res = await c.post('/logout');
  t.equal(res.statusCode, 303);
  t.equal(res.headers.location, '/');
  const after = await c.get('/dashboard');
  t.equal(after.statusCode, 303);
  t.match(String(after.headers.location), /^\/login\?next=%2Fdashboard/);
});

t.test('after login, the user returns to where they were going, but only on this site', async (t) => {
  const c = new Client(app);
  await c.get('/login?next=%2Fdashboard%3Fx%3D1');
  let res = await c.post('/login', { email: admin.email, password: admin.password, next: '/dashboard?x=1' });
  t.equal(res.headers.location, '/dashboard?x=1');
  const d = new Client(app);
  await d.get('/login');
  res = await d.post('/login', { email: admin.email, password: admin.password, next: '//evil.example/' });
  t.equal(res.headers.location, '/dashboard');
});

t.test('inactive users cannot sign in, and their sessions stop working', async (t) => {
  const u = await makeUser(app, 'staff');
  const c = new Client(app);
  await c.login(u.email, u.password);
  t.equal((await c.get('/dashboard')).statusCode, 200);
  await app.db.execute(sql`update users set active = false where user_id = ${u.id}`);
  t.equal((await c.get('/dashboard')).statusCode, 303, 'the open session is signed out');
  const again = await new Client(app).login(u.email, u.password);
  t.equal(again.statusCode, 401);
  t.match(again.body, BAD_CREDENTIALS, 'the same message, so inactive accounts are not revealed');
});

t.test('the account is read with the session, once per request', async (t) => {
  const u = await makeUser(app, 'staff', { storeIds: [] });
  const c = new Client(app);
  await c.login(u.email, u.password);
  const sid = decodeURIComponent(c.cookies.get('oi.sid')!).split('.')[0]!;
  const store = app.sessionStore;
  const read = () => new Promise<Record<string, unknown> | null | undefined>((resolve, reject) =>
    store.get(sid, (err, s) => (err ? reject(err) : resolve(s as Record<string, unknown> | null | undefined))));

  t.equal((await read())?.userId, u.id, 'the session as stored');
  t.equal(store.takeUser(sid, u.id + 1), undefined, 'not for another user id');
  await read();
  const taken = store.takeUser(sid, u.id);
  t.equal(taken?.user.email, u.email, 'the account read in the same round trip');
  t.same(taken?.user.storeIds, []);
  t.equal(store.takeUser(sid, u.id), undefined, 'taken once: a second taker loads the account itself');

  // A session row whose user_id column disagrees with its data (never written so) is not trusted.
  await app.db.execute(sql`update sessions set user_id = null where sid = ${sid}`);
  await read();
  t.equal(store.takeUser(sid, u.id), undefined, 'falls back to loading the account');
  t.equal((await c.get('/dashboard')).statusCode, 200, 'and the request is still signed in');
  await app.db.execute(sql`update sessions set user_id = ${u.id} where sid = ${sid}`);

  const many = await Promise.all(Array.from({ length: 8 }, () => c.get('/account/password')));
  t.same(many.map((r) => r.statusCode), Array(8).fill(200), 'concurrent requests of one session are all signed in');
  t.ok(many.every((r) => r.body.includes(u.email) || r.body.includes('Change password')));

  await app.db.execute(sql`update users set active = false where user_id = ${u.id}`);
  await read();
  t.equal(store.takeUser(sid, u.id), null, 'a deactivated account reads as none');
  t.equal((await c.get('/dashboard')).statusCode, 303, 'so the session is signed out');
});

t.test('roles: customers stay out of the back office, staff out of admin pages', async (t) => {
  const { requireAdmin } = await import('../src/plugins/guards.ts');
  const probe = await buildTestApp(t);
  probe.app.register(async (s) => {
    s.addHook('preHandler', requireAdmin);
    s.get('/admin-probe', async () => 'secret');
  });
  const customer = await makeUser(probe.app, 'customer');
  const clerk = await makeUser(probe.app, 'staff');
  const boss = await makeUser(probe.app, 'admin');
  const cc = new Client(probe.app);
  await cc.login(customer.email, customer.password);
  const denied = await cc.get('/dashboard');
  t.equal(denied.statusCode, 403);
  t.match(denied.body, /back office is for store staff/);
  t.match(denied.body, /<nav/, 'the error page keeps the layout');
  const sc = new Client(probe.app);
  await sc.login(clerk.email, clerk.password);
  t.equal((await sc.get('/dashboard')).statusCode, 200);
  t.notMatch((await sc.get('/dashboard')).body, /href="\/users"/, 'staff do not see admin links');
  t.equal((await sc.get('/admin-probe')).statusCode, 403);
  const ac = new Client(probe.app);
  await ac.login(boss.email, boss.password);
  t.equal((await ac.get('/admin-probe')).statusCode, 200);
  t.equal((await new Client(probe.app).get('/admin-probe')).statusCode, 303, 'anonymous: to the login form');
  const hx = await new Client(probe.app).get('/dashboard', { 'hx-request': 'true' });
  t.equal(hx.statusCode, 401);
  t.match(String(hx.headers['hx-redirect']), /^\/login/);
});

t.test('customer self-registration', async (t) => {
  const c = new Client(app);
  await c.get('/register');
  const bad = await c.post('/register', { fullName: '', email: 'not-an-email', password: 'short', confirm: 'other' });
  t.equal(bad.statusCode, 422);
  t.match(bad.body, 'Enter your name');
  t.match(bad.body, 'Enter a valid email address.');
  t.match(bad.body, /Use 10 to 200 characters/);
  const mismatch = await c.post('/register', { fullName: 'Ann', email: 'ann@example.test', password: 'long enough pw', confirm: 'different one!' });
  t.equal(mismatch.statusCode, 422);
  t.match(mismatch.body, 'The two passwords are not the same.');
  t.notMatch(mismatch.body, 'long enough pw', 'passwords are not echoed');
  const ok = await c.post('/register', { fullName: '<script>alert(1)</script> Ann', email: 'Ann@Example.test', password: 'long enough pw', confirm: 'long enough pw' });
  // Issue 13: nothing exists until the mailed link is used (with the password chosen here).
  t.equal(ok.statusCode, 303);
  t.equal(ok.headers.location, '/login');
  t.match((await c.get('/login')).body, 'Check your mail');
  t.equal((await c.get('/account')).statusCode, 303, 'not signed in yet');
  const mail = (await lastMail(config)).replace(/=\r?\n/g, '').replace(/=3D/g, '=');
  const token = /register\/confirm\?token=([A-Za-z0-9_-]+)/.exec(mail)?.[1];
  t.ok(token, 'the mail holds the link');
  await c.get(`/register/confirm?token=${token}`);
  const done = await c.post('/register/confirm', { token: token!, password: 'long enough pw' });
  t.equal(done.statusCode, 303);
  t.equal(done.headers.location, '/account');
  const account = await c.get('/account');
  t.equal(account.statusCode, 200);
  t.match(account.body, '&lt;script&gt;alert(1)&lt;/script&gt; Ann', 'names are escaped');
  t.notMatch(account.body, '<script>alert(1)</script>');
  const rows = await queryRows<{ role: string; customer_id: number; email_address: string }>(app.db,
    sql`select u.role, u.customer_id, c.email_address from users u join customers c using (customer_id) where lower(u.email) = 'ann@example.test'`);
  t.equal(rows.length, 1);
  t.equal(rows[0]!.role, 'customer');
  // Registering a taken address answers the same and mails the owner instead (no enumeration).
  const d = new Client(app);
  await d.get('/register');
  const taken = await d.post('/register', { fullName: 'Ann', email: 'ANN@example.test', password: 'long enough pw', confirm: 'long enough pw' });
  t.equal(taken.statusCode, 303);
  t.equal(taken.headers.location, '/login');
  t.match((await lastMail(config)).replace(/=\r?\n/g, ''), 'Someone tried to create an account with your address');
});

t.test('forgot and reset password', async (t) => {
  const u = await makeUser(app, 'staff');
  const c = new Client(app);
  await c.get('/forgot-password');
  const before = await mailCount(config);
  const unknown = await c.post('/forgot-password', { email: 'ghost@example.test' });
  t.equal(unknown.statusCode, 303);
  t.equal(await mailCount(config), before, 'no mail for an unknown address');
  const unknownPage = await c.get('/login');
  t.match(unknownPage.body, RESET_SENT);
  await c.get('/forgot-password');
  const known = await c.post('/forgot-password', { email: u.email });
  t.equal(known.statusCode, 303);
  t.equal(known.headers.location, unknown.headers.location, 'the same answer either way');
  t.match((await c.get('/login')).body, RESET_SENT);
  const mail = (await lastMail(config)).replace(/=\r?\n/g, '').replace(/=3D/g, '=');
  const token = /reset-password\?token=([A-Za-z0-9_-]+)/.exec(mail)?.[1];
  t.ok(token, 'the mail holds a link');
  const stored = await queryRows<{ token_hash: string }>(app.db, sql`select token_hash from password_resets where user_id = ${u.id}`);
  t.not(stored[0]!.token_hash, token, 'only a hash of the token is stored');

  const other = new Client(app);
  await other.login(u.email, u.password);
  t.equal((await other.get('/dashboard')).statusCode, 200);

  const r = new Client(app);
  const form = await r.get(`/reset-password?token=${token}`);
  t.equal(form.statusCode, 200);
  const weak = await r.post('/reset-password', { token: token!, password: 'short', confirm: 'short' });
  t.equal(weak.statusCode, 422);
  const done = await r.post('/reset-password', { token: token!, password: 'a brand new secret', confirm: 'a brand new secret' });
  t.equal(done.statusCode, 303);
  t.equal((await new Client(app).login(u.email, u.password)).statusCode, 401, 'the old password no longer works');
  t.equal((await new Client(app).login(u.email, 'a brand new secret')).statusCode, 303, 'the new one does');
  t.equal((await other.get('/dashboard')).statusCode, 303, 'sessions from before the reset are ended');

  const reuse = await r.get(`/reset-password?token=${token}`);
  t.equal(reuse.statusCode, 400, 'a used link is refused');
  t.match(reuse.body, 'This link is not valid');
  const reusePost = await r.post('/reset-password', { token: token!, password: 'another new secret', confirm: 'another new secret' });
  t.equal(reusePost.statusCode, 400);
  t.equal((await new Client(app).login(u.email, 'another new secret')).statusCode, 401);

  // An expired link.
  await c.get('/forgot-password');
  await c.post('/forgot-password', { email: u.email });
  const mail2 = (await lastMail(config)).replace(/=\r?\n/g, '').replace(/=3D/g, '=');
  const token2 = /reset-password\?token=([A-Za-z0-9_-]+)/.exec(mail2)![1]!;
  await app.db.execute(sql`update password_resets set expires_at = now() - interval '1 minute' where user_id = ${u.id} and used_at is null`);
  t.equal((await r.get(`/reset-password?token=${token2}`)).statusCode, 400, 'an expired link is refused');
  const garbage = await r.get('/reset-password?token=%3Cscript%3E');
  t.equal(garbage.statusCode, 400);
});

t.test('change password', async (t) => {
  const u = await makeUser(app, 'staff');
  const c = new Client(app);
  await c.login(u.email, u.password);
  const elsewhere = new Client(app);
  await elsewhere.login(u.email, u.password);
  await c.get('/account/password');
  const wrong = await c.post('/account/password', { current: 'nope', password: 'a fresh password', confirm: 'a fresh password' });
  t.equal(wrong.statusCode, 422);
  t.match(wrong.body, 'This is not your current password.');
  const ok = await c.post('/account/password', { current: u.password, password: 'a fresh password', confirm: 'a fresh password' });
  t.equal(ok.statusCode, 303);
  t.equal((await c.get('/dashboard')).statusCode, 200, 'this session carries on');
  t.equal((await elsewhere.get('/dashboard')).statusCode, 303, 'other sessions are ended');
  t.equal((await new Client(app).get('/account/password')).statusCode, 303, 'anonymous users are sent to log in');
});

t.test('login is rate-limited per account', async (t) => {
  const u = await makeUser(app, 'staff');
  for (let i = 0; i < 5; i++) await new Client(app).login(u.email, 'wrong password');
  const blocked = await new Client(app).login(u.email, u.password);
  t.equal(blocked.statusCode, 429, 'even the right password waits');
  t.match(blocked.body, /Too many failed sign-in attempts/);
  const api = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: u.email, password: u.password } });
  t.equal(api.statusCode, 429, 'the API shares the counter');
});

t.test('login is rate-limited per IP', async (t) => {
  const limited = await buildTestApp(t, { login: { maxPerAccount: 100, maxPerIp: 3, windowSeconds: 900 } });
  const u = await makeUser(limited.app, 'staff');
  for (let i = 0; i < 3; i++) await new Client(limited.app).login(`someone${i}@example.test`, 'wrong password');
  t.equal((await new Client(limited.app).login(u.email, u.password)).statusCode, 429);
});

t.test('errors keep the layout and never leak internals', async (t) => {
  const res = await app.inject({ url: '/no/such/page', headers: { accept: 'text/html' } });
  t.equal(res.statusCode, 404);
  t.match(res.body, /<html/);
  t.match(res.body, 'There is nothing at this address.');
  const frag = await app.inject({ url: '/no/such/page', headers: { accept: 'text/html', 'hx-request': 'true' } });
  t.equal(frag.statusCode, 404);
  t.notMatch(frag.body, /<html/, 'htmx gets the fragment only');
  t.match(frag.body, 'id="error"');
  const boosted = await app.inject({ url: '/no/such/page', headers: { 'hx-request': 'true', 'hx-boosted': 'true' } });
  t.match(boosted.body, /<html/, 'a boosted navigation gets the whole page');
});

t.test('health and static assets', async (t) => {
  const health = await app.inject({ url: '/health' });
  t.equal(health.statusCode, 200);
  t.same(health.json(), { status: 'ok', database: 'up', migrations: 'current' });
  t.equal((await app.inject({ url: '/vendor/htmx.min.js' })).statusCode, 200);
  t.equal((await app.inject({ url: '/vendor/pico.min.css' })).statusCode, 200);
  t.equal((await app.inject({ url: '/vendor/../package.json' })).statusCode, 404);
  t.equal((await app.inject({ url: '/static/css/app.css' })).statusCode, 200);
});
