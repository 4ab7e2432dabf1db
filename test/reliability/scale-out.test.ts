// Issue 7 item 7, scale-out: several server processes on one PostgreSQL 15 behind a round-robin
// balancer. Server A is one process; server B is a cluster (WEB_CONCURRENCY=2: a primary and two
// workers), so three processes serve, with production settings behind a TLS-terminating balancer
// (secure cookies, X-Forwarded-For/-Proto trusted: TRUST_PROXY) and no SESSION_SECRET (the
// generated one is shared through the database). Proves:
//   - two processes starting at once on an empty database migrate it and create the first
//     account exactly once;
//   - /health answers 200 with the database reachable and migrations current, 503 when a
//     migration is missing or the database is down, on every process;
//   - a browser session started on one process works on the other (CSRF token, flash message,
//     sign-out ends it everywhere); API tokens likewise;
//   - the login rate limit counts failures across processes (per account and per IP);
//   - cached report figures follow a change made through another process;
//   - a rolling restart (SIGTERM to one process under load; then to a drained one whose clients
//     give up on slow requests) finishes the work in flight, loses nothing, logs no error and
//     exits 0.
import t from 'tap';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.ts';
import {
  alarmingLogLines, Browser, call, createDatabase, eventually, havePostgres, integrityProblems, sleep, startApp, startPostgres, type AppServer,
} from './harness.ts';
import { makeLoadWorld } from './fixtures.ts';
import { MixedLoad } from './load.ts';

