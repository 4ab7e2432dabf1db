// Small helpers shared by the seed phases.
import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../client.ts';

/** Anything that can run a statement: the Db or a transaction handle. */
export type Exec = Pick<Db, 'execute'>;

/** Runs a statement and answers the number of rows it touched (pg: rowCount, PGlite: affectedRows). */
export async function run(db: Exec, query: SQL): Promise<number> {
  const r = (await db.execute(query)) as unknown as { rowCount?: number | null; affectedRows?: number };
  return Number(r.rowCount ?? r.affectedRows ?? 0);
}

export async function one<T>(db: Exec, query: SQL): Promise<T> {
  const r = (await db.execute(query)) as unknown as { rows: T[] };
  if (!r.rows[0]) throw new Error('seed: expected one row');
  return r.rows[0];
}

/** Per-transaction settings for bulk loading. synchronous_commit=off only risks losing the last
 * commits on a crash (never corruption), which is fine for generated data; more work_mem keeps the
 * big sorts and hash aggregates in memory. Both are accepted (and harmless) on PGlite. */
export async function tuneTx(tx: Exec, big: boolean): Promise<void> {
  await tx.execute(sql`set local synchronous_commit = off`);
  if (big) await tx.execute(sql`set local work_mem = '256MB'`);
}

// The identity sequences the seed allocates from (names as created by the migrations).
const sequences = {
  products: ['products', 'product_id', 'products_product_id_seq'],
  customers: ['customers', 'customer_id', 'customers_customer_id_seq'],
  orders: ['orders', 'order_id', 'orders_order_id_seq'],
  shipments: ['shipments', 'shipment_id', 'shipments_shipment_id_seq'],
} as const;

/**
 * Reserves a contiguous block of n ids and answers base, the block being base+1 … base+n.
 * The seed inserts explicit ids (so rows can be related to one another without reading ids back),
 * and moves the sequence past the block first, so the application's own inserts (nextval) never
 * collide with it. Also covers rows inserted with explicit ids without a setval.
 */
export async function reserveIds(tx: Exec, table: keyof typeof sequences, n: number): Promise<number> {
  if (n <= 0) return 0;
  const [t, col, seq] = sequences[table];
  const row = await one<{ base: string | number }>(tx, sql`
    select setval(${seq}::regclass,
      greatest((select coalesce(max(${sql.identifier(col)}), 0) from ${sql.identifier(t)}),
               coalesce(pg_sequence_last_value(${seq}::regclass), 0)) + ${n}::bigint) - ${n}::bigint as base`);
  return Number(row.base);
}

/** A timestamptz parameter. */
export const ts = (d: Date): SQL => sql`${d.toISOString()}::timestamptz`;
