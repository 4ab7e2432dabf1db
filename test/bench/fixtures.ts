// Real values the routes are driven with, read from the benchmark database at the start of each
// run: a common name fragment and brand, id ranges, and (store, product) pairs that have stock.
import pg from 'pg';

export interface Pair { storeId: number; productId: number; unitPrice: string }

export interface Fixtures {
  storeIds: number[];
  staffStoreIds: number[];
  adminId: number;
  customerRange: [number, number];
  orderRange: [number, number];
  nameFragment: string;
  /** A word of product names matching about 1 % of the catalogue (a search with many hits). */
  productWord: string;
  brand: string;
  year: number;
  /** Pairs with at least MIN_AVAILABLE units available, by store. */
  stockByStore: Map<number, Pair[]>;
  /** The store of the hot-product run and its product. */
  hot: Pair;
}

export const MIN_AVAILABLE = 20;

export const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;
export const between = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo + 1));

export async function loadFixtures(url: string): Promise<Fixtures> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const q = async <T>(text: string, values: unknown[] = []) => (await c.query(text, values)).rows as T[];
    const storeIds = (await q<{ id: number }>('select store_id as id from stores order by store_id')).map((r) => r.id);
    const [admin] = await q<{ id: number }>("select user_id as id from users where email = 'bench-admin@example.com'");
    const staff = (await q<{ id: number }>("select s.store_id as id from user_stores s join users u using (user_id) where u.email = 'bench-staff@example.com' order by 1")).map((r) => r.id);
    const [cust] = await q<{ lo: number; hi: number }>('select min(customer_id) as lo, max(customer_id) as hi from customers');
    const [ord] = await q<{ lo: string; hi: string }>('select min(order_id) as lo, max(order_id) as hi from orders');
    // The most common surname in a sample: a search that matches many rows (the hard case).
    const [name] = await q<{ w: string }>(`select lower(split_part(full_name, ' ', 2)) as w from customers tablesample system (5) repeatable (7)
      where full_name like '% %' group by 1 order by count(*) desc limit 1`);
    const [word] = await q<{ w: string }>(`with s as (select product_name from products tablesample system (5) repeatable (7)),
      w as (select lower(regexp_split_to_table(product_name, '[^A-Za-z]+')) as w from s)
      select w from w where length(w) >= 4 group by w order by abs(count(*) - (select count(*) from s) * 0.01), w limit 1`);
    const [brand] = await q<{ b: string }>('select brand as b from products where brand is not null group by brand order by count(*) desc limit 1');
    const [year] = await q<{ y: number }>('select extract(year from max(order_tms))::int as y from orders');
    // A random sample of about 20,000 stocked pairs (a sample of pages, not a scan).
    const [{ n }] = await q<{ n: number }>("select greatest(reltuples, 1)::float8 as n from pg_class where relname = 'inventory'") as [{ n: number }];
    const pct = Math.min(100, (20_000 / n) * 100 * 2);
    const pairs = await q<{ store_id: number; product_id: number; unit_price: string }>(`
      select i.store_id, i.product_id, p.unit_price::text as unit_price
      from inventory i tablesample system (${pct.toFixed(4)}) join products p using (product_id)
      where p.active and i.on_hand - i.reserved >= $1`, [MIN_AVAILABLE]);
    const stockByStore = new Map<number, Pair[]>();
    for (const p of pairs) {
      const list = stockByStore.get(p.store_id) ?? [];
      list.push({ storeId: p.store_id, productId: p.product_id, unitPrice: p.unit_price });
      stockByStore.set(p.store_id, list);
    }
    // Orders need three products of one store: keep stores with enough pairs.
    for (const [id, list] of stockByStore) if (list.length < 6) stockByStore.delete(id);
    if (!stockByStore.size) throw new Error('fixtures: no store has stocked products');
    const hotStore = staff[0] ?? storeIds[0]!;
    const hot = pick(stockByStore.get(hotStore) ?? [...stockByStore.values()][0]!);
    return {
      storeIds, staffStoreIds: staff, adminId: admin!.id,
      customerRange: [cust!.lo, cust!.hi], orderRange: [Number(ord!.lo), Number(ord!.hi)],
      nameFragment: name?.w || 'smith', productWord: word?.w || 'shirt', brand: brand?.b ?? '', year: year?.y ?? new Date().getFullYear(),
      stockByStore, hot,
    };
  } finally {
    await c.end();
  }
}

/** Three different stocked products of one random store, in (store, product) order. */
export function orderLines(fx: Fixtures, exclude?: Pair): { storeId: number; lines: Pair[] } {
  const stores = [...fx.stockByStore.keys()];
  const storeId = pick(stores);
  const list = fx.stockByStore.get(storeId)!;
  const chosen = new Map<number, Pair>();
  while (chosen.size < 3) {
    const p = pick(list);
    if (exclude && p.storeId === exclude.storeId && p.productId === exclude.productId) continue;
    chosen.set(p.productId, p);
  }
  return { storeId, lines: [...chosen.values()].sort((a, b) => a.productId - b.productId) };
}

export async function available(url: string, pair: { storeId: number; productId: number }): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ a: number }>('select on_hand - reserved as a from inventory where store_id = $1 and product_id = $2', [pair.storeId, pair.productId]);
    return r.rows[0]?.a ?? 0;
  } finally {
    await c.end();
  }
}
