// The data both fuzz files start from: a small seeded shop, the four roles (anonymous, a
// customer with orders of their own, staff of store A, an admin), spare "victim" accounts the
// fuzz may change or deactivate without locking the roles out, records whose every text field is
// markup (so each page that shows them proves it escapes), and pools of real ids.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { sql } from 'drizzle-orm';
import { queryRows } from '../src/db/client.ts';
import { seedData } from '../src/db/seed.ts';
import { makeUser, apiLogin } from './helper.ts';
import { XSS, answerProblems, isStatic, poolFor, FuzzClient, type Pools, type RouteInfo } from './fuzz-helpers.ts';

export type RoleName = 'anonymous' | 'customer' | 'staff' | 'admin';
export const ROLES: RoleName[] = ['anonymous', 'customer', 'staff', 'admin'];

export interface Role {
  name: RoleName;
  email: string;
  password: string;
  userId: number;
  customerId: number | null;
  token: string;
}

export interface World {
  roles: Record<Exclude<RoleName, 'anonymous'>, Role>;
  pools: Pools;
  storeA: number;
  /** Stocked products at store A with stock to spare (for valid-ish orders and movements). */
  stocked: number[];
  skus: string[];
  /** A victim account's email, for password reset and login attempts. */
  victimEmail: string;
}

/** Login throttling would soon answer every sign-in with 429 (the fuzz fails many on purpose);
 * the access tests cover it, so it is out of the way here. */
export const FUZZ_CONFIG = { login: { maxPerAccount: 1_000_000, maxPerIp: 1_000_000, windowSeconds: 900 } };

async function api(app: FastifyInstance, token: string, method: 'POST' | 'PUT', url: string, payload: object): Promise<LightMyRequestResponse> {
  const res = await app.inject({ method, url, payload, headers: { authorization: `Bearer ${token}` } });
  if (res.statusCode >= 300) throw new Error(`fuzz setup: ${method} ${url} answered ${res.statusCode} ${res.body}`);
  return res;
}

export async function buildWorld(app: FastifyInstance): Promise<World> {
  const db = app.db;
  await seedData(db, { stores: 3, products: 24, customers: 24, orders: 60 });
  const storeA = (await queryRows<{ id: number }>(db, sql`select min(store_id)::int as id from stores`))[0]!.id;
  // Victims first (low ids, in the users pool); the roles' own accounts are never in a pool.
  const victims = [await makeUser(app, 'staff', { storeIds: [storeA] }), await makeUser(app, 'admin'), await makeUser(app, 'customer')];
  const made = { customer: await makeUser(app, 'customer'), staff: await makeUser(app, 'staff', { storeIds: [storeA] }), admin: await makeUser(app, 'admin') };
  const roles = {} as World['roles'];
  for (const name of ['customer', 'staff', 'admin'] as const) {
    const u = made[name];
    roles[name] = { name, email: u.email, password: u.password, userId: u.id, customerId: u.customerId ?? null, token: await apiLogin(app, u.email, u.password) };
  }
  const admin = roles.admin.token;

  const stocked = (await queryRows<{ id: number }>(db, sql`select i.product_id::int as id from inventory i join products p using (product_id)
    where i.store_id = ${storeA} and p.active and i.on_hand - i.reserved >= 20 order by i.product_id limit 6`)).map((r) => r.id);
  if (stocked.length < 3) throw new Error('fuzz setup: store A has too little stock');

  // Records made of markup, through the API (the same services as the forms).
  const x = (i: number) => XSS[i % XSS.length]!;
  const cust = (await api(app, admin, 'POST', '/api/v1/customers', { fullName: x(0), emailAddress: 'xss.customer@example.test' })).json();
  // Nothing refers to this one, so it can be deleted (and its page offers to).
  const spare = (await api(app, admin, 'POST', '/api/v1/customers', { fullName: x(1), emailAddress: 'xss.spare@example.test' })).json();
  const prod = (await api(app, admin, 'POST', '/api/v1/products', { sku: 'XSS-1', productName: x(1), unitPrice: '9.99', brand: x(2), colour: x(3), size: '<b>x</b><script>x</script>', rating: 3 })).json();
  const store = (await api(app, admin, 'POST', '/api/v1/stores', { storeName: x(4), physicalAddress: x(5), webAddress: 'https://x.test/"><svg/onload=alert(1)>', latitude: 1.5, longitude: 2.5 })).json();
  await api(app, admin, 'POST', '/api/v1/users', { email: 'xss.staff@example.test', fullName: x(6), role: 'staff', storeIds: [storeA], password: 'correct horse battery' });
  for (const storeId of [storeA, store.storeId]) {
    await api(app, admin, 'POST', '/api/v1/inventory/receipts', { storeId, productId: prod.productId, quantity: 50, reference: x(0) });
  }
  await api(app, admin, 'POST', '/api/v1/inventory/adjustments', { storeId: storeA, productId: prod.productId, quantity: -1, reason: 'other', note: x(1) });
  const transfer = (await api(app, admin, 'POST', '/api/v1/inventory/transfers', { fromStoreId: storeA, toStoreId: store.storeId, items: [{ productId: prod.productId, quantity: 2 }], reference: x(2) })).json();
  const order = (await api(app, admin, 'POST', '/api/v1/orders', { customerId: cust.customerId, storeId: storeA, items: [{ productId: prod.productId, quantity: 2 }, { productId: stocked[0], quantity: 1 }] })).json();
  await api(app, admin, 'POST', `/api/v1/orders/${order.orderId}/actions/pay`, { version: order.version, note: x(3) });
  const shipment = (await api(app, admin, 'POST', '/api/v1/shipments', { orderId: order.orderId, deliveryAddress: x(4) })).json();
  const cancelled = (await api(app, admin, 'POST', '/api/v1/orders', { customerId: cust.customerId, storeId: storeA, items: [{ productId: prod.productId, quantity: 1 }] })).json();
  await api(app, admin, 'POST', `/api/v1/orders/${cancelled.orderId}/actions/cancel`, { note: x(5) });
  // The customer role's own orders: one OPEN, one PAID.
  const own = [];
  for (const productId of stocked.slice(0, 2)) {
    own.push((await api(app, roles.customer.token, 'POST', '/api/v1/orders', { storeId: storeA, items: [{ productId, quantity: 1 }] })).json());
  }
  await api(app, admin, 'POST', `/api/v1/orders/${own[1].orderId}/actions/pay`, { version: own[1].version });

  const ids = async (q: ReturnType<typeof sql>) => (await queryRows<{ id: number }>(db, q)).map((r) => r.id);
  const pools: Pools = {
    stores: [storeA, store.storeId, ...await ids(sql`select store_id::int as id from stores where store_id <> ${storeA} order by 1 limit 2`)],
    products: [prod.productId, ...stocked.slice(0, 3), ...await ids(sql`select product_id::int as id from products where not active or product_id > 20 order by 1 limit 2`)],
    customers: [cust.customerId, roles.customer.customerId!, spare.customerId, ...await ids(sql`select customer_id::int as id from customers order by 1 limit 3`)],
    orders: [order.orderId, cancelled.orderId, ...own.map((o) => o.orderId), ...await ids(sql`select order_id::int as id from orders order by order_status, order_id limit 4`)],
    shipments: [shipment.shipmentId, ...await ids(sql`select shipment_id::int as id from shipments order by shipment_status, shipment_id limit 3`)],
    users: victims.map((v) => v.id),
    transfers: [transfer.transferId, '00000000-0000-4000-8000-000000000000'],
    imports: [1, 2],
  };
  const skus = (await queryRows<{ sku: string }>(db, sql`select sku from products where product_id = any(${`{${pools.products!.join(',')}}`}::int[])`)).map((r) => r.sku);
  return { roles, pools, storeA, stocked, skus, victimEmail: victims[0]!.email };
}

