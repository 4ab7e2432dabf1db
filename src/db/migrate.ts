import { fileURLToPath } from 'node:url';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import { sql } from 'drizzle-orm';
import type { Database } from './client.ts';
import { queryRows } from './client.ts';

export const migrationsFolder = fileURLToPath(new URL('../../migrations', import.meta.url));
const MIGRATION_LOCK = 727_001;

/** Applies pending migrations. On a server, an advisory lock keeps concurrent starts (several
 * workers or machines) from racing each other. */
export async function runMigrations(database: Database): Promise<void> {
  if (database.driver === 'pglite') {
    await migratePglite(database.db as unknown as PgliteDatabase, { migrationsFolder });
    return;
  }
  const client = await database.pool!.connect();
  try {
    // Another process may be migrating (index builds take a while): wait for it, however long.
    await client.query('set lock_timeout = 0');
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await migratePg(drizzlePg(client), { migrationsFolder });
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
    await client.query('reset lock_timeout').catch(() => {});
    client.release();
  }
}

let expectedMigrations: number | undefined;

/** True when every migration in the folder has been applied (for /health). */
export async function migrationsCurrent(database: Database): Promise<boolean> {
  expectedMigrations ??= (await import('drizzle-orm/migrator')).readMigrationFiles({ migrationsFolder }).length;
  const rows = await queryRows<{ n: number }>(database.db,
    sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
  return (rows[0]?.n ?? 0) >= expectedMigrations;
}