if (!havePostgres()) {
  t.plan(0, 'skipped: PostgreSQL 15 binaries not found (set PGBIN)');
} else {
  const pgServer = await startPostgres(t);
  const { url, database } = await createDatabase(t, pgServer, 'oi_rel_scale');
  const { stores, products, customers, admin } = await makeLoadWorld(database, 'scale', { stores: 2, products: 4, stock: 5000, customers: 8 });
  // Production settings behind a TLS-terminating balancer: secure cookies (the default with
  // NODE_ENV=production), the balancer's X-Forwarded-For/-Proto trusted. Real password hashing
  // cost (the default), so a sign-in is a slow request worth giving up on.
  const env = { TRUST_PROXY: 'true', COOKIE_SECURE: 'true', ARGON2_MEMORY_KIB: '19456', ARGON2_TIME_COST: '2' };
  const viaBalancer = { 'x-forwarded-proto': 'https' };
  const [A, B] = await Promise.all([
    // A logs every request (info), so the test knows which abandoned requests reached it.
    startApp(t, url, { name: 'a', env: { ...env, LOG_LEVEL: 'info' } }),
    startApp(t, url, { name: 'b', env: { ...env, WEB_CONCURRENCY: '2' } }),
  ]) as [AppServer, AppServer];
  const both = [A.base, B.base];

  t.test('two processes starting at once on an empty database prepare it once', async (t) => {
    // Machines behind a balancer start together after a deploy: migrations and the first-start
    // accounts are made under advisory locks, so exactly once.
    const fresh = await createDatabase(t, pgServer, 'oi_rel_scale_fresh', { migrate: false });
    const [C, D] = await Promise.all([startApp(t, fresh.url, { name: 'c' }), startApp(t, fresh.url, { name: 'd' })]);
    const [users] = await queryRows<{ n: number }>(fresh.database.db, sql`select count(*)::int as n from users`);
    t.equal(users!.n, 1, 'one administrator account was created');
    const banners = [C!, D!].filter((s) => /First start: these logins are shown once/.test(s.log())).length;
    t.equal(banners, 1, 'and its password printed by one of the two');
    for (const s of [C!, D!]) t.equal((await call(s.base, 'GET', '/health')).status, 200, `${s.base}: healthy, migrations current`);
    await Promise.all([C!.child.stop(), D!.child.stop()]);
  });

  t.test('/health: 200 when the database answers and migrations are current, 503 otherwise', async (t) => {
    for (const base of both) {
      const res = await call(base, 'GET', '/health');
      t.equal(res.status, 200, `${base}: 200`);
      t.same(res.body, { status: 'ok', database: 'up', migrations: 'current' });
    }
    // A process that runs ahead of the database's schema must leave the balancer's rotation.
    const [last] = await queryRows<{ id: number; hash: string; created_at: string }>(database.db,
      sql`delete from drizzle.__drizzle_migrations where id = (select max(id) from drizzle.__drizzle_migrations) returning id, hash, created_at`);
    try {
      for (const base of both) {
        const res = await call(base, 'GET', '/health');
        t.equal(res.status, 503, `${base}: 503 with a migration missing`);
        t.match(res.body, { database: 'up', migrations: 'pending' });
      }
    } finally {
      await database.db.execute(sql`insert into drizzle.__drizzle_migrations (id, hash, created_at) values (${last!.id}, ${last!.hash}, ${last!.created_at})`);
    }
    await pgServer.stop('fast');
    try {
      for (const base of both) {
        const res = await call(base, 'GET', '/health', { timeoutMs: 15_000 });
        t.equal(res.status, 503, `${base}: 503 with the database stopped (${res.status || res.error})`);
        t.match(res.body, { database: 'down' });
      }
    } finally {
      await pgServer.start();
    }
    for (const base of both) {
      t.ok(await eventually(async () => (await call(base, 'GET', '/health')).status === 200, 30_000), `${base}: 200 again by itself`);
    }
  });

  t.test('a browser session works on every process', async (t) => {
    const browser = new Browser(viaBalancer);
    // The login form comes from A; it is posted to B (the CSRF secret lives in the session).
    const login = await browser.login(A.base, B.base, admin.email, admin.password);
    t.equal(login.status, 303, 'signed in on B with the form from A');
    for (const base of [A.base, B.base, B.base, A.base]) {
      const page = await browser.get(base, '/dashboard');
      t.equal(page.status, 200, `${base}: the dashboard`);
      t.match(page.text, admin.fullName, 'shows who is signed in');
    }
    // A form from B posted to A, its flash message read back on B.
    await browser.get(B.base, '/stores/new');
    const created = await browser.post(A.base, '/stores', { storeName: 'Balanced store', physicalAddress: '2 Round Robin Way' });
    t.equal(created.status, 303, 'store form posted on A');
    const location = created.headers?.get('location') ?? '';
    t.match(location, /^\/stores\/\d+$/);
    const shown = await browser.get(B.base, location);
    t.equal(shown.status, 200);
    t.match(shown.text, 'Store Balanced store created.', 'the flash set on A is shown by B');
    const again = await browser.get(A.base, location);
    t.notMatch(again.text, 'Store Balanced store created.', 'and only once');
    const session = browser.cookies.get('__Host-oi.sid');
    t.ok(session, 'the browser holds the session cookie (__Host- behind TLS)');
    const logout = await browser.post(B.base, '/logout');
    t.equal(logout.status, 303, 'signed out on B');
    for (const base of both) {
      const page = await call(base, 'GET', '/dashboard', { cookie: `__Host-oi.sid=${session}`, headers: { accept: 'text/html', ...viaBalancer } });
      t.equal(page.status, 303, `${base}: the old session cookie no longer signs in`);
      t.match(page.headers?.get('location') ?? '', /^\/login/);
    }
  });

  t.test('API tokens work on every process and a sign-out ends them everywhere', async (t) => {
    const login = await call(A.base, 'POST', '/api/v1/auth/login', { body: { email: customers[0]!.email, password: customers[0]!.password } });
    t.equal(login.status, 200, 'token issued by A');
    const token = login.body.token as string;
    t.equal((await call(B.base, 'GET', '/api/v1/me', { token })).status, 200, 'accepted by B');
    t.equal((await call(B.base, 'POST', '/api/v1/auth/logout', { token })).status, 204, 'revoked on B');
    t.equal((await call(A.base, 'GET', '/api/v1/me', { token })).status, 401, 'refused by A');
  });

  t.test('the login rate limit counts across processes', async (t) => {
    const victim = customers[1]!;
    const from = (ip: string) => ({ 'x-forwarded-for': ip });
    // Per account (5 failures in the window): the failures alternate between the processes.
    for (let i = 0; i < 5; i++) {
      const res = await call(both[i % 2]!, 'POST', '/api/v1/auth/login', { body: { email: victim.email, password: 'wrong password' }, headers: from('10.1.0.1') });
      t.equal(res.status, 401, `failure ${i + 1} on ${i % 2 ? 'B' : 'A'}: 401`);
    }
    for (const base of both) {
      const res = await call(base, 'POST', '/api/v1/auth/login', { body: { email: victim.email, password: victim.password }, headers: from('10.1.0.2') });
      t.equal(res.status, 429, `${base}: the right password is refused now (429)`);
    }
    const browser = new Browser(viaBalancer);
    const form = await browser.login(A.base, B.base, victim.email, victim.password, from('10.1.0.3'));
    t.equal(form.status, 429, 'the login form too');
    // Per IP (30 failures in the window), with a different email each time.
    const ip = from('10.2.0.1');
    const failures: number[] = [];
    for (let i = 0; i < 30; i++) {
      failures.push((await call(both[i % 2]!, 'POST', '/api/v1/auth/login', { body: { email: `nobody-${i}@reliability.test`, password: 'wrong password' }, headers: ip })).status);
    }
    t.same(failures, Array(30).fill(401), '30 failures from one IP, alternating between the processes: 401 each');
    for (const base of both) {
      const res = await call(base, 'POST', '/api/v1/auth/login', { body: { email: customers[2]!.email, password: customers[2]!.password }, headers: ip });
      t.equal(res.status, 429, `${base}: the 31st attempt from that IP is refused (429)`);
    }
    const other = await call(B.base, 'POST', '/api/v1/auth/login', { body: { email: customers[2]!.email, password: customers[2]!.password }, headers: from('10.2.0.2') });
    t.equal(other.status, 200, 'another IP still signs in');
  });

  t.test('cached report figures follow changes made through another process', async (t) => {
    const year = new Date().getUTCFullYear();
    const count = async (base: string) => (await call(base, 'GET', `/api/v1/reports/order-status?year=${year}`, { token: admin.token })).body?.totals?.orders as number;
    const before = await count(B.base);
    t.equal(await count(B.base), before, 'B answers the same figure twice (cached)');
    const placed = await call(A.base, 'POST', '/api/v1/orders', { token: customers[3]!.token, body: { storeId: stores[0], items: [{ productId: products[0], quantity: 1 }] } });
    t.equal(placed.status, 201, 'an order placed through A');
    t.equal(await count(B.base), before + 1, 'B counts it at once');
  });

  /** Sends SIGTERM to A and waits for it to exit; A's exit status and its log up to then. */
  async function terminateA() {
    const from = A.log().length;
    const stopping = Date.now();
    await A.kill('SIGTERM');
    return { ms: Date.now() - stopping, exit: { code: A.child.proc.exitCode, signal: A.child.proc.signalCode }, log: A.log().slice(from) };
  }

  t.test('rolling restart: SIGTERM to one process under load, then a restart', async (t) => {
    // Round robin over both; refused connections and 503s are sent again after the restart with
    // their Idempotency-Key, as a balancer (or the client) would retry.
    let live = both;
    let turn = 0;
    const load = new MixedLoad({ stores, products, customers, admin, target: () => live[turn++ % live.length]! }, 31);
    const started = Date.now();
    load.start(12);
    t.ok(await eventually(async () => load.okSince(started) >= 100, 60_000), '100 successful requests before the restart');
    const first = await terminateA();
    t.same(first.exit, { code: 0, signal: null }, `A finished its requests in flight and exited 0, ${first.ms} ms after SIGTERM`);
    t.same(alarmingLogLines(first.log), [], 'A logged no error while stopping');
    live = [B.base]; // the balancer notices A is gone
    await A.restart();
    live = both;
    const restarted = Date.now();
    t.ok(await eventually(async () => load.okSince(restarted) >= 30, 60_000), 'A serves again after its restart');

    // The usual rolling deploy: the balancer drains A first, so the only requests left on it are
    // slow sign-ins (a full password hash each) whose clients give up (a balancer timeout) just
    // as A is told to stop. Their connections are gone: nothing but the handlers is in flight.
    live = [B.base];
    await sleep(300);
    const logFrom = A.log().length;
    const impatient = Array.from({ length: 12 }, (_, i) => fetch(`${A.base}/api/v1/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.9.0.${i + 1}` },
      body: JSON.stringify({ email: `impatient-${i}@reliability.test`, password: 'not the password' }), signal: AbortSignal.timeout(25),
    }).then((r) => r.status, () => 'gave up'));
    // SIGTERM as soon as A has started on them (their handlers then still hash for a while).
    await eventually(async () => A.log().slice(logFrom).includes('"remoteAddress":"10.9.0.'), 2000, 5);
    const second = await terminateA();
    await Promise.all(impatient);
    t.same(second.exit, { code: 0, signal: null }, `drained A exited 0, ${second.ms} ms after SIGTERM`);
    t.same(alarmingLogLines(second.log), [], 'A logged no error while stopping (no "Cannot use a pool after calling end")');
    const attempts = await queryRows<{ email: string; audited: boolean; counted: boolean }>(database.db, sql`
      select e.email,
        exists (select 1 from audit_events a where a.action = 'login_failed' and a.actor_email = e.email) as audited,
        exists (select 1 from login_throttle l where l.key = 'account:email:' || e.email) as counted
      from unnest(${`{${Array.from({ length: 12 }, (_, i) => `impatient-${i}@reliability.test`).join(',')}}`}::text[]) as e(email)`);
    t.same(attempts.filter((a) => a.audited !== a.counted).map((a) => a.email), [], 'every abandoned sign-in that started was finished whole (counted and audited)');
    const reached = A.log().slice(logFrom).split('\n').filter((l) => l.includes('"msg":"incoming request"') && /"remoteAddress":"10\.9\.0\.\d+"/.test(l)).length;
    t.ok(reached > 0, `abandoned sign-ins reached A before it stopped (${reached})`);
    t.equal(attempts.filter((a) => a.audited).length, reached, 'every one of them was finished, none dropped when the process exited');
    await A.restart();
    live = both;
    const again = Date.now();
    t.ok(await eventually(async () => load.okSince(again) >= 30, 60_000), 'and serves again');
    await load.stop();
    const settled = await load.settle();
    t.comment(`${load.ops.length} requests over A and B; answers ${load.tally}; A stopped under load in ${first.ms} ms, drained in ${second.ms} ms; ${attempts.filter((a) => a.audited).length} of 12 abandoned sign-ins had reached A and were finished; retried with their key: ${settled.replayed} replayed, ${settled.doneNow} done now`);
    const bad = load.ops.flatMap((op) => op.answers.filter((a) => a.status >= 500 && a.status !== 503 || (a.status >= 300 && a.status < 500 && a.status !== 409 && a.status !== 422))
      .map((a) => `${op.kind} ${a.status} ${JSON.stringify(a.body)?.slice(0, 200)}`));
    t.same(bad.slice(0, 10), [], 'no 500 or unexpected status (503 while closing and refused connections are for the balancer to retry)');
    t.equal(settled.stillUnknown, 0, 'every keyed request has a definite answer after the retries');
    const acked = load.acknowledged();
    const dbOrders = new Set((await queryRows<{ id: number }>(database.db, sql`select order_id as id from orders`)).map((r) => Number(r.id)));
    t.same([...acked.orders.keys()].filter((id) => !dbOrders.has(id)), [], `every order answered 201 is in the database (${acked.orders.size})`);
    const dbMovements = new Set((await queryRows<{ id: number }>(database.db, sql`select movement_id as id from stock_movements where actor_id = ${admin.id}`)).map((r) => Number(r.id)));
    t.same([...acked.movements].filter((id) => !dbMovements.has(id)), [], `every movement answered 201 is in the database (${acked.movements.size})`);
    t.same([...dbMovements].filter((id) => !acked.movements.has(id)), [], 'and nothing else');
    t.same(await integrityProblems(database), [], 'integrity and stock:verify clean');
    t.same(alarmingLogLines(B.log(), /idle database connection lost/), [], 'B logged no error');
  });
}