/** A browser session per role (anonymous: a visitor with a session and a CSRF token). */
export async function signIn(app: FastifyInstance, world: World, role: RoleName): Promise<FuzzClient> {
  const client = new FuzzClient(app);
  if (role === 'anonymous') { await client.get('/login'); return client; }
  const r = world.roles[role];
  if (!await client.login(r.email, r.password)) throw new Error(`fuzz: ${role} could not sign in`);
  await client.get('/account');
  return client;
}

/**
 * Every page (GET, outside the API) with real ids, as each role: a full page, an htmx
 * fragment, and the same with markup in every query parameter a page might echo. The records of
 * buildWorld (and whatever the fuzz created) carry markup in every text field, so any page that
 * shows one unescaped fails here. Returns the problems found.
 */
export async function crawlPages(app: FastifyInstance, world: World, routes: RouteInfo[]): Promise<string[]> {
  const problems: string[] = [];
  const pages = routes.filter((r) => r.method === 'GET' && !r.url.startsWith('/api/') && !isStatic(r.url));
  const echo = { q: XSS[0]!, next: XSS[1]!, sort: XSS[2]!, status: XSS[1]!, storeId: XSS[3]!, customer: XSS[0]!, product: XSS[1]!, from: '"><b>', token: XSS[0]!, kind: XSS[2]!, show: XSS[0]!, brand: XSS[1]!, cursor: XSS[0]!, key: XSS[3]! };
  const query = new URLSearchParams(echo).toString();
  for (const role of ['admin', 'staff', 'customer', 'anonymous'] as const) {
    const client = await signIn(app, world, role);
    for (const route of pages) {
      const params = [...route.url.matchAll(/:(\w+)/g)].map((m) => m[1]!);
      // The first two values of each pool: the markup records come first.
      for (const pick of [0, 1]) {
        const url = params.reduce((u, p) => {
          const pool = poolFor(route.url, p, world.pools, route.schema?.params);
          return u.replace(`:${p}`, encodeURIComponent(String(pool[Math.min(pick, pool.length - 1)])));
        }, route.url);
        if (pick === 1 && !params.length) continue;
        // The second record of each pool as a plain page only; the fragment and the query echo once.
        const variants = [['page', {}, ''], ['fragment', { 'hx-request': 'true' }, ''], ['echo', {}, `?${query}`]] as const;
        for (const [variant, headers, suffix] of pick === 0 ? variants : variants.slice(0, 1)) {
          const res = await client.get(`${url}${suffix}`, headers);
          for (const p of answerProblems(res)) problems.push(`${role} GET ${url}${suffix ? ' (query echo)' : ''} [${variant}] → ${res.statusCode}: ${p}`);
        }
      }
    }
  }
  return problems;
}
