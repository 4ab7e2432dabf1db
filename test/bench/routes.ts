// The measured routes, as data: a route that answers 404 in the preflight (its module has not
// landed yet) is skipped with a note, so the harness runs against whatever the app has today.
import { available, between, orderLines, pick, type Fixtures } from './fixtures.ts';
import { request } from './load.ts';
import { nextLink } from './login.ts';
import { staffPairs } from './sql-bench.ts';

export const GROUPS = ['lists', 'orders', 'stock', 'dashboard'] as const;
export type Group = (typeof GROUPS)[number];
/** What a route is compared with: the PK page, or the plain-SQL transaction. */
export type Reference = 'pk-page' | 'sql-order' | 'sql-adjustment';
export type Auth = 'admin' | 'customer' | 'adminToken' | 'staffToken';

export interface RouteContext {
  baseUrl: string;
  headers: Record<Auth, Record<string, string>>;
  fx: Fixtures;
  dbUrl: string;
  small: boolean;
  seconds: number;
  /** req/s of routes measured earlier in this pass, by name. */
  measured: Map<string, number>;
}

export interface RouteDef {
  name: string;
  groups: Group[];
  reference: Reference;
  auth: Auth;
  method: 'GET' | 'POST';
  path: string;
  nextPath?: () => string;
  body?: () => unknown;
  connections?: number;
  /** false: no warm-up (the hot-product run must start from the stock level prepare set). */
  warmup?: boolean;
  /** Non-2xx answers that are a correct outcome of the load (409: stock ran out), counted apart. */
  expected?: number[];
  /** Runs before the preflight; may replace the path and adds a note to the table. */
  prepare?: (ctx: RouteContext) => Promise<{ path?: string; note?: string } | void>;
}

const enc = encodeURIComponent;
const deepPaths = new Map<string, string>();

/** Follows the list's next link from its first page (rel="next" on a page, nextCursor in the
 * API's answer), as a person or a client paging far down would, and measures that page. */
function deepPage(first: string, kind: 'html' | 'api'): (ctx: RouteContext) => Promise<{ path?: string; note?: string }> {
  return async (ctx) => {
    const known = deepPaths.get(first);
    if (known) return { path: known, note: 'same deep cursor' };
    const pages = ctx.small ? 20 : 300;
    const headers = kind === 'api' ? ctx.headers.adminToken : ctx.headers.admin;
    let path = first;
    let followed = 0;
    const started = performance.now();
    for (; followed < pages; followed++) {
      const r = await request(ctx.baseUrl, 'GET', path, headers);
      if (r.status !== 200) throw new Error(`GET ${path} answered ${r.status} while walking to a deep page`);
      let next: string | undefined;
      if (kind === 'html') next = nextLink(r.text);
      else {
        const cursor = (JSON.parse(r.text) as { nextCursor?: string | null }).nextCursor;
        if (cursor) next = `${first}${first.includes('?') ? '&' : '?'}cursor=${enc(cursor)}`;
      }
      if (!next) break;
      path = next;
    }
    deepPaths.set(first, path);
    const ms = (performance.now() - started) / Math.max(1, followed);
    return { path, note: `page ${followed + 1} (${followed} next-page hops, ${ms.toFixed(0)} ms each, one client)` };
  };
}

/** Sets the hot pair's available stock to about 40 % of what the spread run placed in the same
 * time, through the API (receipt or correction), so the run sells out partway: 2xx then 409s. */
async function topUpHot(ctx: RouteContext): Promise<{ note: string }> {
  const { hot } = ctx.fx;
  const spread = ctx.measured.get(SPREAD) ?? 100;
  const target = Math.max(50, Math.round(spread * ctx.seconds * 0.4));
  const now = await available(ctx.dbUrl, hot);
  const diff = target - now;
  if (diff !== 0) {
    const r = diff > 0
      ? await request(ctx.baseUrl, 'POST', '/api/v1/inventory/receipts', ctx.headers.adminToken, { storeId: hot.storeId, productId: hot.productId, quantity: diff, reference: 'bench hot product' })
      : await request(ctx.baseUrl, 'POST', '/api/v1/inventory/adjustments', ctx.headers.adminToken, { storeId: hot.storeId, productId: hot.productId, quantity: diff, reason: 'correction', note: 'bench hot product' });
    if (r.status >= 300) throw new Error(`setting the hot product's stock answered ${r.status}: ${r.text.slice(0, 200)}`);
  }
  return { note: `store ${hot.storeId} product ${hot.productId}: ${target} available at start (after the preflight order: ${target - 1})` };
}

