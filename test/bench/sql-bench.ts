// Reference (b): the order and stock-adjustment transactions as plain SQL over pg, no HTTP and no
// framework, N clients each looping BEGIN … COMMIT for a fixed time. This is the ceiling the API
// routes are compared with: same tables, same indexes, same honest commits.
import pg from 'pg';
import { between, orderLines, pick, type Fixtures, type Pair } from './fixtures.ts';
import { percentile } from './load.ts';

export type SqlKind = 'order' | 'adjustment';

export interface SqlResult {
  kind: SqlKind;
  clients: number;
  seconds: number;
  transactions: number;
  tps: number;
  p50: number;
  p95: number;
  p99: number;
  /** Rolled back because a conditional update found too little stock. */
  short: number;
  errors: number;
  firstError?: string;
}

class Short extends Error {}

async function orderTx(c: pg.PoolClient, fx: Fixtures): Promise<void> {
  const { storeId, lines } = orderLines(fx, fx.hot);
  const customerId = between(...fx.customerRange);
  await c.query('begin');
  try {
    const o = await c.query<{ order_id: string }>(
      "insert into orders (customer_id, store_id, order_status, created_by) values ($1, $2, 'OPEN', $3) returning order_id",
      [customerId, storeId, fx.adminId]);
    const orderId = o.rows[0]!.order_id;
    await c.query(`insert into order_items (order_id, line_item_id, product_id, unit_price, quantity)
      values ($1, 1, $2, $3, 1), ($1, 2, $4, $5, 1), ($1, 3, $6, $7, 1)`,
    [orderId, lines[0]!.productId, lines[0]!.unitPrice, lines[1]!.productId, lines[1]!.unitPrice, lines[2]!.productId, lines[2]!.unitPrice]);
    for (const l of lines) { // already in (store, product) order: no deadlocks
      const u = await c.query(`update inventory set reserved = reserved + $3, updated_at = now()
        where store_id = $1 and product_id = $2 and on_hand - reserved >= $3 returning on_hand, reserved`, [storeId, l.productId, 1]);
      if (!u.rowCount) throw new Short();
    }
    await c.query("insert into order_events (order_id, from_status, to_status, actor_id) values ($1, null, 'OPEN', $2)", [orderId, fx.adminId]);
    await c.query('commit');
  } catch (err) {
    await c.query('rollback');
    throw err;
  }
}

async function adjustmentTx(c: pg.PoolClient, fx: Fixtures, pairs: Pair[]): Promise<void> {
  const p = pick(pairs);
  const q = Math.random() < 0.5 ? -1 : 1;
  await c.query('begin');
  try {
    const u = await c.query(`update inventory set on_hand = on_hand + $3, last_movement_at = now(), updated_at = now()
      where store_id = $1 and product_id = $2 and on_hand + $3 >= 0 and reserved <= on_hand + $3 returning on_hand`, [p.storeId, p.productId, q]);
    if (!u.rowCount) throw new Short();
    await c.query(`insert into stock_movements (store_id, product_id, quantity, kind, reason, actor_id)
      values ($1, $2, $3, 'adjustment', 'correction', $4)`, [p.storeId, p.productId, q, fx.adminId]);
    await c.query('commit');
  } catch (err) {
    await c.query('rollback');
    throw err;
  }
}

/** Pairs of the staff's stores: the same rows the API stock-movement runs touch. */
export function staffPairs(fx: Fixtures): Pair[] {
  const out = fx.staffStoreIds.flatMap((id) => fx.stockByStore.get(id) ?? []);
  return out.length ? out : [...fx.stockByStore.values()].flat();
}

export async function sqlBench(url: string, kind: SqlKind, clients: number, seconds: number, fx: Fixtures): Promise<SqlResult> {
  const pool = new pg.Pool({ connectionString: url, max: clients, application_name: 'oi-bench-sql' });
  const conns = await Promise.all(Array.from({ length: clients }, () => pool.connect()));
  const pairs = staffPairs(fx);
  const times: number[] = [];
  let short = 0;
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const until = started + seconds * 1000;
  await Promise.all(conns.map(async (c) => {
    while (performance.now() < until) {
      const t0 = performance.now();
      try {
        if (kind === 'order') await orderTx(c, fx);
        else await adjustmentTx(c, fx, pairs);
        times.push(performance.now() - t0);
      } catch (err) {
        if (err instanceof Short) short++;
        else {
          errors++;
          firstError ??= err instanceof Error ? err.message : String(err);
        }
      }
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  for (const c of conns) c.release();
  await pool.end();
  const sorted = Float64Array.from(times).sort();
  const r1 = (n: number) => Math.round(n * 10) / 10;
  return {
    kind, clients, seconds: r1(elapsed), transactions: times.length, tps: Math.round(times.length / elapsed),
    p50: r1(percentile(sorted, 50)), p95: r1(percentile(sorted, 95)), p99: r1(percentile(sorted, 99)),
    short, errors, ...(firstError ? { firstError } : {}),
  };
}
