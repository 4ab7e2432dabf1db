// Dashboard and reports API under load, against a real PostgreSQL holding the large data set.
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:55446/bench npx tsx test/bench/dashboard.ts [--seed] [--duration 10]
//
// --rebuild times a build of the rollups from scratch first (always done after --seed).
// --seed first loads seedData(50 stores, 100,000 products, 500,000 customers, 1,000,000 orders)
// into that (empty, migrated) database. Then: the rollups are built from scratch (timed), the
// incremental refresh is timed after 1, 100 and 1,000 changed orders, the app is started as its
// own process, and each route is measured cold (first request after a restart of the app) and
// warm with autocannon at 10 and 50 connections. Latencies are collected per response, so p95 is
// exact. /health runs first as the reference for this machine at this moment, and the CPU time
// the app process and its PostgreSQL backends spent per request is reported beside the latencies:
// unlike them it does not depend on what else the machine is running.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';
import { sql } from 'drizzle-orm';
import { createDb, queryRows } from '../../src/db/client.ts';
import { runMigrations } from '../../src/db/migrate.ts';
import { seedData } from '../../src/db/seed.ts';
import { createUser } from '../../src/modules/users/service.ts';
import { systemActor } from '../../src/lib/audit.ts';
import { ensureRollups, refreshRollups } from '../../src/modules/reports/refresh.ts';
import { freePort } from '../e2e/server.ts';

// autocannon ships no type declarations: the little used here, typed by hand.
interface Cannon extends PromiseLike<{ requests: { average: number } }> {
  on(event: 'response', fn: (client: unknown, status: number, bytes: number, time: number) => void): void;
}
const autocannon = createRequire(import.meta.url)('autocannon') as (opts: { url: string; connections: number; duration: number; headers: Record<string, string> }) => Cannon;

const { values: args } = parseArgs({ options: { seed: { type: 'boolean' }, rebuild: { type: 'boolean' }, duration: { type: 'string', default: '10' }, tz: { type: 'string', default: 'UTC' } } });
const url = process.env.DATABASE_URL;
if (!url) throw new Error('Set DATABASE_URL to the benchmark database.');
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const duration = Number(args.duration);
const timeZone = args.tz!;
const PASSWORD = 'bench-password-123';

const database = await createDb({ databaseUrl: url, poolMax: 4 });
const { db } = database;
await runMigrations(database);
if (args.seed) {
  const summary = await seedData(db, { stores: 50, products: 100_000, customers: 500_000, orders: 1_000_000, log: console.log });
  console.log(summary);
}
const [size] = await queryRows<{ orders: number; items: number; inventory: number }>(db, sql`
  select (select count(*) from orders)::int as orders, (select count(*) from order_items)::int as items, (select count(*) from inventory)::int as inventory`);
console.log(`# data: ${size!.orders} orders, ${size!.items} order lines, ${size!.inventory} inventory rows`);

const ms = (t0: number) => Math.round(performance.now() - t0);
let t0 = performance.now();
if (args.rebuild || args.seed) {
  await refreshRollups(db, timeZone, { full: true });
  console.log(`# rollups built from scratch in ${ms(t0)} ms`);
} else {
  const r = await ensureRollups(db, timeZone);
  console.log(`# rollups brought up to date (${r.kind}) in ${ms(t0)} ms`);
}
t0 = performance.now();
await ensureRollups(db, timeZone);
console.log(`# check with nothing changed: ${ms(t0)} ms`);
for (const n of [1, 100, 1000]) {
  // Status moves that need no stock change: COMPLETE → REFUNDED and back (version and updated_at bumped).
  await db.execute(sql`update orders set order_status = case order_status when 'COMPLETE' then 'REFUNDED' else 'COMPLETE' end,
    updated_at = now(), version = version + 1
    where order_id in (select order_id from orders where order_status in ('COMPLETE', 'REFUNDED') order by order_id desc limit ${n})`);
  t0 = performance.now();
  const r = await ensureRollups(db, timeZone);
  console.log(`# refresh after ${n} changed orders: ${ms(t0)} ms (${r.orderBuckets} order buckets)`);
}
// Rows changed within the safety margin (1 s) before a refresh are read once more by the next
// one; let that happen here rather than in the first measured request.
await new Promise((r) => setTimeout(r, 1100));
t0 = performance.now();
const again = await ensureRollups(db, timeZone);
console.log(`# next refresh re-reads the last second's changes: ${ms(t0)} ms (${again.orderBuckets} order buckets)`);
t0 = performance.now();
await ensureRollups(db, timeZone);
console.log(`# then with nothing changed: ${ms(t0)} ms`);

