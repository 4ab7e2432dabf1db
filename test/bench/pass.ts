// One pass of the measurements for one WEB_CONCURRENCY: the PK-page reference server, then the
// app server (child processes), each route preflighted, warmed up and measured with the server's
// RSS sampled over its process tree.
import path from 'node:path';
import { loadFixtures, type Fixtures } from './fixtures.ts';
import { request, runLoad, type LoadResult, type LoadSpec } from './load.ts';
import { apiLogin, formLogin } from './login.ts';
import { freePort, RssSampler, startChild, waitReady, type Child } from './proc.ts';
import type { Auth, Group, Reference, RouteContext, RouteDef } from './routes.ts';
import { routeList } from './routes.ts';
import { ACCOUNTS } from './dataset.ts';

export interface Settings {
  root: string;
  outDir: string;
  dbUrl: string;
  small: boolean;
  seconds: number;
  warmupSeconds: number;
  connections: number;
  groups: Group[];
  log: (msg: string) => void;
}

export interface RouteRow {
  name: string;
  groups: Group[];
  reference: Reference;
  connections: number;
  skipped?: string;
  note?: string;
  result?: LoadResult;
  /** Answers that are a correct outcome (409 when stock ran out), and the rest of the non-2xx. */
  expected?: number;
  unexpected?: number;
  rssMb?: { peakMb: number; meanMb: number };
  /** Median of a few sequential requests (one connection): service time without queueing. */
  serialMs?: number;
}

export interface PkResult { connections: number; when: 'before' | 'after'; result: LoadResult; rssMb: { peakMb: number; meanMb: number } }

/** A floor page of the reference server (see reference-server.ts): the app's list statement alone. */
export interface FloorResult { name: string; path: string; connections: number; result: LoadResult; serialMs?: number }

export interface PassResult { workers: number; idleRssMb: number; pk: PkResult[]; floor: FloorResult[]; routes: RouteRow[]; serverLog: string }

/** The floor pages measured with the list routes: first page and search of each list. */
function floorPages(fx: Fixtures): Array<{ name: string; path: string }> {
  return [
    { name: 'floor: customer list statement', path: '/floor/customers' },
    { name: `floor: customer search statement, q=${fx.nameFragment}`, path: `/floor/customers?q=${encodeURIComponent(fx.nameFragment)}` },
    { name: 'floor: product list statement', path: '/floor/products' },
    { name: `floor: product search statement, q=${fx.productWord}`, path: `/floor/products?q=${encodeURIComponent(fx.productWord)}` },
  ];
}

const live = new Set<Child>();
/** Stops whatever child is still running (on an error or Ctrl-C). */
export async function stopChildren(): Promise<void> {
  await Promise.all([...live].map((c) => c.stop()));
  live.clear();
}

async function startServer(s: Settings, label: string, script: string, env: NodeJS.ProcessEnv): Promise<{ child: Child; baseUrl: string }> {
  const port = await freePort();
  const logFile = path.join(s.outDir, `${label}.log`);
  const child = startChild(process.execPath, ['--import', 'tsx', script], {
    ...process.env, ...env, HOST: '127.0.0.1', PORT: String(port), DATABASE_URL: s.dbUrl,
  }, logFile, s.root);
  live.add(child);
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitReady(`${baseUrl}/health`, child);
  return { child, baseUrl };
}

async function stopServer(child: Child): Promise<void> {
  await child.stop();
  live.delete(child);
}

/** Median time of a few requests sent one after another: the service time without queueing. */
async function serialProbe(baseUrl: string, spec: LoadSpec, count: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await request(baseUrl, spec.method, spec.nextPath ? spec.nextPath() : spec.path, spec.headers, spec.body?.());
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return Math.round(times[Math.floor(times.length / 2)]! * 10) / 10;
}

async function measure(baseUrl: string, pid: number, spec: LoadSpec, warmupSeconds: number, probe = 0) {
  if (warmupSeconds > 0) await runLoad(baseUrl, { ...spec, seconds: warmupSeconds, connections: Math.min(spec.connections, 10) });
  const serialMs = probe > 0 ? await serialProbe(baseUrl, spec, probe) : undefined;
  const rss = new RssSampler(pid).start();
  const result = await runLoad(baseUrl, spec);
  return { result, rssMb: rss.stop(), serialMs };
}

