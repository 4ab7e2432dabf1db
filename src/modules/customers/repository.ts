// Customer reads: the list (keyset, search, sort on every column), counts for the detail page,
// and the shipment-status summary (a customer's own orders and shipments are in history.ts).
// Customers are not store-scoped, but their orders and shipments are: `scope` limits every
// order/shipment figure to the viewer's stores in SQL.
import { sql, type SQL } from 'drizzle-orm';
import { queryRows, intArray, type Db } from '../../db/client.ts';
import { shipmentStatuses } from '../../db/schema/index.ts';
import { planKeyset, toPage, allOf, likePattern, listRows, pageLimit, type Keyset, type Page, type SortColumn } from '../../lib/list.ts';
import type { CurrentUser } from '../../lib/access.ts';

/** Stores whose orders and shipments a viewer sees: admins all, staff theirs. A customer only
 * ever reaches their own record, and sees all of its orders. */
export type OrderScope = 'all' | number[];
export function orderScope(user: CurrentUser | null): OrderScope {
  return user?.role === 'staff' ? user.storeIds : 'all';
}
export const inScope = (column: SQL, scope: OrderScope): SQL => (scope === 'all' ? sql`true` : sql`${column} = any(${intArray(scope)})`);

export interface CustomerRow {
  customerId: number;
  emailAddress: string;
  fullName: string;
  createdAt: Date;
  version: number;
  orderCount: number;
  lastOrderAt: Date | null;
}
/** A row as read, with the text of its sort value: exact (microseconds) for the cursor. */
export type Keyed<T> = T & { sortKey: string };

// Every sort value round-trips through text, so the cursor keeps timestamps to the microsecond.
export const col = <T>(expr: SQL, type: SortColumn<T>['type']): SortColumn<Keyed<T>> => ({ expr, type, value: (r) => r.sortKey });

const baseSorts = {
  customerId: col<CustomerRow>(sql`c.customer_id`, 'int'),
  fullName: col<CustomerRow>(sql`c.full_name`, 'text'),
  // lower(): the unique index customers_email_lower_key serves this order.
  emailAddress: col<CustomerRow>(sql`lower(c.email_address)`, 'text'),
  createdAt: col<CustomerRow>(sql`c.created_at`, 'timestamptz'),
};
const customerKeyset = (sorts: Keyset<Keyed<CustomerRow>>['sorts']): Keyset<Keyed<CustomerRow>> => ({
  sorts, defaultSort: 'fullName', defaultOrder: 'asc', id: sql`c.customer_id`, idOf: (r) => r.customerId,
});
/** Rows of `customers` (the table, or a subquery over its columns) with everyone's order
 * counters, kept in customer_order_stats by triggers on orders: one relation whose columns are
 * customers' plus order_count and last_order_at (PostgreSQL flattens it into a join). */
const withCounters = (rows: SQL): SQL => sql`(select c.*, s.order_count, s.last_order_at from ${rows} c
  join customer_order_stats s on s.customer_id = c.customer_id)`;
const COUNTED = withCounters(sql`customers`);
// Sorts through the counters' indexes. Customers without orders sort as the oldest.
const countedKeyset = customerKeyset({
  ...baseSorts,
  orderCount: col(sql`c.order_count`, 'int'),
  lastOrderAt: col(sql`coalesce(c.last_order_at, '-infinity'::timestamptz)`, 'timestamptz'),
});
// A staff member's stores only: `s` is the per-customer order summary joined in listCustomers.
const scopedKeyset = customerKeyset({
  ...baseSorts,
  orderCount: col(sql`coalesce(s.order_count, 0)`, 'int'),
  lastOrderAt: col(sql`coalesce(s.last_order_at, '-infinity'::timestamptz)`, 'timestamptz'),
});
/** The customer list's sortable fields (the OpenAPI document's `sort` enum). */
export const CUSTOMER_LIST_SORTS = Object.keys(countedKeyset.sorts);
const AGGREGATE_SORTS = new Set(['orderCount', 'lastOrderAt']);

export interface CustomerListParams { q?: string; sort?: string; order?: 'asc' | 'desc'; cursor?: string; limit?: number }

/** The order count and last order time of customer `c`, from orders_customer_tms_idx. */
const orderSummaryLateral = (scope: OrderScope): SQL => sql`cross join lateral (
  select count(*)::int as order_count, max(o.order_tms) as last_order_at
  from orders o where o.customer_id = c.customer_id and ${inScope(sql`o.store_id`, scope)}) s`;

export interface CustomerPage extends Page<CustomerRow> { sort: string; order: 'asc' | 'desc' }

/** Rows a search reads in key order before it stops hoping to fill the page that way. */
export const SEARCH_WINDOW = 1000;
/** The window for a text without three letters or digits in a row ("o'h", "j d"): pg_trgm
 * draws trigrams from each word, so such a text gives it only weak ones (60,000 candidates to
 * recheck for "o'h", 120 ms) and walking further in key order is the cheaper way to a page. */
export const WEAK_SEARCH_WINDOW = 25_000;
const weakForTrigrams = (q: string) => !/[\p{L}\p{N}]{3}/u.test(q);

