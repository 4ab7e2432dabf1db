// The checks every scenario ends with: the stock:verify CLI against the database, and the
// invariants that must hold in any committed state (stock ledger, orders with their lines and
// events, reservations with their orders, transfers with both sides).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { queryRows, type Database } from '../../src/db/client.ts';
import { verifyStock, formatDiscrepancies } from '../../src/modules/inventory/verify.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

/** `npm run cli -- stock:verify` against the database: exit code and output. */
export async function stockVerifyCli(url: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'stock:verify'],
      { cwd: ROOT, env: { ...process.env, DATABASE_URL: url, NODE_OPTIONS: '' }, encoding: 'utf8', timeout: 120_000 });
    return { code: 0, output: `${stdout}${stderr}`.trim() };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string; message: string };
    return { code: typeof e.code === 'number' ? e.code : 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}${e.message}`.trim() };
  }
}

/** Everything that must hold in any committed state; [] when it does. */
export async function integrityProblems(database: Database): Promise<string[]> {
  const { db } = database;
  const problems: string[] = [];
  const drift = await verifyStock(db);
  if (drift.length) problems.push(`stock:verify: ${formatDiscrepancies(drift)}`);
  const count = async (what: string, query: ReturnType<typeof sql>) => {
    const [row] = await queryRows<{ n: number }>(db, query);
    if (Number(row?.n ?? 0) > 0) problems.push(`${row!.n} ${what}`);
  };
  await count('orders without lines', sql`select count(*)::int as n from orders o where not exists (select 1 from order_items i where i.order_id = o.order_id)`);
  await count('orders without status events', sql`select count(*)::int as n from orders o where not exists (select 1 from order_events e where e.order_id = o.order_id)`);
  await count('orders whose last event is not their status', sql`select count(*)::int as n from orders o
    where o.order_status <> (select e.to_status from order_events e where e.order_id = o.order_id order by e.event_id desc limit 1)`);
  await count('orders without their audit event', sql`select count(*)::int as n from orders o
    where not exists (select 1 from audit_events a where a.entity = 'order' and a.entity_id = o.order_id::text and a.action = 'create')`);
  await count('reservations without an OPEN or PAID order', sql`select count(*)::int as n from inventory v where v.reserved > 0
    and not exists (select 1 from order_items i join orders o on o.order_id = i.order_id
      where o.store_id = v.store_id and i.product_id = v.product_id and o.order_status in ('OPEN', 'PAID'))`);
  await count('transfers without both sides', sql`select count(*)::int as n from (select transfer_id from stock_movements
    where transfer_id is not null group by transfer_id having sum(quantity) <> 0
      or count(*) filter (where kind = 'transfer_out') <> count(*) filter (where kind = 'transfer_in')) x`);
  await count('negative or over-reserved stock rows', sql`select count(*)::int as n from inventory where on_hand < 0 or reserved < 0 or reserved > on_hand`);
  return problems;
}
