// The "new order" form's data work: reading the submitted rows, resolving what people type (a
// customer id, email or name; a product SKU, id or name) to records, availability at the chosen
// store, and the suggestions behind the two datalists. A few queries per form, not per line.
import { randomUUID } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Db } from '../../db/client.ts';
import { likePattern } from '../../lib/list.ts';

/** Empty rows shown on a fresh form (without JavaScript there is no "add line"). */
export const EMPTY_ROWS = 5;

export interface ProductMatch { productId: number; sku: string; productName: string; unitPrice: string; active: boolean }
export interface CustomerMatch { customerId: number; fullName: string; emailAddress: string }

export interface LineValues {
  /** Stable per row, for DOM ids (htmx keeps focus across swaps by id). */
  key: string;
  product: string;
  quantity: string;
  match?: ProductMatch;
  available?: number;
  errors: { product?: string; quantity?: string };
}

export interface NewOrderValues {
  customer: string;
  storeId: string;
  idempotencyKey: string;
  lines: LineValues[];
  customerMatch?: CustomerMatch;
  errors: { customer?: string; storeId?: string; lines?: string };
}

const list = (v: unknown): string[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]).map((x) => (typeof x === 'string' ? x : '')).slice(0, 200);
const str = (v: unknown, max: number): string => (typeof v === 'string' ? v.trim().slice(0, max) : '');

export const newKey = (): string => randomUUID();
export const emptyLine = (key = newKey().slice(0, 8)): LineValues => ({ key, product: '', quantity: '', errors: {} });

/** The form body: parallel `product` / `quantity` fields, one pair per row. */
export function readNewOrderForm(body: unknown): NewOrderValues {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const products = list(b.product);
  const quantities = list(b.quantity);
  const rows = Math.max(products.length, quantities.length);
  const lines: LineValues[] = [];
  for (let i = 0; i < rows; i++) lines.push({ key: String(i), product: str(products[i], 200), quantity: str(quantities[i], 12), errors: {} });
  return { customer: str(b.customer, 254), storeId: str(b.storeId, 12), idempotencyKey: str(b.idempotencyKey, 200), lines, errors: {} };
}

const toProduct = (r: ProductMatch): ProductMatch => ({ ...r, productId: Number(r.productId) });
const productCols = sql`product_id as "productId", sku, product_name as "productName", unit_price::text as "unitPrice", active`;

/** Resolves each distinct text to one product, or to a message saying why not. */
export async function resolveProducts(db: Db, texts: string[]): Promise<Map<string, ProductMatch | string>> {
  const out = new Map<string, ProductMatch | string>();
  const wanted = [...new Set(texts.map((t) => t.trim()).filter(Boolean))];
  if (!wanted.length) return out;
  const lowered = wanted.map((t) => t.toLowerCase());
  const ids = wanted.filter((t) => /^\d{1,10}$/.test(t)).map(Number).filter((n) => n <= 2147483647);
  const exact = (await queryRows<ProductMatch>(db, sql`select ${productCols} from products
    where lower(sku) in (${sql.join(lowered.map((t) => sql`${t}`), sql`, `)})
       or lower(product_name) in (${sql.join(lowered.map((t) => sql`${t}`), sql`, `)})
       ${ids.length ? sql`or product_id in (${sql.join(ids.map((n) => sql`${n}`), sql`, `)})` : sql``}
    limit 1000`)).map(toProduct);
  for (const text of wanted) {
    const t = text.toLowerCase();
    // A SKU is unique; then an id; then a name, if only one product carries it.
    const bySku = exact.find((p) => p.sku.toLowerCase() === t);
    const byId = /^\d+$/.test(text) ? exact.find((p) => p.productId === Number(text)) : undefined;
    const byName = exact.filter((p) => p.productName.toLowerCase() === t);
    const found = bySku ?? byId ?? (byName.length === 1 ? byName[0] : undefined);
    if (found) { out.set(text, found); continue; }
    if (byName.length > 1) { out.set(text, `${byName.length} products are called “${text}”: type the SKU instead.`); continue; }
    out.set(text, await resolvePartial(db, text));
  }
  return out;
}

/** Text that is not an exact SKU, id or name: accepted when exactly one active product contains it. */
async function resolvePartial(db: Db, text: string): Promise<ProductMatch | string> {
  const rows = (await queryRows<ProductMatch>(db, sql`select ${productCols} from products
    where active and (product_name ilike ${likePattern(text)} or sku ilike ${likePattern(text)})
    order by product_name limit 2`)).map(toProduct);
  if (rows.length === 1) return rows[0]!;
  return rows.length ? `Several products match “${text}”: pick one from the list or type its SKU.` : `No product matches “${text}”.`;
}

