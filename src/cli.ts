// npm run cli -- <command>: the same DATABASE_URL rule as the server (PGlite under DATA_DIR
// when unset). Commands:
//   user:add --email E --password P --role admin|staff|customer [--name N] [--store ID]...
//   seed [--stores N] --customers N --products N --orders N
//   stock:verify               the stock invariants and the customers' order counters
//   rollups:refresh [--full]   bring the dashboard/report rollups up to date (after a bulk seed or
//                              import, so the first dashboard view does not pay for the build)
import { parseArgs } from 'node:util';
import { loadConfig } from './config.ts';
import { createDb } from './db/client.ts';
import { runMigrations } from './db/migrate.ts';
import { createUser } from './modules/users/service.ts';
import { systemActor } from './lib/audit.ts';
import { HttpError } from './lib/errors.ts';
import { roles, type Role } from './db/schema/index.ts';

const USAGE = `usage: npm run cli -- <command> [options]
  user:add --email E --password P --role admin|staff|customer [--name "Full Name"] [--store ID]...
  seed [--stores N] --customers N --products N --orders N
  stock:verify
  rollups:refresh [--full]`;

function count(value: string | undefined, name: string, fallback?: number): number {
  if (value === undefined) {
    if (fallback !== undefined) return fallback;
    throw new Error(`--${name} is required`);
  }
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number ≥ 0, got "${value}"`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      email: { type: 'string' }, password: { type: 'string' }, role: { type: 'string' }, name: { type: 'string' },
      store: { type: 'string', multiple: true },
      stores: { type: 'string' }, customers: { type: 'string' }, products: { type: 'string' }, orders: { type: 'string' },
      full: { type: 'boolean' },
    },
    strict: true,
  });
  if (!command || !['user:add', 'seed', 'stock:verify', 'rollups:refresh'].includes(command)) {
    console.error(USAGE);
    return 2;
  }
  const config = loadConfig();
  const database = await createDb({ databaseUrl: config.databaseUrl, pgliteDir: config.pgliteDir, poolMax: 4 });
  try {
    await runMigrations(database);
    const { db } = database;
    if (command === 'user:add') {
      const role = values.role as Role;
      if (!values.email || !values.password || !roles.includes(role)) {
        console.error('user:add needs --email, --password and --role admin|staff|customer');
        return 2;
      }
      const storeIds = (values.store ?? []).map((s) => count(s, 'store'));
      const user = await createUser(db, { email: values.email, password: values.password, fullName: values.name, role, storeIds },
        { ...systemActor, email: 'cli' }, config.argon2);
      console.log(`created ${user.role} #${user.id} ${user.email}${user.storeIds.length ? ` (stores ${user.storeIds.join(', ')})` : ''}${user.customerId ? ` (customer #${user.customerId})` : ''}`);
      return 0;
    }
    if (command === 'seed') {
      const { seedData } = await import('./db/seed.ts');
      const started = Date.now();
      const summary = await seedData(db, {
        stores: values.stores === undefined ? undefined : count(values.stores, 'stores'),
        customers: count(values.customers, 'customers', 0),
        products: count(values.products, 'products', 0),
        orders: count(values.orders, 'orders', 0),
        log: (msg: string) => console.log(msg),
      });
      console.log(`seeded in ${((Date.now() - started) / 1000).toFixed(1)} s:`, JSON.stringify(summary));
      console.log('bring the dashboard figures up to date with: npm run cli -- rollups:refresh');
      return 0;
    }
    if (command === 'rollups:refresh') {
      const { ensureRollups, refreshRollups } = await import('./modules/reports/refresh.ts');
      const started = Date.now();
      const r = values.full ? await refreshRollups(db, config.timeZone, { full: true }) : await ensureRollups(db, config.timeZone);
      console.log(`rollups:refresh: ${r.kind} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return 0;
    }
    const { verifyStock, formatDiscrepancies } = await import('./modules/inventory/verify.ts');
    const started = Date.now();
    const problems = await verifyStock(db);
    const { customerCounterDrift, DRIFT_REPORT_LIMIT } = await import('./modules/customers/repository.ts');
    const drift = await customerCounterDrift(db);
    if (problems.length || drift.length) {
      if (problems.length) {
        console.error(formatDiscrepancies(problems));
        console.error(`stock:verify: ${problems.length} (store, product) rows differ`);
      }
      for (const d of drift) console.error(`customer ${d.customerId}: ${d.kept === null ? 'no order counters row' : `order_count ${d.kept}`}, orders counted ${d.counted} (or the latest order time differs)`);
      if (drift.length) console.error(`stock:verify: ${drift.length}${drift.length === DRIFT_REPORT_LIMIT ? '+' : ''} customers' order counters differ from their orders`);
      return 1;
    }
    console.log(`stock:verify: ledger, bounds, reservations and customer order counters all agree (${Date.now() - started} ms)`);
    return 0;
  } catch (err) {
    if (err instanceof HttpError) {
      console.error(`${command}: ${err.message}`);
      return 1;
    }
    throw err;
  } finally {
    await database.close();
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
