// Product reads: the keyset-paginated list with total available stock, the detail with stock per
// store, and the filter choices. Plain functions over a Db (or a transaction); no Fastify here.
import { sql, type SQL } from 'drizzle-orm';
import { intArray, queryRows, type Db } from '../../db/client.ts';
import { allOf, decodeCursor, likePattern, pageLimit, planKeyset, toPage, type Keyset, type Page } from '../../lib/list.ts';
import type { CurrentUser } from '../../lib/access.ts';
import { badRequest } from '../../lib/errors.ts';
import type { ProductFilters, ProductSort } from './schema.ts';
import { CATALOGUE_VERSION } from './facets.ts';

/** Whose stock counts: every store, or a staff member's stores (enforced here, in the SQL). */
export type StockScope = 'all' | number[];

/** Stock figures a user may see: staff their stores', admins all stores'. Customers see the
 * catalogue's availability over all stores (the API strips per-store detail for them). */
export function stockScope(user: CurrentUser | null): StockScope {
  return user?.role === 'staff' ? user.storeIds : 'all';
}

export interface ProductRecord {
  productId: number;
  sku: string;
  productName: string;
  unitPrice: string;
  colour: string | null;
  brand: string | null;
  size: string | null;
  rating: number | null;
  active: boolean;
  version: number;
}

export interface ProductRow extends ProductRecord {
  /** Sum over the scope's stores of on_hand - reserved. */
  available: number;
}

export interface StockRow { storeId: number; storeName: string; onHand: number; reserved: number; available: number; reorderPoint: number }

export interface ListOptions extends ProductFilters {
  sort?: ProductSort | string;
  order?: 'asc' | 'desc';
  cursor?: string;
  limit?: number;
}

const COLUMNS = sql`p.product_id as "productId", p.sku, p.product_name as "productName",
  p.unit_price::text as "unitPrice", p.colour, p.brand, p.size, p.rating::int as rating, p.active, p.version`;

const inScope = (scope: StockScope): SQL => (scope === 'all' ? sql`true` : sql`i.store_id = any(${intArray(scope)})`);

/** Sortable columns. Nullable ones sort as '' / 0 so the keyset comparison never meets a null. */
function keyset(available: SQL): Keyset<ProductRow> {
  const text = (expr: SQL, value: (r: ProductRow) => string) => ({ expr, value, type: 'text' as const });
  return {
    sorts: {
      productId: { expr: sql`p.product_id`, value: (r) => r.productId, type: 'int' },
      sku: text(sql`p.sku`, (r) => r.sku),
      productName: text(sql`p.product_name`, (r) => r.productName),
      brand: text(sql`coalesce(p.brand, '')`, (r) => r.brand ?? ''),
      colour: text(sql`coalesce(p.colour, '')`, (r) => r.colour ?? ''),
      size: text(sql`coalesce(p.size, '')`, (r) => r.size ?? ''),
      rating: { expr: sql`coalesce(p.rating, 0)::int`, value: (r) => r.rating ?? 0, type: 'int' },
      unitPrice: { expr: sql`p.unit_price`, value: (r) => r.unitPrice, type: 'numeric' },
      available: { expr: available, value: (r) => r.available, type: 'int' },
    },
    defaultSort: 'productName',
    defaultOrder: 'asc',
    id: sql`p.product_id`,
    idOf: (r) => r.productId,
  };
}
/** The product list's sortable fields (the OpenAPI document's `sort` enum). */
export const PRODUCT_SORTS = Object.keys(keyset(sql`0`).sorts);

export function filterSql(f: ProductFilters): SQL | undefined {
  return allOf(
    // ILIKE with a pattern of 3+ characters uses the trigram index on product_name.
    !!f.q && sql`p.product_name ilike ${likePattern(f.q)}`,
    !!f.brand && sql`p.brand = ${f.brand}`,
    !!f.colour && sql`p.colour = ${f.colour}`,
    !!f.size && sql`p.size = ${f.size}`,
    f.minPrice !== undefined && sql`p.unit_price >= ${f.minPrice}::numeric`,
    f.maxPrice !== undefined && sql`p.unit_price <= ${f.maxPrice}::numeric`,
    f.active === 'true' && sql`p.active`,
    f.active === 'false' && sql`not p.active`,
  );
}

/** A cursor from a list sorted by another column would fail as a cast inside the query; refuse
 * it as the bad cursor it is. */
function checkCursorType(cursor: string, type: string | undefined) {
  const { v } = decodeCursor(cursor);
  const fits = type === 'int' ? Number.isSafeInteger(v)
    : type === 'numeric' ? typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)
      : typeof v === 'string';
  if (!fits) throw badRequest('The cursor is not valid: start again from the first page.', [{ field: 'cursor', message: 'is not a cursor from this list' }]);
}

/** True when the filters narrow the catalogue enough that summing stock product by product
 * beats one pass over the whole inventory table. */
const selective = (f: ProductFilters): boolean =>
  !!(f.q && f.q.length >= 3) || !!f.brand || !!f.colour || !!f.size;

/** `bulk`: a CSV export's big pages (stock summed set-based whatever the sort). `withVersion`:
 * also read the catalogue version, for the page's filter choices (see facets.ts). */
export interface ListHow { bulk?: boolean; withVersion?: boolean }