const SPREAD = 'POST /api/v1/orders (3 lines, spread)';

export function routeList(fx: Fixtures, connections: number): RouteDef[] {
  const q = fx.nameFragment;
  const pw = fx.productWord;
  const y = fx.year;
  const pairs = staffPairs(fx);
  const staffStores = fx.staffStoreIds;
  const defs: RouteDef[] = [
    { name: 'GET /dashboard', groups: ['dashboard'], reference: 'pk-page', auth: 'admin', method: 'GET', path: '/dashboard', connections: 10 },
    { name: 'GET /dashboard', groups: ['dashboard'], reference: 'pk-page', auth: 'admin', method: 'GET', path: '/dashboard' },
    // Issue 3's list routes: first page, a deep keyset page, a search and a filtered or sorted
    // page, for customers and products, each as a page and through the API.
    { name: 'GET /customers', groups: ['lists'], reference: 'pk-page', auth: 'admin', method: 'GET', path: '/customers' },
    { name: 'GET /customers (deep keyset page)', groups: ['lists'], reference: 'pk-page', auth: 'admin', method: 'GET', path: '/customers', prepare: deepPage('/customers', 'html') },
    { name: `GET /customers?q=${q}`, groups: ['lists'], reference: 'pk-page', auth: 'admin', method: 'GET', path: `/customers?q=${enc(q)}` },
    { name: 'GET /customers?sort=lastOrderAt&order=desc', groups: ['lists'], reference: 'pk-page', auth: 'admin', method: 'GET', path: '/customers?sort=lastOrderAt&order=desc' },
    { name: 'GET /products', groups: ['lists'], reference: 'pk-page', auth: 'admin', method: 'GET', path: '/products' },
    { name: 'GET /products (deep keyset page)', groups: ['lists'], reference: 'pk-page', auth: 'admin', method: 'GET', path: '/products', prepare: deepPage('/products', 'html') },
    { name: `GET /products?q=${pw}`, groups: ['lists'], reference: 'pk-page', auth: 'admin', method: 'GET', path: `/products?q=${enc(pw)}` },
    { name: `GET /products?brand=${fx.brand}&sort=unitPrice&order=desc`, groups: ['lists'], reference: 'pk-page', auth: 'admin', method: 'GET', path: `/products?brand=${enc(fx.brand)}&sort=unitPrice&order=desc` },
    { name: 'GET /api/v1/customers', groups: ['lists'], reference: 'pk-page', auth: 'adminToken', method: 'GET', path: '/api/v1/customers' },
    { name: 'GET /api/v1/customers (deep cursor)', groups: ['lists'], reference: 'pk-page', auth: 'adminToken', method: 'GET', path: '/api/v1/customers', prepare: deepPage('/api/v1/customers', 'api') },
    { name: `GET /api/v1/customers?q=${q}`, groups: ['lists'], reference: 'pk-page', auth: 'adminToken', method: 'GET', path: `/api/v1/customers?q=${enc(q)}` },
    { name: 'GET /api/v1/customers?sort=lastOrderAt&order=desc', groups: ['lists'], reference: 'pk-page', auth: 'adminToken', method: 'GET', path: '/api/v1/customers?sort=lastOrderAt&order=desc' },
    { name: 'GET /api/v1/products', groups: ['lists'], reference: 'pk-page', auth: 'adminToken', method: 'GET', path: '/api/v1/products' },
    { name: 'GET /api/v1/products (deep cursor)', groups: ['lists'], reference: 'pk-page', auth: 'adminToken', method: 'GET', path: '/api/v1/products', prepare: deepPage('/api/v1/products', 'api') },
    { name: `GET /api/v1/products?q=${pw}`, groups: ['lists'], reference: 'pk-page', auth: 'adminToken', method: 'GET', path: `/api/v1/products?q=${enc(pw)}` },
    { name: `GET /api/v1/products?brand=${fx.brand}&sort=unitPrice&order=desc`, groups: ['lists'], reference: 'pk-page', auth: 'adminToken', method: 'GET', path: `/api/v1/products?brand=${enc(fx.brand)}&sort=unitPrice&order=desc` },
    { name: 'GET /orders?status=PAID', groups: ['lists'], reference: 'pk-page', auth: 'admin', method: 'GET', path: '/orders?status=PAID' },
    { name: 'GET /inventory?lowStock=true', groups: ['lists'], reference: 'pk-page', auth: 'admin', method: 'GET', path: '/inventory?lowStock=true' },
    { name: 'GET /orders/:id (random ids)', groups: ['orders', 'lists'], reference: 'pk-page', auth: 'admin', method: 'GET', path: `/orders/${fx.orderRange[0]}`,
      nextPath: () => `/orders/${between(...fx.orderRange)}` },
    { name: `GET /shop?storeId=${fx.storeIds[0]}`, groups: ['lists'], reference: 'pk-page', auth: 'customer', method: 'GET', path: `/shop?storeId=${fx.storeIds[0]}` },
    ...['sales', 'product-sales', 'order-status', 'shipment-status'].map((r): RouteDef => (
      { name: `GET /api/v1/reports/${r}?year=${y}`, groups: ['dashboard'], reference: 'pk-page', auth: 'adminToken', method: 'GET', path: `/api/v1/reports/${r}?year=${y}` })),
    { name: 'GET /api/v1/reports/stock-value', groups: ['dashboard'], reference: 'pk-page', auth: 'adminToken', method: 'GET', path: '/api/v1/reports/stock-value' },
    // Order placement at 1, 10 and the full connection count, spread and hot side by side at
    // each (the hot run sizes its stock from the spread run just before it).
    ...[1, 10, connections].flatMap((c): RouteDef[] => [
      { name: SPREAD, groups: ['orders'], reference: 'sql-order', auth: 'adminToken', method: 'POST', path: '/api/v1/orders', expected: [409], connections: c,
        body: () => {
          const { storeId, lines } = orderLines(fx, fx.hot);
          return { customerId: between(...fx.customerRange), storeId, items: lines.map((l) => ({ productId: l.productId, quantity: 1 })) };
        } },
      { name: 'POST /api/v1/orders (1 hot product)', groups: ['orders'], reference: 'sql-order', auth: 'adminToken', method: 'POST', path: '/api/v1/orders', expected: [409], connections: c,
        prepare: topUpHot, warmup: false,
        body: () => ({ customerId: between(...fx.customerRange), storeId: fx.hot.storeId, items: [{ productId: fx.hot.productId, quantity: 1 }] }) },
    ]),
    { name: 'POST /api/v1/inventory/adjustments', groups: ['stock'], reference: 'sql-adjustment', auth: 'staffToken', method: 'POST', path: '/api/v1/inventory/adjustments', expected: [409],
      body: () => {
        const p = pick(pairs);
        return { storeId: p.storeId, productId: p.productId, quantity: Math.random() < 0.5 ? -1 : 1, reason: 'correction' };
      } },
    { name: 'POST /api/v1/inventory/transfers', groups: ['stock'], reference: 'sql-adjustment', auth: 'staffToken', method: 'POST', path: '/api/v1/inventory/transfers', expected: [409],
      body: () => {
        const from = pick(pairs);
        const others = staffStores.filter((s) => s !== from.storeId);
        return { fromStoreId: from.storeId, toStoreId: pick(others.length ? others : fx.storeIds.filter((s) => s !== from.storeId)), items: [{ productId: from.productId, quantity: 1 }] };
      } },
  ];
  return defs.map((r) => ({ ...r, connections: r.connections ?? connections }));
}

export { SPREAD };
