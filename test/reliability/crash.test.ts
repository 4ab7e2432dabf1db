// Issue 7 item 3, crash safety, on a real PostgreSQL 15 with the real server process:
//   1. Under a mixed write load (orders, cancels, adjustments, receipts, transfers through the
//      API) the server is killed with SIGKILL, restarted, and the load goes on.
//   2. Under the same load PostgreSQL is stopped with `pg_ctl stop -m immediate` (a crash: no
//      checkpoint, recovery from the WAL at the next start) and started again, while the app
//      keeps running.
//   3. The same with `-m fast` (a clean restart, as an upgrade or `systemctl restart` does: every
//      session is terminated with an error, which used to kill the server process).
// After each: every request answered 2xx is in the database (and nothing the clients were not
// told about once the unanswered requests are retried with their Idempotency-Key), no order lacks
// its lines or events, no reservation lacks an OPEN or PAID order, and `stock:verify` is clean.
// While the database is down the app answers 503 (never 500, never a hang), /health says so, and
// it recovers by itself: the same process serves again once PostgreSQL is back.
import t, { type Test } from 'tap';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.ts';
import {
  alarmingLogLines, Browser, call, createDatabase, envInt, eventually, havePostgres, integrityProblems, sleep, startApp, startPostgres, stockVerifyCli,
} from './harness.ts';
import { makeLoadWorld } from './fixtures.ts';
import { MixedLoad, ok } from './load.ts';

const WORKERS = envInt('RELIABILITY_CRASH_WORKERS', 16);
/** Successful requests to wait for before each fault and after each recovery. */
const BEFORE = envInt('RELIABILITY_CRASH_ACKS', 150);
const AFTER = Math.max(20, Math.round(BEFORE / 3));