/**
 * One page of products with their available stock.
 *
 * Sorting by a product column walks products in keyset order and sums stock for the page's rows
 * only (a correlated subquery PostgreSQL evaluates after the LIMIT: ~50 index probes).
 * Sorting by available stock needs every product's sum before the first row is known (no index
 * can order an aggregate), so it is computed for all products that pass the filters: correct,
 * but one pass over the inventory rows in scope per page (about 1.5 s at 100,000 products x 50
 * stores). A per-product total kept by the stock code, indexed on (available, product_id), would
 * make it an index range scan. `bulk` pages sum stock the same set-based way whatever the sort.
 */
export async function listProducts(db: Db, scope: StockScope, opts: ListOptions, { bulk = false, withVersion = false }: ListHow = {}): Promise<Page<ProductRow> & { catalogueVersion?: string | null }> {
  const byAvailable = (opts.sort ?? 'productName') === 'available';
  // How stock is summed: per row of the page (a screenful), per product passing the filters
  // (selective filters), or in one pass over the inventory (everything else, and big export pages).
  const perRow = !byAvailable && !bulk;
  const grouped = !perRow && !selective(opts);
  const ks = keyset(grouped ? sql`coalesce(g.available, 0)` : sql`a.available`);
  if (opts.cursor) checkCursorType(opts.cursor, ks.sorts[opts.sort ?? ks.defaultSort]?.type);
  const plan = planKeyset(ks, opts);
  const filters = filterSql(opts);
  const where = allOf(filters, plan.where) ?? sql`true`;
  const orderBy = sql.join(plan.orderBy, sql`, `);
  let query: SQL;
  const columns = withVersion ? sql`${COLUMNS}, ${CATALOGUE_VERSION} as "catalogueVersion"` : COLUMNS;
  if (perRow) {
    query = sql`select ${columns},
        coalesce((select sum(i.on_hand - i.reserved) from inventory i where i.product_id = p.product_id and ${inScope(scope)}), 0)::int as available
      from products p where ${where} order by ${orderBy} limit ${pageLimit(plan.limit, !!filters)}`;
  } else if (grouped) {
    // One hash aggregate over inventory: far cheaper than a probe per product once there are
    // thousands of them (the probes are random reads; inventory is laid out by store).
    query = sql`select ${columns}, coalesce(g.available, 0) as available
      from products p
      left join (select i.product_id, sum(i.on_hand - i.reserved)::int as available
                 from inventory i where ${inScope(scope)} group by i.product_id) g on g.product_id = p.product_id
      where ${where} order by ${orderBy} limit ${plan.limit}`;
  } else {
    // Selective filters: sum only the products that pass them.
    query = sql`select ${columns}, a.available
      from products p
      cross join lateral (select coalesce(sum(i.on_hand - i.reserved), 0)::int as available
                          from inventory i where i.product_id = p.product_id and ${inScope(scope)}) a
      where ${where} order by ${orderBy} limit ${plan.limit}`;
  }
  const rows = await queryRows<ProductRow & { catalogueVersion?: string | null }>(db, query);
  const page = toPage(ks, plan, rows, !!opts.cursor);
  // Every row carries the same version; no rows, no version (the caller reads it itself).
  return withVersion && rows.length ? { ...page, catalogueVersion: rows[0]!.catalogueVersion } : page;
}

/** One product with its available stock over the scope; null when it does not exist. */
export async function findProduct(db: Db, id: number, scope: StockScope): Promise<ProductRow | null> {
  const rows = await queryRows<ProductRow>(db, sql`select ${COLUMNS},
      coalesce((select sum(i.on_hand - i.reserved) from inventory i where i.product_id = p.product_id and ${inScope(scope)}), 0)::int as available
    from products p where p.product_id = ${id}`);
  return rows[0] ?? null;
}

/** Stock of one product per store in scope (stores that have an inventory row for it). */
export function stockByStore(db: Db, id: number, scope: StockScope): Promise<StockRow[]> {
  return queryRows<StockRow>(db, sql`select i.store_id as "storeId", s.store_name as "storeName", i.on_hand as "onHand",
      i.reserved, i.on_hand - i.reserved as available, i.reorder_point as "reorderPoint"
    from inventory i join stores s on s.store_id = i.store_id
    where i.product_id = ${id} and ${inScope(scope)}
    order by s.store_name, i.store_id`);
}

export { filterChoices, type FilterChoices } from './facets.ts';

export interface BrandCount { brand: string; productCount: number }

/** Brands with their number of products (active ones only when `activeOnly`). */
export function brandCounts(db: Db, activeOnly: boolean): Promise<BrandCount[]> {
  return queryRows<BrandCount>(db, sql`select brand, count(*)::int as "productCount" from products
    where brand is not null and ${activeOnly ? sql`active` : sql`true`}
    group by brand order by brand`);
}

export interface ProductReferences { orderLines: number; stockRows: number; movements: number }

/** What still points at a product (and so forbids deleting it). */
export async function productReferences(db: Db, id: number): Promise<ProductReferences> {
  const [row] = await queryRows<ProductReferences>(db, sql`select
      (select count(*) from order_items where product_id = ${id})::int as "orderLines",
      (select count(*) from inventory where product_id = ${id})::int as "stockRows",
      (select count(*) from stock_movements where product_id = ${id})::int as movements`);
  return row!;
}
