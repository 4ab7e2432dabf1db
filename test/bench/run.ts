// npm run bench [-- lists|orders|stock|dashboard ...]: the whole benchmark in one command.
//   1. PostgreSQL 15 (BENCH_DATABASE_URL, or a throwaway cluster in /tmp/oi-bench-pg kept between
//      runs), the large data set seeded once (skipped when already there), accounts.
//   2. The plain-SQL references, then per WEB_CONCURRENCY (1 and 2) the PK-page reference server
//      and the app server, every route measured with autocannon.
//   3. stock:verify on the database, servers and PostgreSQL stopped, the table printed and written
//      to bench-results/ (bench-<timestamp>.json, latest.json, latest.md).
// Environment: BENCH_SMALL=1 (quick smoke: small data set, 3 s per route), BENCH_DURATION (s per
// route), BENCH_CONNECTIONS (default 50), BENCH_WORKERS (default "1,2"), BENCH_DATABASE_URL,
// BENCH_PG_DIR, BENCH_PG_PORT, BENCH_DB (database name), BENCH_KEEP_PG=1 (leave PostgreSQL running).
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPg, serverVersion, SERVER_SETTINGS, type PgServer } from './pg.ts';
import { FULL, SMALL, prepareDatabase, primeRollups, type RollupPrime } from './dataset.ts';
import { loadFixtures } from './fixtures.ts';
import { sqlBench, type SqlKind, type SqlResult } from './sql-bench.ts';
import { GROUPS, routeList, type Group } from './routes.ts';
import { runPass, stopChildren, type PassResult, type Settings } from './pass.ts';
import { toMarkdown, type Report } from './report.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const t0 = performance.now();
const log = (msg: string) => console.log(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${msg}`);

function parseArgs(argv: string[]): Group[] {
  const bad = argv.filter((a) => !(GROUPS as readonly string[]).includes(a));
  if (bad.length) {
    console.error(`usage: npm run bench [-- ${GROUPS.join('|')} ...]  (unknown: ${bad.join(' ')})`);
    process.exit(2);
  }
  return argv.length ? argv as Group[] : [...GROUPS];
}

function num(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const x = Number(v);
  if (!Number.isFinite(x) || x <= 0) throw new Error(`${name} must be a positive number`);
  return x;
}

function commandLine(argv: string[]): string {
  const env = ['BENCH_SMALL', 'BENCH_DURATION', 'BENCH_CONNECTIONS', 'BENCH_WORKERS'].filter((k) => process.env[k]).map((k) => `${k}=${process.env[k]}`);
  return [...env, 'npm run bench', ...(argv.length ? ['--', ...argv] : [])].join(' ');
}

function stockVerify(dbUrl: string): NonNullable<Report['stockVerify']> {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'stock:verify'], {
    cwd: root, env: { ...process.env, DATABASE_URL: dbUrl, LOG_LEVEL: 'warn' }, encoding: 'utf8', timeout: 600_000,
  });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  return { ok: r.status === 0, exitCode: r.status, output: output.length > 4000 ? `${output.slice(0, 4000)}\n…` : output };
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const groups = parseArgs(argv);
  const small = process.env.BENCH_SMALL === '1';
  const seconds = num('BENCH_DURATION', small ? 3 : 10);
  const connections = num('BENCH_CONNECTIONS', 50);
  const workers = (process.env.BENCH_WORKERS ?? '1,2').split(',').map(Number).filter((w) => w >= 1);
  const outDir = path.join(root, 'bench-results');
  mkdirSync(outDir, { recursive: true });
  const date = new Date().toISOString();
  const loadAverageAtStart = os.loadavg();

  let pg: PgServer | undefined;
  let dbUrl = '';
  let report: Report | undefined;
  const stop = async () => {
    await stopChildren();
    await pg?.stop().catch((e: unknown) => log(`stopping PostgreSQL failed: ${String(e)}`));
    pg = undefined;
  };
  process.once('SIGINT', () => { log('interrupted: stopping servers'); void stop().finally(() => process.exit(130)); });
  try {
    pg = await startPg(log);
    const database = process.env.BENCH_DB ?? (small ? 'oi_bench_small' : 'oi_bench');
    const sizes = small ? SMALL : FULL;
    const seed = await prepareDatabase(pg, database, sizes, log);
    dbUrl = pg.url(database);
    const fx = await loadFixtures(dbUrl);
    log(`fixtures: q="${fx.nameFragment}", product word "${fx.productWord}", brand="${fx.brand}", year ${fx.year}, staff stores ${fx.staffStoreIds.join(',')}, ${[...fx.stockByStore.values()].reduce((a, l) => a + l.length, 0)} stocked pairs sampled`);

    const defs = routeList(fx, connections).filter((r) => r.groups.some((g) => groups.includes(g)));
    const sqlKinds = [...new Set(defs.map((d) => d.reference))].filter((r) => r !== 'pk-page').map((r) => (r === 'sql-order' ? 'order' : 'adjustment') as SqlKind);
    const sql: SqlResult[] = [];
    for (const kind of sqlKinds) {
      for (const clients of [1, 10, connections]) {
        log(`plain SQL ${kind}, ${clients} clients`);
        const r = await sqlBench(dbUrl, kind, clients, seconds, fx);
        sql.push(r);
        log(`  ${r.tps} tx/s, p50 ${r.p50} / p95 ${r.p95} / p99 ${r.p99} ms, short ${r.short}, errors ${r.errors}${r.firstError ? ` (${r.firstError})` : ''}`);
      }
    }

    const settings: Settings = { root, outDir, dbUrl, small, seconds, warmupSeconds: small ? 1 : 2, connections, groups, log };
    const passes: PassResult[] = [];
    const rollups: RollupPrime[] = [];
    for (const w of workers) {
      if (groups.includes('dashboard')) rollups.push(await primeRollups(dbUrl, log));
      log(`WEB_CONCURRENCY=${w}`);
      passes.push(await runPass(settings, w, fx, defs.some((d) => d.reference === 'pk-page')));
    }
    await stopChildren();

    log('stock:verify');
    const verify = stockVerify(dbUrl);
    console.log(verify.output);
    const postgres = await serverVersion(dbUrl);
    const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
    report = {
      date, command: commandLine(argv),
      machine: { nproc: os.availableParallelism(), cpu, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version, postgres, loadAverageAtStart },
      settings: { small, seconds, warmupSeconds: settings.warmupSeconds, connections, groups, workers, pgSettings: pg.managed ? SERVER_SETTINGS : 'BENCH_DATABASE_URL' },
      dataset: { database, ...seed, rollups },
      sql, passes,
      stockVerify: verify,
      slow: passes.flatMap((p) => p.routes.filter((r) => r.result && r.connections >= 50 && r.result.p95 > 100)
        .map((r) => ({ workers: p.workers, route: r.name, connections: r.connections, p95: r.result!.p95, serialMs: r.serialMs }))),
      totalSeconds: 0,
    };
  } finally {
    await stop();
  }
  report.totalSeconds = Math.round((performance.now() - t0) / 1000);
  const md = toMarkdown(report);
  const stamp = date.replace(/[:.]/g, '-');
  const json = JSON.stringify(report, null, 2);
  writeFileSync(path.join(outDir, `bench-${stamp}.json`), json);
  writeFileSync(path.join(outDir, 'latest.json'), json);
  writeFileSync(path.join(outDir, 'latest.md'), md);
  console.log(`\n${md}`);
  log(`done in ${report.totalSeconds} s; written bench-results/bench-${stamp}.json, latest.json, latest.md`);
  return report.stockVerify?.ok === false ? 1 : 0;
}

main().then((code) => { process.exitCode = code; }, async (err) => {
  console.error(err instanceof Error ? err.stack : err);
  await stopChildren();
  process.exitCode = 1;
});