/**
 * The customers of one page of a search, as a subquery over `base`'s columns (for the caller to
 * alias), in one statement whose plan PostgreSQL cannot get badly wrong. A `%text%` match has no usable selectivity
 * estimate, so left alone the planner sometimes walks the sort index filtering row by row until
 * the page is full (19,000 rows and 40 ms for a surname shared by 0.2 % of 500,000 customers)
 * and sometimes reads the trigram matches and sorts them (5 ms), whichever it guesses. Here it
 * first walks at most `window` rows from the page's start in key order, stopping as soon as the
 * page is full: a broad term fills it there (a few ms at most). Only when the window runs out
 * with the page unfilled does the second branch run: every match through the trigram indexes
 * (OFFSET 0 keeps the sort index out of that plan), then the top of them sorted. The one-time
 * filters on `enough` make exactly one branch execute. Same rows, same order as the plain query.
 */
function searchPage(base: SQL, match: SQL, keysetWhere: SQL | undefined, orderBy: SQL, limit: number, window: number): SQL {
  const from = keysetWhere ? sql`where ${keysetWhere}` : sql``;
  return sql`(
    with walked as materialized (
      select * from (select c.* from ${base} c ${from} order by ${orderBy} limit ${window}) c
      where ${match} order by ${orderBy} limit ${limit}),
    -- a full page, or fewer rows than the window left after the page's start (counted only then)
    enough as (select (select count(*) from walked) >= ${limit}
      or (select count(*) from (select 1 from ${base} c ${from} order by ${orderBy} limit ${window}) w) < ${window} as yes)
    select * from walked where (select yes from enough)
    union all
    select * from (select * from (select c.* from ${base} c where ${allOf(match, keysetWhere)} offset 0) c
                   order by ${orderBy} limit ${limit}) matched
      where not (select yes from enough)
  )`;
}

/** `searchWindow`: see searchPage (the tests make it small to drive both of its branches; texts
 * weak for trigrams get at least WEAK_SEARCH_WINDOW). */
export async function listCustomers(db: Db, params: CustomerListParams, scope: OrderScope, searchWindow = SEARCH_WINDOW): Promise<CustomerPage> {
  const keyset = scope === 'all' ? countedKeyset : scopedKeyset;
  const plan = planKeyset(keyset, params);
  const q = params.q?.trim();
  const window = q && weakForTrigrams(q) ? Math.max(searchWindow, WEAK_SEARCH_WINDOW) : searchWindow;
  const match = q ? sql`(c.full_name ilike ${likePattern(q)} or c.email_address ilike ${likePattern(q)})` : undefined;
  const where = allOf(match, plan.where);
  const filter = where ? sql`where ${where}` : sql``;
  const orderBy = sql.join(plan.orderBy, sql`, `);
  const sortExpr = keyset.sorts[plan.sort]!.expr;
  // A search, or a staff member's list sorted by their stores' figures (a grouped pass whose
  // plan depends on how many stores they have), is planned for its own values; the rest settle
  // on one plan (see literalLimit).
  const limit = pageLimit(plan.limit, !!match || (scope !== 'all' && AGGREGATE_SORTS.has(plan.sort)));
  const searched = (base: SQL) => searchPage(base, match!, plan.where, orderBy, plan.limit, window);
  const search = (base: SQL) => sql`${searched(base)} c`;
  let source: SQL;
  let summary: SQL;
  if (scope === 'all') {
    // Customers with their kept counters: one index walk, on customers or on the counters,
    // picks the page, joined row by row to the other. A search (see searchPage) sorted on a
    // customer column reads customers alone and joins the counters of the page's rows only.
    source = !match ? sql`${COUNTED} c ${filter}`
      : AGGREGATE_SORTS.has(plan.sort) ? search(COUNTED)
        : sql`${withCounters(searched(sql`customers`))} c`;
    summary = sql`c.order_count as "orderCount", c.last_order_at as "lastOrderAt"`;
  } else {
    summary = sql`coalesce(s.order_count, 0)::int as "orderCount", s.last_order_at as "lastOrderAt"`;
    if (!AGGREGATE_SORTS.has(plan.sort)) {
      // Sorting on a customer column: pick the page from customers alone (walking the column's
      // index), then count the staff member's orders for those ~50 rows only.
      const pick = match ? search(sql`customers`)
        : sql`(select * from customers c ${filter} order by ${orderBy} limit ${limit}) c`;
      source = sql`${pick} ${orderSummaryLateral(scope)}`;
    } else if (q) {
      // Sorting a search by the order summary: one probe per matching customer.
      source = sql`customers c ${orderSummaryLateral(scope)} ${filter}`;
    } else {
      // Sorting everyone by the summary of the staff member's stores: one grouped pass over
      // their orders (a few stores' share of them) joined to customers.
      source = sql`customers c left join (select o.customer_id, count(*)::int as order_count, max(o.order_tms) as last_order_at
          from orders o where ${inScope(sql`o.store_id`, scope)} group by o.customer_id) s on s.customer_id = c.customer_id ${filter}`;
    }
  }
  const rows = await listRows<Keyed<CustomerRow>>(db, sql`
    select c.customer_id as "customerId", c.email_address as "emailAddress", c.full_name as "fullName",
      c.created_at as "createdAt", c.version, ${summary}, (${sortExpr})::text as "sortKey"
    from ${source}
    order by ${orderBy}
    limit ${limit}`, params.cursor);
  const page = toPage(keyset, plan, rows.map(normalizeCustomer), !!params.cursor);
  return { ...page, sort: plan.sort, order: plan.order };
}

