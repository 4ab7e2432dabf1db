// The order list's filters, shared by the page, the CSV export, "orders by store" and the API:
// who may see what (the viewer's scope, always in SQL), and what the user asked for. Dates are
// whole days in the configured time zone, both ends inclusive.
import { sql, type SQL } from 'drizzle-orm';
import { intArray } from '../../db/client.ts';
import { orderStatuses, type OrderStatus } from '../../db/schema/index.ts';
import type { CurrentUser } from '../../lib/access.ts';
import { canAccessStore } from '../../lib/access.ts';
import { forbidden } from '../../lib/errors.ts';
import { likePattern } from '../../lib/list.ts';
import { own } from '../../lib/own.ts';
import { ORDER_SORTS, SORT_ALIASES, type OrderSort } from './schema.ts';

/** What a viewer may see: admins everything, staff their stores, a customer their own orders. */
export interface OrderViewer { stores: 'all' | number[]; customerId: number | null }

export function orderViewer(user: CurrentUser): OrderViewer {
  if (user.role === 'customer') return { stores: 'all', customerId: user.customerId ?? -1 };
  return { stores: user.role === 'admin' ? 'all' : user.storeIds, customerId: null };
}

export interface OrderFilters {
  status?: OrderStatus;
  storeId?: number;
  customerId?: number;
  /** Customer name or email, contains (the page's customer field when it is not an id). */
  customerText?: string;
  /** An order id, or other text matched against customer names and emails. */
  q?: string;
  from?: string;
  to?: string;
}

export interface ListOptions { sort?: OrderSort; order?: 'asc' | 'desc'; cursor?: string; limit?: number }

const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MAX_ID = 2147483647;

/** True for a real calendar day written YYYY-MM-DD. */
export function isDay(text: string): boolean {
  const m = DAY_RE.exec(text);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]) && Number(m[1]) >= 1900;
}

