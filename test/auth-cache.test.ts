// Sign-ins kept in memory (src/db/auth-cache.ts): served without a database read while nothing
// changes, dropped by this process's own changes at once and by anyone else's through
// PostgreSQL's notifications, and never served while the notifications are not being heard.
import t from 'tap';
import pg from 'pg';
import { AuthCache } from '../src/db/auth-cache.ts';
import { buildTestApp, makeUser, apiLogin, Client } from './helper.ts';

t.test('the cache alone: epochs, expiry and evictions', async (t) => {
  const fakeClient = () => {
    const c = new pg.Client({ host: '127.0.0.1', port: 1 });
    // Pretend to listen: connect and LISTEN succeed without a server.
    c.connect = (async () => c) as unknown as typeof c.connect;
    c.query = (async () => ({})) as unknown as typeof c.query;
    return c;
  };
  const cache = new AuthCache<string, string>(fakeClient, { warn: () => {} });
  t.equal(cache.session('a'), undefined, 'nothing is kept before listening starts');
  cache.keepSession('a', 'x', 1, Date.now() + 60_000, cache.epoch);
  t.equal(cache.session('a'), undefined, 'nor kept');
  await cache.start();
  t.ok(cache.enabled);

  const before = cache.epoch;
  cache.forgetSession('zzz');
  cache.keepSession('a', 'stale', 1, Date.now() + 60_000, before);
  t.equal(cache.session('a'), undefined, 'a read that began before an eviction is not kept');
  cache.keepSession('a', 'fresh', 1, Date.now() + 60_000, cache.epoch);
  t.equal(cache.session('a')?.value, 'fresh');

  cache.keepSession('b', 'soon gone', 2, Date.now() - 1, cache.epoch);
  t.equal(cache.session('b'), undefined, 'an expired session is not served');

  cache.keepToken('tok', 'acct', 1, Date.now() + 60_000, cache.epoch);
  cache.keepSession('c', 'other user', 3, Date.now() + 60_000, cache.epoch);
  (cache as unknown as { onNotice(p: string): void }).onNotice('u:1');
  t.equal(cache.session('a'), undefined, "a notification about user 1 drops user 1's sessions");
  t.equal(cache.token('tok'), undefined, '... and tokens');
  t.equal(cache.session('c')?.value, 'other user', '... and nobody else’s');
  (cache as unknown as { onNotice(p: string): void }).onNotice('s:c');
  t.equal(cache.session('c'), undefined, 'a session notification drops that session');
  await cache.stop();
  t.notOk(cache.enabled);
});

const url = process.env.TEST_DATABASE_URL;
t.test('with a PostgreSQL server', { skip: url ? false : 'the embedded database keeps no sign-ins (one process, no notifications)' }, async (t) => {
  const { app, database } = await buildTestApp(t);
  const cache = app.authCache!;
  t.ok(cache?.enabled, 'listening once the app is ready');
  const admin = await makeUser(app, 'admin');
  const staff = await makeUser(app, 'staff');
  const other = new pg.Client(database.pool!.options);
  await other.connect();
  t.teardown(() => other.end());
  /** A change made elsewhere without any trigger firing: nothing announces it. */
  const silently = async (text: string, values: unknown[]) => {
    await other.query('begin');
    await other.query('set local session_replication_role = replica');
    await other.query(text, values);
    await other.query('commit');
  };
  const until = async (what: string, check: () => Promise<boolean>) => {
    for (let i = 0; i < 100; i++) {
      if (await check()) return true;
      await new Promise((r) => setTimeout(r, 20));
    }
    t.fail(`waited 2 s for: ${what}`);
    return false;
  };

  t.test('a session is served from memory until a change is announced', async (t) => {
    const browser = new Client(app);
    await browser.login(staff.email, staff.password);
    // The first page after signing in changes the session (its flash message is shown once).
    t.equal((await browser.get('/customers')).statusCode, 200);
    t.equal((await browser.get('/customers')).statusCode, 200);
    await silently('update users set active = false where user_id = $1', [staff.id]);
    t.equal((await browser.get('/customers')).statusCode, 200, 'an unannounced change is not seen: the session came from memory');
    await other.query('update users set active = true where user_id = $1', [staff.id]);
    await other.query('update users set active = false where user_id = $1', [staff.id]);
    await until('the deactivation to end the session', async () => (await browser.get('/customers')).statusCode !== 200);
    const res = await browser.get('/customers');
    t.equal(res.statusCode, 303, 'signed out by a change made in another connection');
    await other.query('update users set active = true where user_id = $1', [staff.id]);
  });

  t.test("this process's own changes end a session before their answer is sent", async (t) => {
    const browser = new Client(app);
    await browser.login(staff.email, staff.password);
    t.equal((await browser.get('/customers')).statusCode, 200);
    const boss = new Client(app);
    await boss.login(admin.email, admin.password);
    await boss.get(`/users/${staff.id}`);
    const off = await boss.post(`/users/${staff.id}/deactivate`);
    t.ok([200, 303].includes(off.statusCode), `deactivated (${off.statusCode})`);
    t.equal((await browser.get('/customers')).statusCode, 303, 'the very next request is signed out');
    await boss.post(`/users/${staff.id}/reactivate`);

    const again = new Client(app);
    await again.login(staff.email, staff.password);
    t.equal((await again.get('/customers')).statusCode, 200);
    const out = await again.post('/logout');
    t.equal(out.statusCode, 303);
    t.equal((await again.get('/customers')).statusCode, 303, 'signing out ends the kept session at once');
  });

  t.test('API tokens: kept, revoked by logout at once and by others on notification', async (t) => {
    const token = await apiLogin(app, staff.email, staff.password);
    const me = () => app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });
    t.equal((await me()).statusCode, 200);
    await silently('update api_tokens set revoked_at = now() where user_id = $1', [staff.id]);
    t.equal((await me()).statusCode, 200, 'served from memory while nothing is announced');
    await other.query('update api_tokens set revoked_at = now() where user_id = $1', [staff.id]);
    await until('the revocation to reach this process', async () => (await me()).statusCode === 401);

    const second = await apiLogin(app, staff.email, staff.password);
    const call = () => app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${second}` } });
    t.equal((await call()).statusCode, 200);
    t.equal((await app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { authorization: `Bearer ${second}` } })).statusCode, 204);
    t.equal((await call()).statusCode, 401, 'a token logged out is refused on the next call');
  });

  t.test('no notifications, no cache: every read goes to the database until they are back', async (t) => {
    const browser = new Client(app);
    await browser.login(staff.email, staff.password);
    t.equal((await browser.get('/customers')).statusCode, 200);
    const { rows } = await other.query<{ pid: number }>(
      "select pid from pg_stat_activity where datname = current_database() and query = 'LISTEN oi_auth'");
    t.equal(rows.length, 1, 'one listening connection');
    await other.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
    await until('the lost connection to be noticed', async () => !cache.enabled);
    await silently('update users set active = false where user_id = $1', [staff.id]);
    t.equal((await browser.get('/customers')).statusCode, 303, 'read from the database while deaf');
    await silently('update users set active = true where user_id = $1', [staff.id]);
    await until('listening again', async () => cache.enabled);
    await browser.login(staff.email, staff.password);
    t.equal((await browser.get('/customers')).statusCode, 200, 'and kept again once back');
  });
});