export async function runPass(s: Settings, workers: number, fx: Fixtures, wantPk: boolean): Promise<PassResult> {
  const pk: PkResult[] = [];
  const defs = routeList(fx, s.connections).filter((r) => r.groups.some((g) => s.groups.includes(g)));
  const pkConns = [...new Set(defs.filter((d) => d.reference === 'pk-page').map((d) => d.connections!))].sort((a, b) => a - b);
  let ref: Awaited<ReturnType<typeof startServer>> | undefined;
  let app: Awaited<ReturnType<typeof startServer>> | undefined;
  // The reference is measured before and after the app's routes (it idles in between): the
  // machine's load drifts, and the two figures show by how much.
  const measurePk = async (when: PkResult['when']) => {
    for (const c of pkConns) {
      s.log(`  reference PK page, ${c} connections (${when})`);
      const m = await measure(ref!.baseUrl, ref!.child.pid, { method: 'GET', path: '/customer', headers: {}, connections: c, seconds: s.seconds }, s.warmupSeconds);
      pk.push({ connections: c, when, result: m.result, rssMb: m.rssMb });
      s.log(`    ${m.result.rps} req/s, p95 ${m.result.p95} ms`);
    }
  };
  const floor: FloorResult[] = [];
  const measureFloor = async () => {
    if (!defs.some((d) => d.groups.includes('lists'))) return;
    for (const f of floorPages(fx)) {
      s.log(`  ${f.name}, ${s.connections} connections`);
      const m = await measure(ref!.baseUrl, ref!.child.pid, { method: 'GET', path: f.path, headers: {}, connections: s.connections, seconds: s.seconds }, s.warmupSeconds, s.small ? 7 : 15);
      floor.push({ ...f, connections: s.connections, result: m.result, serialMs: m.serialMs });
      s.log(`    ${m.result.rps} req/s, p95 ${m.result.p95} ms`);
    }
  };
  const routes: RouteRow[] = [];
  let idleRssMb = 0;
  try {
    if (wantPk) {
      ref = await startServer(s, `reference-w${workers}`, 'test/bench/reference-server.ts', {
        REF_WORKERS: String(workers), CUSTOMER_MIN: String(fx.customerRange[0]), CUSTOMER_MAX: String(fx.customerRange[1]),
      });
      await measurePk('before');
      await measureFloor();
    }
    app = await startServer(s, `app-w${workers}`, 'src/server.ts', {
      NODE_ENV: 'production', COOKIE_SECURE: 'false', WEB_CONCURRENCY: String(workers), SEED_DEMO: 'false', LOG_LEVEL: 'warn',
    });
    const { baseUrl } = app;
    const headers: Record<Auth, Record<string, string>> = {
      admin: { cookie: await formLogin(baseUrl, ACCOUNTS.admin.email, ACCOUNTS.admin.password) },
      customer: { cookie: await formLogin(baseUrl, ACCOUNTS.customer.email, ACCOUNTS.customer.password) },
      adminToken: { authorization: `Bearer ${await apiLogin(baseUrl, ACCOUNTS.admin.email, ACCOUNTS.admin.password)}` },
      staffToken: { authorization: `Bearer ${await apiLogin(baseUrl, ACCOUNTS.staff.email, ACCOUNTS.staff.password)}` },
    };
    idleRssMb = new RssSampler(app.child.pid).start().stop().peakMb;
    const ctx: RouteContext = { baseUrl, headers, fx, dbUrl: s.dbUrl, small: s.small, seconds: s.seconds, measured: new Map() };
    for (const def of defs) routes.push(await runRoute(s, ctx, app.child.pid, def));
    // Requests autocannon gave up on at the end are still being served: let them finish.
    await new Promise((r) => setTimeout(r, 2000));
    if (ref) await measurePk('after');
  } finally {
    if (app) await stopServer(app.child);
    if (ref) await stopServer(ref.child);
  }
  return { workers, idleRssMb, pk, floor, routes, serverLog: app.child.logFile };
}

async function runRoute(s: Settings, ctx: RouteContext, pid: number, def: RouteDef): Promise<RouteRow> {
  const row: RouteRow = { name: def.name, groups: def.groups, reference: def.reference, connections: def.connections! };
  const label = `${def.name} @${row.connections}`;
  try {
    const prep = def.prepare ? await def.prepare(ctx) : undefined;
    const path = prep?.path ?? def.path;
    if (prep?.note) row.note = prep.note;
    const headers = ctx.headers[def.auth];
    // A long timeout: a first request may have one-off work to do (the harness primes the report
    // rollups, but a module may have other caches); a slow preflight is noted in the table.
    const t = performance.now();
    // The route's own path, which exists: a random next path (an order id in a gap of the id
    // range) could answer 404 and have the route skipped as missing.
    const first = await request(ctx.baseUrl, def.method, path, headers, def.body?.(), 600_000);
    const firstMs = performance.now() - t;
    if (firstMs > 2000) row.note = [row.note, `first request ${(firstMs / 1000).toFixed(1)} s`].filter(Boolean).join('; ');
    const fine = (first.status >= 200 && first.status < 300) || def.expected?.includes(first.status);
    if (first.status === 404) row.skipped = 'not available yet (404 in preflight)';
    else if (!fine) row.skipped = `preflight answered ${first.status}: ${first.text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').slice(0, 160)}`;
    if (row.skipped) {
      s.log(`  ${label}: skipped, ${row.skipped}`);
      return row;
    }
    s.log(`  ${label}`);
    const m = await measure(ctx.baseUrl, pid, {
      method: def.method, path, headers, body: def.body, nextPath: def.nextPath, connections: row.connections, seconds: s.seconds,
    }, def.warmup === false ? 0 : def.method === 'GET' ? s.warmupSeconds : Math.min(1, s.warmupSeconds), def.warmup === false ? 0 : s.small ? 7 : 15);
    row.result = m.result;
    row.serialMs = m.serialMs;
    row.rssMb = m.rssMb;
    row.expected = Object.entries(m.result.status).filter(([c]) => def.expected?.includes(Number(c))).reduce((n, [, v]) => n + v, 0);
    row.unexpected = Object.entries(m.result.status).filter(([c]) => !c.startsWith('2') && !def.expected?.includes(Number(c))).reduce((n, [, v]) => n + v, 0);
    ctx.measured.set(def.name, m.result.ok / Math.max(0.001, m.result.seconds));
    const r = m.result;
    s.log(`    1-conn ${m.serialMs ?? '–'} ms; ${r.rps} req/s, p50 ${r.p50} / p95 ${r.p95} / p99 ${r.p99} ms, status ${JSON.stringify(r.status)}, errors ${r.errors}, RSS ${m.rssMb.peakMb} MB`);
  } catch (err) {
    row.skipped = `harness error: ${err instanceof Error ? err.message : String(err)}`;
    s.log(`  ${label}: ${row.skipped}`);
  }
  return row;
}