// Accounts for the run: an admin, and staff working at two stores.
const stores = (await queryRows<{ id: number }>(db, sql`select store_id as id from stores order by store_id limit 2`)).map((r) => Number(r.id));
const stamp = Date.now();
const accounts = { admin: `bench-admin-${stamp}@example.test`, staff: `bench-staff-${stamp}@example.test` };
await createUser(db, { email: accounts.admin, password: PASSWORD, fullName: 'Bench Admin', role: 'admin' }, systemActor, { memoryCost: 4096, timeCost: 1, parallelism: 1 });
await createUser(db, { email: accounts.staff, password: PASSWORD, fullName: 'Bench Staff', role: 'staff', storeIds: stores }, systemActor, { memoryCost: 4096, timeCost: 1, parallelism: 1 });

async function startApp() {
  const port = await freePort();
  const env = { ...process.env, DATABASE_URL: url, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', SEED_DEMO: 'false', TIME_ZONE: timeZone, NODE_ENV: 'production', COOKIE_SECURE: 'false' };
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { cwd: ROOT, env, stdio: ['ignore', 'inherit', 'inherit'] });
  // The app goes down with the benchmark, however that ends.
  process.on('exit', () => child.kill('SIGTERM'));
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    try { if ((await fetch(`${base}/health`)).ok) break; } catch { /* starting */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { base, pid: child.pid!, stop: () => new Promise<void>((r) => { child.once('exit', () => r()); child.kill('SIGTERM'); }) };
}

async function login(base: string, email: string) {
  const form = await fetch(`${base}/login`);
  const cookie = (form.headers.getSetCookie?.() ?? []).map((c) => c.split(';')[0]).join('; ');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
  const res = await fetch(`${base}/login`, {
    method: 'POST', redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams({ _csrf: csrf, email, password: PASSWORD }).toString(),
  });
  const session = (res.headers.getSetCookie?.() ?? []).map((c) => c.split(';')[0]).join('; ');
  const api = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }) });
  return { cookie: session || cookie, token: (await api.json()).token as string };
}

const year = new Date().getUTCFullYear();
const month = new Date().getUTCMonth() + 1;
const routes: Array<{ name: string; path: string; who: 'admin' | 'staff'; kind: 'page' | 'api' | 'ref' }> = [
  { name: 'reference: /health', path: '/health', who: 'admin', kind: 'ref' },
  { name: 'dashboard, this year, all stores (admin)', path: '/dashboard', who: 'admin', kind: 'page' },
  { name: 'dashboard, this month, all stores (admin)', path: `/dashboard?year=${year}&month=${month}`, who: 'admin', kind: 'page' },
  { name: 'dashboard, this year, one store (admin)', path: `/dashboard?year=${year}&storeId=${stores[0]}`, who: 'admin', kind: 'page' },
  { name: 'dashboard, this year, 2 stores (staff)', path: '/dashboard', who: 'staff', kind: 'page' },
  { name: 'dashboard htmx fragment, last year', path: `/dashboard?year=${year - 1}`, who: 'admin', kind: 'page' },
  { name: 'API sales', path: `/api/v1/reports/sales?year=${year}`, who: 'admin', kind: 'api' },
  { name: 'API sales per day', path: `/api/v1/reports/sales?year=${year}&month=${month}`, who: 'admin', kind: 'api' },
  { name: 'API product-sales', path: `/api/v1/reports/product-sales?year=${year}&limit=10`, who: 'admin', kind: 'api' },
  { name: 'API product-sales (staff, 2 stores)', path: `/api/v1/reports/product-sales?year=${year}&limit=10`, who: 'staff', kind: 'api' },
  { name: 'API order-status', path: `/api/v1/reports/order-status?year=${year}`, who: 'admin', kind: 'api' },
  { name: 'API shipment-status', path: `/api/v1/reports/shipment-status?year=${year}`, who: 'admin', kind: 'api' },
  { name: 'API stock-value', path: '/api/v1/reports/stock-value', who: 'admin', kind: 'api' },
];