/** Resolves the customer field: a customer number, an email address, or a name that only one
 * customer has (or that only one customer's name or email contains). */
export async function resolveCustomer(db: Db, text: string): Promise<CustomerMatch | string> {
  const t = text.trim().replace(/^#/, '');
  if (!t) return 'Choose the customer: type a name, email or customer number.';
  const cols = sql`customer_id as "customerId", full_name as "fullName", email_address as "emailAddress"`;
  let where: SQL;
  if (/^\d{1,10}$/.test(t)) where = sql`customer_id = ${Math.min(Number(t), 2147483647)}`;
  else if (t.includes('@')) where = sql`lower(email_address) = lower(${t})`;
  else where = sql`lower(full_name) = lower(${t})`;
  let rows = await queryRows<CustomerMatch>(db, sql`select ${cols} from customers where ${where} order by customer_id limit 2`);
  if (!rows.length && !/^\d+$/.test(t)) {
    rows = await queryRows<CustomerMatch>(db, sql`select ${cols} from customers
      where full_name ilike ${likePattern(t)} or email_address ilike ${likePattern(t)} order by full_name limit 2`);
  }
  if (rows.length === 1) return { ...rows[0]!, customerId: Number(rows[0]!.customerId) };
  if (rows.length > 1) return `Several customers match “${t}”: use their email address or customer number.`;
  return `No customer matches “${t}”.`;
}

/** Units available (on hand − reserved) at the store, by product; no inventory row = 0. */
export async function availability(db: Db, storeId: number, productIds: number[]): Promise<Map<number, number>> {
  const ids = [...new Set(productIds)];
  if (!ids.length) return new Map();
  const rows = await queryRows<{ productId: number; available: number }>(db, sql`
    select product_id as "productId", (on_hand - reserved)::int as available from inventory
    where store_id = ${storeId} and product_id in (${sql.join(ids.map((n) => sql`${n}`), sql`, `)})`);
  const found = new Map(rows.map((r) => [Number(r.productId), Number(r.available)]));
  return new Map(ids.map((id) => [id, found.get(id) ?? 0]));
}

/** Suggestions for the customer datalist (trigram indexes make the contains-search cheap). */
export async function customerOptions(db: Db, text: string, limit = 10): Promise<CustomerMatch[]> {
  const t = text.trim();
  if (t.length < 2) return [];
  return queryRows<CustomerMatch>(db, sql`select customer_id as "customerId", full_name as "fullName", email_address as "emailAddress"
    from customers where full_name ilike ${likePattern(t)} or email_address ilike ${likePattern(t)}
    order by full_name, customer_id limit ${limit}`);
}

/** Suggestions for the product datalist: active products by name or SKU, with what the chosen
 * store has available. */
export async function productOptions(db: Db, text: string, storeId: number | undefined, limit = 15): Promise<Array<ProductMatch & { available: number | null }>> {
  const t = text.trim();
  if (!t) return [];
  const rows = await queryRows<ProductMatch & { available: number | null }>(db, sql`
    select p.product_id as "productId", p.sku, p.product_name as "productName", p.unit_price::text as "unitPrice", p.active,
      ${storeId ? sql`coalesce((select (inv.on_hand - inv.reserved)::int from inventory inv where inv.store_id = ${storeId} and inv.product_id = p.product_id), 0)` : sql`null::int`} as available
    from products p
    where p.active and (p.product_name ilike ${likePattern(t)} or p.sku ilike ${likePattern(t)})
    order by p.product_name, p.product_id limit ${limit}`);
  return rows.map((r) => ({ ...r, productId: Number(r.productId) }));
}

/** Resolves every row (products, availability at the store) and fills in per-row messages.
 * Blank rows are skipped; returns the rows that make up the order, in form order. */
export async function checkLines(db: Db, values: NewOrderValues, storeId: number | undefined): Promise<LineValues[]> {
  const filled = values.lines.filter((l) => l.product || l.quantity);
  const matches = await resolveProducts(db, filled.map((l) => l.product));
  for (const line of filled) {
    if (!line.product) line.errors.product = 'Choose a product for this quantity, or clear the line.';
    else {
      const m = matches.get(line.product.trim());
      if (typeof m === 'string' || !m) line.errors.product = m ?? 'No product matches.';
      else {
        line.match = m;
        if (!m.active) line.errors.product = `${m.productName} is no longer sold.`;
      }
    }
    if (!line.quantity) line.errors.quantity = 'Enter a quantity.';
  }
  if (storeId) {
    const stock = await availability(db, storeId, filled.flatMap((l) => (l.match ? [l.match.productId] : [])));
    for (const line of filled) if (line.match) line.available = stock.get(line.match.productId) ?? 0;
  }
  return filled;
}