if (!havePostgres()) {
  t.plan(0, 'skipped: PostgreSQL 15 binaries not found (set PGBIN)');
} else {
  const pgServer = await startPostgres(t);
  const { url, database } = await createDatabase(t, pgServer, 'oi_rel_crash');
  const { stores, products, customers, admin } = await makeLoadWorld(database, 'crash', { stores: 2, products: 6, stock: 2000, customers: WORKERS });
  const app = await startApp(t, url, { name: 'crash' });
  const target = () => app.base;
  const loads: MixedLoad[] = [];

  /** The journal of every load so far against the database. */
  async function journalMatchesDatabase(t: Test) {
    const orders = new Map<number, Array<{ productId: number; quantity: number }>>();
    const movements = new Set<number>();
    const transfers = new Set<string>();
    const cancelled = new Set<number>();
    const keys: Array<{ userId: number; key: string }> = [];
    for (const load of loads) {
      const a = load.acknowledged();
      for (const [id, lines] of a.orders) orders.set(id, lines);
      for (const id of a.movements) movements.add(id);
      for (const id of a.transfers) transfers.add(id);
      for (const id of a.cancelled) cancelled.add(id);
      keys.push(...a.keys);
    }
    const dbOrders = await queryRows<{ id: number; status: string; lines: string }>(database.db, sql`
      select o.order_id as id, o.order_status as status,
        string_agg(i.product_id || 'x' || i.quantity, ',' order by i.line_item_id) as lines
      from orders o left join order_items i on i.order_id = o.order_id group by o.order_id`);
    const inDb = new Map(dbOrders.map((o) => [Number(o.id), o]));
    const missing = [...orders.keys()].filter((id) => !inDb.has(id));
    t.same(missing, [], `every order answered 201 is in the database (${orders.size})`);
    const unknown = [...inDb.keys()].filter((id) => !orders.has(id));
    t.same(unknown, [], 'every order in the database was answered 201 (after the retries)');
    const wrongLines = [...orders].filter(([id, lines]) => inDb.has(id) && inDb.get(id)!.lines !== lines.map((l) => `${l.productId}x${l.quantity}`).join(','));
    t.same(wrongLines.map(([id]) => id), [], 'their lines are the ones answered');
    const notCancelled = [...cancelled].filter((id) => inDb.get(id)?.status !== 'CANCELLED');
    t.same(notCancelled, [], `every cancel answered 200 is CANCELLED (${cancelled.size})`);

    const dbMovements = await queryRows<{ id: number; transfer: string | null }>(database.db, sql`
      select movement_id as id, transfer_id::text as transfer from stock_movements where actor_id = ${admin.id}`);
    const dbMovementIds = new Set(dbMovements.map((m) => Number(m.id)));
    t.same([...movements].filter((id) => !dbMovementIds.has(id)), [], `every movement answered 201 is in the database (${movements.size})`);
    t.same([...dbMovementIds].filter((id) => !movements.has(id)), [], 'every movement in the database was answered 201 (after the retries)');
    const dbTransfers = new Set(dbMovements.map((m) => m.transfer).filter((x): x is string => !!x));
    t.same([...transfers].filter((id) => !dbTransfers.has(id)), [], `every transfer answered 201 is in the database (${transfers.size})`);

    const stored = await queryRows<{ user_id: number; key: string }>(database.db, sql`select user_id, key from idempotency_keys`);
    const storedKeys = new Set(stored.map((k) => `${k.user_id}:${k.key}`));
    t.same(keys.filter((k) => !storedKeys.has(`${k.userId}:${k.key}`)).map((k) => k.key), [], `every Idempotency-Key answered 2xx is stored (${keys.length})`);

    t.same(await integrityProblems(database), [], 'orders have lines and events, reservations have OPEN or PAID orders, the ledger reconciles');
    const cli = await stockVerifyCli(url);
    t.equal(cli.code, 0, `npm run cli -- stock:verify exits 0: ${cli.output.split('\n').at(-1)}`);
  }

  t.test('SIGKILL of the server under load, then a restart', async (t) => {
    const load = new MixedLoad({ stores, products, customers, admin, target }, 11);
    loads.push(load);
    const started = Date.now();
    load.start(WORKERS);
    t.ok(await eventually(async () => load.okSince(started) >= BEFORE, 60_000), `${BEFORE} successful requests before the kill`);
    const ackedBefore = load.acknowledged();
    const killedAt = Date.now();
    await app.kill('SIGKILL');
    await sleep(500);
    await app.restart();
    const restartedAt = Date.now();
    t.ok(await eventually(async () => load.okSince(restartedAt) >= AFTER, 60_000), `${AFTER} successful requests after the restart`);
    await load.stop();
    const settled = await load.settle();
    t.comment(`${load.ops.length} requests by ${WORKERS} clients; answers ${load.tally}; before the kill ${ackedBefore.orders.size} orders and ${ackedBefore.movements.size} movements acknowledged; down ${restartedAt - killedAt} ms; unanswered requests retried with their key: ${settled.replayed} had committed (replayed), ${settled.doneNow} had not (done now)`);
    t.equal(settled.stillUnknown, 0, 'every keyed request has a definite answer after the retries');
    const odd = load.ops.flatMap((op) => op.answers.filter((a) => a.status !== 0 && !ok(a) && a.status !== 409 && a.status !== 422)
      .map((a) => `${op.kind} ${a.status} ${JSON.stringify(a.body).slice(0, 200)}`));
    t.same(odd.slice(0, 10), [], 'every answer is 2xx, 409 or 422 (no answer at all while the server was down)');
    t.ok(load.ops.some((op) => op.answers.some((a) => a.status === 0)), 'the kill did cut requests off');
    await journalMatchesDatabase(t);
  });

  /** PostgreSQL stopped under load (immediate: a crash; fast: a clean restart, what an upgrade or
   * `systemctl restart` does, which terminates every session with an error) and started again. */
  async function databaseOutage(t: Test, mode: 'immediate' | 'fast', seed: number) {
    const pid = app.child.pid;
    const logFrom = app.log().length;
    // Requests refused for the outage are logged as errors (they are 5xx); anything else, or
    // anything printed outside the JSON log (a crash trace), is a finding.
    const outage = /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|Connection terminated|terminating connection|not queryable|connection error|the database system is|timeout exceeded when trying to connect/i;
    // A signed-in browser, to see that pages (session lookups) also answer 503.
    const browser = new Browser();
    const login = await browser.login(app.base, app.base, admin.email, admin.password);
    t.equal(login.status, 303, 'signed in before the outage');
    const load = new MixedLoad({ stores, products, customers, admin, target }, seed);
    loads.push(load);
    const started = Date.now();
    load.start(WORKERS);
    t.ok(await eventually(async () => load.okSince(started) >= BEFORE, 60_000), `${BEFORE} successful requests before the stop`);
    await pgServer.stop(mode);
    const downAt = Date.now();

    const health = await call(app.base, 'GET', '/health', { timeoutMs: 15_000 });
    t.equal(health.status, 503, `/health answers 503 while the database is down (${health.status || health.error})`);
    t.match(health.body, { database: 'down' }, '/health says the database is down');
    const page = await browser.get(app.base, '/dashboard');
    t.equal(page.status, 503, `a signed-in page answers 503 (${page.status || page.error})`);
    const api = await call(app.base, 'GET', '/api/v1/me', { token: customers[0]!.token, timeoutMs: 15_000 });
    t.equal(api.status, 503, `an API request answers 503 (${api.status || api.error})`);
    t.match(api.body, { status: 503, message: /unavailable/i }, 'with the API error body');
    t.equal(api.headers?.get('retry-after'), '5', 'and Retry-After');
    await sleep(1500);
    const upFrom = Date.now();
    await pgServer.start();
    if (app.child.proc.exitCode !== null || app.child.proc.signalCode !== null) {
      // Fail fast (and bring it back for the next scenarios) rather than wait out every retry.
      t.fail(`the server process died when the database went away:\n${alarmingLogLines(app.log().slice(logFrom), outage).join('\n')}`);
      await load.stop();
      await app.restart();
      return;
    }
    const upAt = Date.now();
    const recovered = await eventually(async () => (await call(app.base, 'GET', '/health')).status === 200, 30_000);
    t.ok(recovered, `/health is 200 again ${Date.now() - upAt} ms after PostgreSQL is back`);
    t.equal(app.child.pid, pid, 'the same server process (no restart)');
    t.equal(app.child.proc.exitCode, null, 'which is still running');
    t.ok(await eventually(async () => load.okSince(upAt) >= AFTER, 60_000), `${AFTER} successful requests after the recovery`);
    const dashboard = await browser.get(app.base, '/dashboard');
    t.equal(dashboard.status, 200, 'the signed-in browser carries on with its session');
    await load.stop();
    const settled = await load.settle();

    // Requests sent after the stop completed and answered before the start began.
    const whileDown = load.ops.flatMap((op) => op.answers.filter((a) => a.at - a.ms >= downAt && a.at <= upFrom));
    const notUnavailable = whileDown.filter((a) => a.status !== 503).map((a) => `${a.status || a.error}`);
    t.comment(`${load.ops.length} requests; answers ${load.tally}; database down ${upAt - downAt} ms; ${whileDown.length} requests answered while down; retried with their key: ${settled.replayed} replayed, ${settled.doneNow} done now`);
    t.ok(whileDown.length > 0, 'requests arrived while the database was down');
    t.same(notUnavailable.slice(0, 10), [], 'every one of them was answered 503');
    const bad = load.ops.flatMap((op) => op.answers.filter((a) => !ok(a) && ![409, 422, 503].includes(a.status))
      .map((a) => `${op.kind} ${a.status || a.error} ${JSON.stringify(a.body)?.slice(0, 200)}`));
    t.same(bad.slice(0, 10), [], 'never a 500, another status, a hang or a dropped connection');
    t.equal(settled.stillUnknown, 0, 'every keyed request has a definite answer after the retries');
    await journalMatchesDatabase(t);
    t.same(alarmingLogLines(app.log().slice(logFrom), outage).slice(0, 5), [],
      'the server logged nothing but the expected database-unavailable reports (and did not crash)');
  }

  t.test('PostgreSQL crash (stop -m immediate) and restart under load', (t) => databaseOutage(t, 'immediate', 23));
  t.test('PostgreSQL clean restart (stop -m fast: sessions terminated) under load', (t) => databaseOutage(t, 'fast', 37));

  t.test('sign-in works after every fault', async (t) => {
    const res = await call(app.base, 'POST', '/api/v1/auth/login', { body: { email: admin.email, password: admin.password } });
    t.equal(res.status, 200, 'a new bearer token is issued');
  });
}