const app = await startApp();
const creds = { admin: await login(app.base, accounts.admin), staff: await login(app.base, accounts.staff) };
const headersFor = (r: (typeof routes)[number]) => {
  const c = creds[r.who];
  const h: Record<string, string> = r.kind === 'api' ? { authorization: `Bearer ${c.token}` } : { cookie: c.cookie };
  if (r.name.includes('htmx')) h['hx-request'] = 'true';
  return h;
};

// Cold: the first request of each route after the app process started (the rollups are current).
const cold = new Map<string, number>();
for (const r of routes) {
  t0 = performance.now();
  const res = await fetch(app.base + r.path, { headers: headersFor(r) });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${r.path}: ${res.status}`);
  cold.set(r.name, ms(t0));
}

/** CPU time (ms) used so far by the given processes (utime + stime from /proc, 100 ticks/s). */
function cpuMs(pids: number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      out.set(pid, (Number(f[11]) + Number(f[12])) * 10);
    } catch { /* gone */ }
  }
  return out;
}
/** The app process and the PostgreSQL backends serving its pool. */
async function servingPids(): Promise<number[]> {
  const rows = await queryRows<{ pid: number }>(db, sql`select pid from pg_stat_activity where application_name = 'order-inventory' and pid <> pg_backend_pid()`);
  return [app.pid, ...rows.map((r) => Number(r.pid))];
}

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function load(r: (typeof routes)[number], connections: number) {
  const times: number[] = [];
  let non2xx = 0;
  const before = cpuMs(await servingPids());
  const instance = autocannon({ url: app.base + r.path, connections, duration, headers: headersFor(r) });
  instance.on('response', (_client: unknown, status: number, _bytes: number, time: number) => {
    times.push(time);
    if (status !== 200) non2xx++;
  });
  const result = await instance;
  let cpu = 0;
  for (const [pid, used] of cpuMs(await servingPids())) cpu += used - (before.get(pid) ?? 0);
  times.sort((a, b) => a - b);
  return {
    rps: Math.round(result.requests.average), p50: percentile(times, 50), p95: percentile(times, 95), p99: percentile(times, 99), non2xx,
    cpu: cpu / Math.max(1, times.length),
  };
}

const rows: string[] = [];
for (const r of routes) {
  const c10 = await load(r, 10);
  const c50 = await load(r, 50);
  const f = (x: number) => x.toFixed(1);
  rows.push(`| ${r.name} | ${cold.get(r.name)} | ${f(c10.p50)} / ${f(c10.p95)} | ${c10.rps} | ${f(c50.p50)} / ${f(c50.p95)} / ${f(c50.p99)} | ${c50.rps} | ${c50.cpu.toFixed(2)} | ${c10.non2xx + c50.non2xx} |`);
  console.log(rows.at(-1));
}
await app.stop();
await database.close();

console.log(`\n${size!.orders.toLocaleString('en')} orders; ${duration} s per run; latencies in ms\n`);
console.log('| route | cold (first request) | c=10 p50 / p95 | c=10 req/s | c=50 p50 / p95 / p99 | c=50 req/s | CPU ms/request (app + PG) | non-200 |');
console.log('|---|---|---|---|---|---|---|---|');
for (const row of rows) console.log(row);