function normalizeCustomer<T extends CustomerRow>(r: T): T {
  return { ...r, customerId: Number(r.customerId), orderCount: Number(r.orderCount), version: Number(r.version), createdAt: new Date(r.createdAt), lastOrderAt: r.lastOrderAt ? new Date(r.lastOrderAt) : null };
}

export interface CustomerDetail extends CustomerRow { updatedAt: Date; accountEmail: string | null }

/** One customer with its (scoped) order summary and the email of a linked sign-in account. */
export async function findCustomer(db: Db, id: number, scope: OrderScope): Promise<CustomerDetail | null> {
  const rows = await queryRows<CustomerDetail>(db, sql`
    select c.customer_id as "customerId", c.email_address as "emailAddress", c.full_name as "fullName",
      c.created_at as "createdAt", c.updated_at as "updatedAt", c.version, s.order_count as "orderCount",
      s.last_order_at as "lastOrderAt", (select u.email from users u where u.customer_id = c.customer_id) as "accountEmail"
    from customers c ${orderSummaryLateral(scope)}
    where c.customer_id = ${id}`);
  const row = rows[0];
  return row ? { ...normalizeCustomer(row), updatedAt: new Date(row.updatedAt) } : null;
}

/** Why a customer cannot be deleted, over all stores (history is kept whoever is looking). */
export async function deleteBlockers(db: Db, id: number): Promise<{ orders: number; shipments: number; accountEmail: string | null }> {
  const [row] = await queryRows<{ orders: number; shipments: number; accountEmail: string | null }>(db, sql`select
    (select count(*)::int from orders where customer_id = ${id}) as orders,
    (select count(*)::int from shipments where customer_id = ${id}) as shipments,
    (select email from users where customer_id = ${id}) as "accountEmail"`);
  return { orders: Number(row!.orders), shipments: Number(row!.shipments), accountEmail: row!.accountEmail ?? null };
}

/** How many of the customer's orders and shipments the viewer can see (for "see all N"). */
export async function customerActivityCounts(db: Db, customerId: number, scope: OrderScope): Promise<{ orders: number; shipments: number }> {
  const [row] = await queryRows<{ orders: number; shipments: number }>(db, sql`select
    (select count(*)::int from orders o where o.customer_id = ${customerId} and ${inScope(sql`o.store_id`, scope)}) as orders,
    (select count(*)::int from shipments sh where sh.customer_id = ${customerId} and ${inScope(sql`sh.store_id`, scope)}) as shipments`);
  return { orders: Number(row!.orders), shipments: Number(row!.shipments) };
}

/** Distinct customers with at least one shipment in each status (every status listed, zeros
 * included), over the viewer's stores. */
export async function shipmentStatusSummary(db: Db, scope: OrderScope): Promise<Array<{ shipmentStatus: string; customers: number }>> {
  // Distinct pairs first (one hashed pass): count(distinct) per group made PostgreSQL walk the
  // status index with a heap fetch per shipment, several times slower at a million shipments.
  const rows = await queryRows<{ shipmentStatus: string; customers: number }>(db, sql`
    select d.shipment_status as "shipmentStatus", count(*)::int as customers
    from (select distinct sh.shipment_status, sh.customer_id from shipments sh where ${inScope(sql`sh.store_id`, scope)}) d
    group by d.shipment_status`);
  const found = new Map(rows.map((r) => [r.shipmentStatus, Number(r.customers)]));
  return shipmentStatuses.map((s) => ({ shipmentStatus: s, customers: found.get(s) ?? 0 }));
}

/** At most this many customers are reported by customerCounterDrift. */
export const DRIFT_REPORT_LIMIT = 100;

/** Customers whose kept order counters (customer_order_stats) differ from counting their orders
 * now, or who have no counters row: none, unless a trigger was bypassed. Checked by stock:verify. */
export async function customerCounterDrift(db: Db): Promise<Array<{ customerId: number; kept: number | null; counted: number }>> {
  const rows = await queryRows<{ customerId: number; kept: number | null; counted: number }>(db, sql`
    select c.customer_id as "customerId", k.order_count as kept, coalesce(s.n, 0)::int as counted
    from customers c
    left join customer_order_stats k on k.customer_id = c.customer_id
    left join (select customer_id, count(*)::int as n, max(order_tms) as l from orders group by customer_id) s on s.customer_id = c.customer_id
    where k.customer_id is null or k.order_count <> coalesce(s.n, 0) or k.last_order_at is distinct from s.l
    order by c.customer_id limit ${DRIFT_REPORT_LIMIT}`);
  return rows.map((r) => ({ customerId: Number(r.customerId), kept: r.kept === null ? null : Number(r.kept), counted: Number(r.counted) }));
}
