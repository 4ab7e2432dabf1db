// The benchmark database: migrated, seeded once (a marker row in app_settings records the sizes,
// so a second run skips the seed), vacuumed and analysed; three accounts with known passwords.
import { sql } from 'drizzle-orm';
import { createDb, queryRows, type Database } from '../../src/db/client.ts';
import { runMigrations } from '../../src/db/migrate.ts';
import { seedData, type SeedSummary } from '../../src/db/seed.ts';
import { createUser } from '../../src/modules/users/service.ts';
import { systemActor } from '../../src/lib/audit.ts';
import { loadConfig } from '../../src/config.ts';
import { ensureDatabase, type PgServer } from './pg.ts';

export interface Sizes { stores: number; products: number; customers: number; orders: number }
export const FULL: Sizes = { stores: 50, products: 100_000, customers: 500_000, orders: 1_000_000 };
export const SMALL: Sizes = { stores: 5, products: 2_000, customers: 10_000, orders: 20_000 };

export const ACCOUNTS = {
  admin: { email: 'bench-admin@example.com', password: 'bench-admin-password-1', role: 'admin' as const },
  staff: { email: 'bench-staff@example.com', password: 'bench-staff-password-1', role: 'staff' as const },
  customer: { email: 'bench-customer@example.com', password: 'bench-customer-password-1', role: 'customer' as const },
};

const MARKER = 'bench.seed';

export interface SeedInfo { sizes: Sizes; seededAt: string; seedSeconds: number; vacuumSeconds: number; summary?: SeedSummary; reused: boolean }

async function marker(database: Database): Promise<Omit<SeedInfo, 'reused'> | undefined> {
  const rows = await queryRows<{ value: string }>(database.db, sql`select value from app_settings where key = ${MARKER}`);
  return rows[0] ? JSON.parse(rows[0].value) : undefined;
}

const same = (a: Sizes, b: Sizes) => a.stores === b.stores && a.products === b.products && a.customers === b.customers && a.orders === b.orders;

async function open(url: string): Promise<Database> {
  const database = await createDb({ databaseUrl: url, poolMax: 4 });
  await runMigrations(database);
  return database;
}

/** Returns the seed information (from this run or the marker of an earlier one). */
export async function prepareDatabase(server: PgServer, name: string, sizes: Sizes, log: (msg: string) => void): Promise<SeedInfo> {
  await ensureDatabase(server, name);
  let database = await open(server.url(name));
  try {
    const found = await marker(database);
    if (found && same(found.sizes, sizes)) {
      log(`dataset: reusing ${name}, seeded ${found.seededAt} in ${found.seedSeconds} s`);
      await ensureAccounts(database);
      return { ...found, reused: true };
    }
    const [{ n }] = await queryRows<{ n: number }>(database.db, sql`select (select count(*) from stores) + (select count(*) from users) as n`) as [{ n: number }];
    if (n > 0) {
      // A half-finished seed (no marker) or other sizes: start again from an empty database.
      if (!server.managed) throw new Error(`BENCH_DATABASE_URL points at a database with data but no matching ${MARKER} marker; give an empty database`);
      log(`dataset: ${name} holds other data (marker ${found ? JSON.stringify(found.sizes) : 'missing'}); recreating it`);
      await database.close();
      await ensureDatabase(server, name, true);
      database = await open(server.url(name));
    }
    log(`dataset: seeding ${JSON.stringify(sizes)} (a few minutes at full size)`);
    const started = performance.now();
    const summary = await seedData(database.db, { ...sizes, log: (m) => log(`  ${m}`) });
    const seedSeconds = Math.round((performance.now() - started) / 100) / 10;
    log(`dataset: seeded in ${seedSeconds} s; VACUUM ANALYZE`);
    // Bulk-loaded tables have no visibility map yet (index-only scans would visit the heap) and
    // autovacuum would otherwise start in the middle of a measurement.
    const v0 = performance.now();
    await database.db.execute(sql`vacuum (analyze)`);
    const vacuumSeconds = Math.round((performance.now() - v0) / 100) / 10;
    await ensureAccounts(database);
    const info = { sizes, seededAt: new Date().toISOString(), seedSeconds, vacuumSeconds, summary };
    await database.db.execute(sql`insert into app_settings (key, value) values (${MARKER}, ${JSON.stringify(info)})
      on conflict (key) do update set value = excluded.value`);
    log(`dataset: vacuum + analyze ${vacuumSeconds} s`);
    return { ...info, reused: false };
  } finally {
    await database.close();
  }
}

/** Admin, staff (first three stores) and customer accounts, created once. */
async function ensureAccounts(database: Database): Promise<void> {
  const { argon2 } = loadConfig({});
  const stores = await queryRows<{ id: number }>(database.db, sql`select store_id as id from stores order by store_id limit 3`);
  for (const a of Object.values(ACCOUNTS)) {
    const exists = await queryRows(database.db, sql`select 1 from users where lower(email) = lower(${a.email})`);
    if (exists.length) continue;
    await createUser(database.db, {
      email: a.email, password: a.password, fullName: `Bench ${a.role}`, role: a.role,
      storeIds: a.role === 'staff' ? stores.map((s) => s.id) : undefined,
    }, { ...systemActor, email: 'bench' }, argon2);
  }
}

export interface RollupPrime { ms: number; kind?: string; error?: string }

/** Brings the report rollups up to date before the measurements: built from scratch the first
 * time (a bulk job over every order: minutes at 1M orders), incrementally after the plain-SQL
 * references wrote orders and stock. Otherwise the first dashboard request of the run would pay
 * for it, and everything measured meanwhile would share the machine with it. */
export async function primeRollups(url: string, log: (msg: string) => void): Promise<RollupPrime> {
  const started = performance.now();
  const database = await createDb({ databaseUrl: url, poolMax: 2 });
  try {
    const { ensureRollups } = await import('../../src/modules/reports/refresh.ts') as { ensureRollups: (db: Database['db'], tz: string) => Promise<{ kind?: string }> };
    const r = await ensureRollups(database.db, loadConfig({}).timeZone);
    const ms = Math.round(performance.now() - started);
    log(`rollups: ${r.kind ?? 'refreshed'} in ${ms} ms`);
    return { ms, kind: r.kind };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    log(`rollups: not primed (${error})`);
    return { ms: Math.round(performance.now() - started), error };
  } finally {
    await database.close();
  }
}
