// First-start preparation, run once before serving: apply migrations, and on an empty database
// seed the demo store and create the accounts, printing their generated passwords once.
import { sql } from 'drizzle-orm';
import type { Config } from './config.ts';
import type { Database } from './db/client.ts';
import { queryRows } from './db/client.ts';
import { runMigrations } from './db/migrate.ts';
import { createUser } from './modules/users/service.ts';
import { systemActor } from './lib/audit.ts';
import { generatePassword } from './lib/tokens.ts';

const BOOTSTRAP_LOCK = 727_002;

export interface BootstrapResult { seeded: boolean; accounts: Array<{ role: string; email: string; password: string }> }

export async function bootstrap(database: Database, config: Config, log: (msg: string) => void = console.log): Promise<BootstrapResult> {
  await runMigrations(database);
  const lock = database.pool ? await database.pool.connect() : undefined;
  try {
    // Several processes or machines may start at once against one server: one of them seeds.
    await lock?.query('set lock_timeout = 0'); // another process may be seeding: wait for it
    await lock?.query('select pg_advisory_lock($1)', [BOOTSTRAP_LOCK]);
    const [{ n }] = await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from users`) as [{ n: number }];
    if (n > 0) return { seeded: false, accounts: [] };
    const { db } = database;
    let seeded = false;
    if (config.seedDemo) {
      const started = Date.now();
      // Loaded only when needed: the seed code is not part of a normal start.
      const { seedDemo } = await import('./db/seed.ts');
      const summary = await seedDemo(db);
      seeded = true;
      log(`Seeded demo data in ${Date.now() - started} ms: ${summary.stores} stores, ${summary.products} products, ${summary.customers} customers, ${summary.orders} orders.`);
    }
    const accounts: BootstrapResult['accounts'] = [];
    const admin = { role: 'admin', email: config.adminEmail, password: generatePassword() };
    await createUser(db, { email: admin.email, password: admin.password, fullName: 'Administrator', role: 'admin' }, systemActor, config.argon2);
    accounts.push(admin);
    if (seeded) {
      const stores = await queryRows<{ id: number }>(db, sql`select store_id as id from stores order by store_id limit 2`);
      const staff = { role: 'staff', email: 'staff@example.com', password: generatePassword() };
      await createUser(db, { email: staff.email, password: staff.password, fullName: 'Sam Staff', role: 'staff', storeIds: stores.map((s) => s.id) }, systemActor, config.argon2);
      accounts.push(staff);
      const customer = { role: 'customer', email: 'customer@example.com', password: generatePassword() };
      await createUser(db, { email: customer.email, password: customer.password, fullName: 'Casey Customer', role: 'customer' }, systemActor, config.argon2);
      accounts.push(customer);
    }
    const width = 64;
    log('='.repeat(width));
    log(' First start: these logins are shown once. Write them down.');
    for (const a of accounts) log(`  ${a.role.padEnd(9)} ${a.email.padEnd(24)} ${a.password}`);
    log('='.repeat(width));
    return { seeded, accounts };
  } finally {
    if (lock) {
      await lock.query('select pg_advisory_unlock($1)', [BOOTSTRAP_LOCK]).catch(() => {});
      await lock.query('reset lock_timeout').catch(() => {});
      lock.release();
    }
  }
}