const positiveId = (text: string): number | undefined => {
  if (!/^\d{1,10}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 1 && n <= MAX_ID ? n : undefined;
};

export interface ParsedQuery { filters: OrderFilters; list: ListOptions; errors: Record<string, string> }

/** Reads the page's query string (all text, empty fields allowed) into filters, with a message
 * for each value that makes no sense instead of silently ignoring it. */
export function parseOrderQuery(raw: Record<string, string | undefined>): ParsedQuery {
  const errors: Record<string, string> = {};
  const filters: OrderFilters = {};
  const text = (k: string) => raw[k]?.trim() || undefined;

  const status = text('status')?.toUpperCase();
  if (status) {
    if ((orderStatuses as readonly string[]).includes(status)) filters.status = status as OrderStatus;
    else errors.status = `Choose a status: ${orderStatuses.join(', ')}.`;
  }
  const storeId = text('storeId');
  if (storeId) {
    const id = positiveId(storeId);
    if (id) filters.storeId = id; else errors.storeId = 'Choose a store from the list.';
  }
  const customerId = text('customerId');
  if (customerId) {
    const id = positiveId(customerId);
    if (id) filters.customerId = id; else errors.customer = 'A customer number is a whole number.';
  }
  const customer = text('customer');
  if (customer) {
    const id = positiveId(customer.replace(/^#/, ''));
    if (id && filters.customerId === undefined) filters.customerId = id;
    else if (!id) filters.customerText = customer;
  }
  const q = text('q');
  if (q) filters.q = q;
  for (const k of ['from', 'to'] as const) {
    const day = text(k);
    if (!day) continue;
    if (isDay(day)) filters[k] = day; else errors[k] = 'Enter a date as YYYY-MM-DD.';
  }
  if (filters.from && filters.to && filters.from > filters.to) errors.to = 'The end date is before the start date.';

  const list: ListOptions = {};
  const sort = text('sort');
  if (sort) {
    const s = own(SORT_ALIASES, sort) ?? sort;
    if ((ORDER_SORTS as readonly string[]).includes(s)) list.sort = s as OrderSort;
    else errors.sort = `Sort by one of ${ORDER_SORTS.join(', ')}.`;
  }
  const order = text('order');
  if (order === 'asc' || order === 'desc') list.order = order;
  else if (order) errors.order = 'The order is asc or desc.';
  const limit = text('limit');
  if (limit) {
    const n = positiveId(limit);
    if (n && n <= 200) list.limit = n; else errors.limit = 'Show 1 to 200 orders per page.';
  }
  if (text('cursor')) list.cursor = text('cursor');
  return { filters, list, errors };
}

/** Refuses a filter on a store the viewer does not work at (403), rather than an empty list
 * that looks like "no orders"; the SQL scope applies regardless. */
export function assertFilterAccess(user: CurrentUser, filters: OrderFilters): void {
  if (filters.storeId !== undefined && user.role !== 'customer' && !canAccessStore(user, filters.storeId)) {
    throw forbidden('You can only see the orders of the stores you work at.');
  }
  if (user.role === 'customer' && filters.customerId !== undefined && filters.customerId !== user.customerId) {
    throw forbidden('You can only see your own orders.');
  }
}

/** Start of a day in the time zone, as a timestamptz expression. */
export const dayStart = (day: string, timeZone: string, plusDays = 0): SQL =>
  sql`((${day}::date + ${plusDays}::int)::timestamp at time zone ${timeZone})`;

/** Customer ids matching a name or email fragment (trigram indexes on customers). */
const customerMatch = (text: string): SQL => sql`o.customer_id in (select cm.customer_id from customers cm
  where cm.full_name ilike ${likePattern(text)} or cm.email_address ilike ${likePattern(text)})`;

/** The viewer's scope over orders `o`. */
export function scopeWhere(viewer: OrderViewer): SQL | undefined {
  const parts: SQL[] = [];
  if (viewer.stores !== 'all') parts.push(sql`o.store_id = any(${intArray(viewer.stores)})`);
  if (viewer.customerId !== null) parts.push(sql`o.customer_id = ${viewer.customerId}`);
  return parts.length ? sql.join(parts, sql` and `) : undefined;
}

/** Conditions on orders `o` for the scope and the filters (optionally leaving the status out,
 * for the per-status counts). */
export function filterWhere(viewer: OrderViewer, f: OrderFilters, timeZone: string, opts: { withStatus?: boolean } = {}): SQL {
  const parts: SQL[] = [];
  const scope = scopeWhere(viewer);
  if (scope) parts.push(scope);
  if (f.status && opts.withStatus !== false) parts.push(sql`o.order_status = ${f.status}`);
  if (f.storeId !== undefined) parts.push(sql`o.store_id = ${f.storeId}`);
  if (f.customerId !== undefined) parts.push(sql`o.customer_id = ${f.customerId}`);
  if (f.customerText) parts.push(customerMatch(f.customerText));
  if (f.q) {
    const id = /^#?\s*(\d{1,15})$/.exec(f.q);
    parts.push(id ? sql`o.order_id = ${Number(id[1])}` : customerMatch(f.q));
  }
  if (f.from) parts.push(sql`o.order_tms >= ${dayStart(f.from, timeZone)}`);
  if (f.to) parts.push(sql`o.order_tms < ${dayStart(f.to, timeZone, 1)}`);
  return parts.length ? sql.join(parts, sql` and `) : sql`true`;
}

/** True when neither the scope nor any filter narrows the orders. */
export function isUnfiltered(viewer: OrderViewer, f: OrderFilters): boolean {
  return viewer.stores === 'all' && viewer.customerId === null && Object.values(f).every((v) => v === undefined || v === '');
}

/** The filters as query parameters, for links (pagination, chips, CSV, by-store). */
export function filterParams(f: OrderFilters): Record<string, string | number | undefined> {
  return {
    status: f.status, storeId: f.storeId,
    customer: f.customerId !== undefined ? String(f.customerId) : f.customerText,
    q: f.q, from: f.from, to: f.to,
  };
}
