// Stock levels: the keyset-paginated list of inventory rows with their store and product, one row
// by key, and the small lookups the forms need. Staff scope is part of every WHERE clause.
import { asc, eq, ilike, inArray, or, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import { inventory, products, stores } from '../../db/schema/index.ts';
import { intArray, queryRows, type Db } from '../../db/client.ts';
import { allOf, likePattern, planKeyset, toPage, type Keyset, type Page } from '../../lib/list.ts';

export type Scope = 'all' | number[];

export interface StockRow {
  storeId: number;
  storeName: string;
  productId: number;
  sku: string;
  productName: string;
  brand: string | null;
  onHand: number;
  reserved: number;
  available: number;
  reorderPoint: number;
  lastMovementAt: Date | null;
  /** last_movement_at as PostgreSQL prints it (microseconds kept), for the cursor only. */
  lastMovementKey: string;
}

export interface StockQuery {
  storeId?: number;
  productId?: number;
  q?: string;
  brand?: string;
  lowStock?: boolean;
  outOfStock?: boolean;
  sort?: string;
  order?: 'asc' | 'desc';
  cursor?: string;
  limit?: number;
}

/** `store_id = any(…)` for staff, nothing for admins. */
export const inScope = (scope: Scope, column: SQLWrapper): SQL | undefined =>
  scope === 'all' ? undefined : sql`${column} = any(${intArray(scope)})`;

/** The start of a calendar day (plus some days) in the app's time zone, as a timestamptz. */
export const dayStart = (day: string, timeZone: string, plusDays = 0): SQL =>
  sql`((${day}::date + ${plusDays}::int)::timestamp at time zone ${timeZone})`;

const available = sql<number>`(${inventory.onHand} - ${inventory.reserved})`;
const lastMovementKey = sql<string>`coalesce(${inventory.lastMovementAt}, '-infinity'::timestamptz)`;

const sorts: Keyset<StockRow>['sorts'] = {
  store: { expr: sql`${inventory.storeId}`, value: (r) => r.storeId, type: 'int' },
  sku: { expr: sql`${products.sku}`, value: (r) => r.sku, type: 'text' },
  product: { expr: sql`${products.productName}`, value: (r) => r.productName, type: 'text' },
  onHand: { expr: sql`${inventory.onHand}`, value: (r) => r.onHand, type: 'int' },
  reserved: { expr: sql`${inventory.reserved}`, value: (r) => r.reserved, type: 'int' },
  available: { expr: available, value: (r) => r.available, type: 'int' },
  reorderPoint: { expr: sql`${inventory.reorderPoint}`, value: (r) => r.reorderPoint, type: 'int' },
  lastMovementAt: { expr: lastMovementKey, value: (r) => r.lastMovementKey, type: 'timestamptz' },
};
export const STOCK_SORTS = Object.keys(sorts);
/**
 * The key of an inventory row is (store, product). Sorting by store walks the primary key
 * (store_id, product_id) directly, so the tie-breaker is the product id; any other sort breaks
 * ties on both ids packed into one bigint (store ids stay far below 2^22, so it is exact in JS).
 */
export function stockKeyset(sort: string | undefined): Keyset<StockRow> {
  const byStore = (sort ?? 'store') === 'store';
  return {
    sorts, defaultSort: 'store', defaultOrder: 'asc',
    id: byStore ? sql`${inventory.productId}` : sql`(${inventory.storeId}::bigint * 2147483648 + ${inventory.productId})`,
    idOf: byStore ? (r) => r.productId : (r) => r.storeId * 2147483648 + r.productId,
  };
}

const inventoryColumns = {
  storeId: inventory.storeId,
  productId: inventory.productId,
  onHand: inventory.onHand,
  reserved: inventory.reserved,
  available: sql<number>`${available}::int`.mapWith(Number),
  reorderPoint: inventory.reorderPoint,
  lastMovementAt: inventory.lastMovementAt,
  lastMovementKey: sql<string>`${lastMovementKey}::text`,
};

export const rowColumns = {
  ...inventoryColumns,
  storeName: stores.storeName,
  sku: products.sku,
  productName: products.productName,
  brand: products.brand,
};

function stockWhere(scope: Scope, f: StockQuery): SQL | undefined {
  const q = f.q?.trim();
  return allOf(
    inScope(scope, inventory.storeId),
    f.storeId !== undefined && eq(inventory.storeId, f.storeId),
    f.productId !== undefined && eq(inventory.productId, f.productId),
    !!q && or(ilike(products.productName, likePattern(q)), ilike(products.sku, likePattern(q))),
    !!f.brand && eq(products.brand, f.brand),
    f.lowStock && sql`${available} <= ${inventory.reorderPoint}`,
    f.outOfStock && sql`${available} <= 0`,
  );
}

/**
 * One page of stock levels, filtered and sorted as asked. The page is chosen on inventory alone
 * (joined to products only when a product column filters or sorts), then the names of its rows
 * are looked up: with millions of rows, sorting before joining is what keeps a page cheap.
 */
export async function listStock(db: Db, scope: Scope, query: StockQuery): Promise<Page<StockRow>> {
  const ks = stockKeyset(query.sort);
  const plan = planKeyset(ks, query);
  const byProduct = !!query.q?.trim() || !!query.brand || plan.sort === 'sku' || plan.sort === 'product';
  const base = db.select(inventoryColumns).from(inventory).$dynamic();
  const rows = await (byProduct ? base.innerJoin(products, eq(products.productId, inventory.productId)) : base)
    .where(allOf(stockWhere(scope, query), plan.where))
    .orderBy(...plan.orderBy)
    .limit(plan.limit);
  const [names, storeNames] = rows.length ? await Promise.all([
    db.select({ id: products.productId, sku: products.sku, productName: products.productName, brand: products.brand })
      .from(products).where(inArray(products.productId, [...new Set(rows.map((r) => r.productId))])),
    db.select({ id: stores.storeId, storeName: stores.storeName })
      .from(stores).where(inArray(stores.storeId, [...new Set(rows.map((r) => r.storeId))])),
  ]) : [[], []];
  const product = new Map(names.map((n) => [n.id, n]));
  const store = new Map(storeNames.map((n) => [n.id, n.storeName]));
  const items: StockRow[] = rows.map((r) => {
    const p = product.get(r.productId)!;
    return { ...r, storeName: store.get(r.storeId)!, sku: p.sku, productName: p.productName, brand: p.brand };
  });
  return toPage(ks, plan, items, !!query.cursor);
}

/** One inventory row with names, or null (also when it is outside the caller's stores). */
export async function findStockRow(db: Db, scope: Scope, storeId: number, productId: number): Promise<StockRow | null> {
  const rows = await db.select(rowColumns).from(inventory)
    .innerJoin(stores, eq(stores.storeId, inventory.storeId))
    .innerJoin(products, eq(products.productId, inventory.productId))
    .where(allOf(inScope(scope, inventory.storeId), eq(inventory.storeId, storeId), eq(inventory.productId, productId)));
  return rows[0] ?? null;
}

export interface StoreOption { storeId: number; storeName: string }

/** Stores for the filter and form selects: the caller's own, or every store for `'all'`. */
export async function storeOptions(db: Db, scope: Scope): Promise<StoreOption[]> {
  return db.select({ storeId: stores.storeId, storeName: stores.storeName }).from(stores)
    .where(inScope(scope, stores.storeId)).orderBy(asc(stores.storeName));
}

/** Distinct brands by a loose index scan over products_brand_name_idx: one probe per brand rather
 * than reading every product. */
export async function brandOptions(db: Db): Promise<string[]> {
  const rows = await queryRows<{ brand: string }>(db, sql`
    with recursive b as (
      select min(brand) as brand from products
      union all
      select (select min(brand) from products where brand > b.brand) from b where b.brand is not null
    )
    select brand from b where brand is not null`);
  return rows.map((r) => r.brand);
}

export interface ProductRef { productId: number; productName: string; sku: string }

/** Products by SKU for the forms that name a product by SKU. The unique index on sku is
 * case-sensitive, so each SKU is looked up as typed and in upper case (seeded SKUs are). */
export async function findProductsBySku(db: Db, skus: string[]): Promise<Map<string, ProductRef>> {
  if (!skus.length) return new Map();
  const wanted = [...new Set(skus.flatMap((s) => [s, s.toUpperCase()]))];
  const rows = await db.select({ productId: products.productId, productName: products.productName, sku: products.sku })
    .from(products).where(inArray(products.sku, wanted));
  const out = new Map<string, ProductRef>();
  for (const sku of skus) {
    const hit = rows.find((r) => r.sku === sku) ?? rows.find((r) => r.sku === sku.toUpperCase());
    if (hit) out.set(sku, hit);
  }
  return out;
}
