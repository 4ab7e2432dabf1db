// createDb(config): embedded PGlite when no DATABASE_URL, a pg Pool otherwise. Both handles are
// Drizzle PgDatabase instances, so everything above this file has one code path.
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { sql, type SQL } from 'drizzle-orm';
import * as schema from './schema/index.ts';

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export interface Database {
  db: Db;
  driver: 'pglite' | 'pg';
  pool?: pg.Pool;
  pglite?: PGlite;
  close(): Promise<void>;
}

export interface CreateDbOptions {
  databaseUrl?: string;
  pgliteDir?: string;
  /** A dumped PGlite data directory to start from (tests clone one migrated template). */
  loadDataDir?: Blob;
  poolMax?: number;
  onPoolError?: (err: Error) => void;
}

// numeric and bigint come back as strings from pg; keep money as strings (decimal) but
// return counts (bigint from count(*)) as numbers; no count here comes near 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

/** How long any statement of the app waits for a row lock before giving up (55P03, answered as
 * 409 "busy, try again"): set once per connection, so the hot paths (order placement, stock
 * moves) need no extra SET round trip per transaction. Waits that are meant to be long (the
 * migration, bootstrap and rollup-refresh advisory locks) switch it off for themselves. */
export const LOCK_TIMEOUT_MS = 5000;

/** Distinct statements one connection keeps prepared; past it, new texts run unnamed. Texts are
 * the app's query shapes (values are parameters), a few hundred in all. */
const MAX_PREPARED_PER_CONNECTION = 2000;
const PREPARABLE = /^\s*(select|insert|update|delete|with)\b/i;

/**
 * A pg client that runs every data statement as a named prepared statement (named after a hash
 * of its text), so each connection parses and plans a query shape once: PostgreSQL then reuses
 * the plan (a generic one, when its cost is no worse than the custom plans it has seen). Planning
 * is most of the cost of a short query (2 ms for the 5-table join that answers a stock movement,
 * 0.3 ms for the session lookup), so this is the cheapest speed-up for every request. Schema
 * changes invalidate the cached plans by themselves; transaction control and DDL run unnamed.
 */
class PreparingClient extends pg.Client {
  private prepared = new Set<string>();

  override query(config: unknown, values?: unknown, callback?: unknown): never {
    const q = config as { text?: unknown; name?: string } | null;
    if (q && typeof q === 'object' && !q.name && typeof q.text === 'string' && PREPARABLE.test(q.text)) {
      const name = `oi_${createHash('sha1').update(q.text).digest('base64url')}`;
      if (this.prepared.has(name) || this.prepared.size < MAX_PREPARED_PER_CONNECTION) {
        this.prepared.add(name);
        config = { ...q, name };
      }
    }
    return (super.query as (...args: unknown[]) => never)(config, values, callback);
  }
}

export async function createDb(opts: CreateDbOptions): Promise<Database> {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({
      Client: PreparingClient,
      connectionString: opts.databaseUrl,
      max: opts.poolMax ?? 10,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30000,
      application_name: 'order-inventory',
      options: `-c lock_timeout=${LOCK_TIMEOUT_MS}`,
    });
    // An idle client losing its connection (database restart) must not crash the process.
    pool.on('error', (err) => opts.onPoolError?.(err));
    const db = drizzlePg(pool, { schema }) as unknown as Db;
    return { db, driver: 'pg', pool, close: () => pool.end() };
  }
  const dir = opts.pgliteDir ?? 'memory://';
  if (!dir.startsWith('memory://')) mkdirSync(dir, { recursive: true });
  const pglite = await PGlite.create({
    dataDir: dir,
    extensions: { pg_trgm },
    ...(opts.loadDataDir ? { loadDataDir: opts.loadDataDir } : {}),
  });
  const db = drizzlePglite(pglite, { schema }) as unknown as Db;
  return { db, driver: 'pglite', pglite, close: () => pglite.close() };
}

/** Rows of a raw SQL query; both drivers answer with `rows`. */
export async function queryRows<T>(db: Db, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}

export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** An int[] parameter for `= any(...)` filters (store scope), identical on both drivers. */
export const intArray = (ids: readonly number[]): SQL =>
  sql`${`{${ids.map((n) => Math.trunc(Number(n))).filter(Number.isFinite).join(',')}}`}::int[]`;
