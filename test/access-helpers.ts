// Support for the access matrix (access-matrix.test.ts) and the security tests: the routes the
// app really registers (collected by an onRoute hook added before any plugin runs), a small world
// of two stores with their staff, two customers and an admin, factories that make a fresh
// resource in the state a cell needs, a count of the rows every request writes (so "nothing was
// written" is checked, not assumed), and the runner of one matrix cell.
import dc from 'node:diagnostics_channel';
import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { apiLogin, buildTestApp, Client, makeUser } from './helper.ts';
import { queryRows } from '../src/db/client.ts';
import { customers, passwordResets, pendingRegistrations, products, stores } from '../src/db/schema/index.ts';
import { hashPassword } from '../src/lib/password.ts';
import type { Config } from '../src/config.ts';
import type { CurrentUser } from '../src/lib/access.ts';
import { systemActor } from '../src/lib/audit.ts';
import { hashToken, randomToken } from '../src/lib/tokens.ts';
import { loadCurrentUser } from '../src/modules/auth/repository.ts';
import { applyStockChanges } from '../src/modules/inventory/stock.ts';
import { transferStock } from '../src/modules/inventory/service.ts';
import { placeOrder } from '../src/modules/orders/place.ts';
import { applyOrderAction } from '../src/modules/orders/lifecycle.ts';
import { advanceShipment, createShipment } from '../src/modules/shipments/service.ts';
import { cookieOf, upload, jobIdOf, settledJob } from './fixtures/imports-upload.ts';

type Test = Parameters<typeof buildTestApp>[0];

export const WHO = ['anon', 'customer', 'staffA', 'staffB', 'admin'] as const;
export type Who = (typeof WHO)[number];
export type StoreKey = 'A' | 'B' | 'C';
export type Cust = 'mine' | 'other';

/** Builds the app with an onRoute hook installed before the first plugin, and returns it with
 * every route it registered as "METHOD /url". Fastify announces each new instance on the
 * `fastify.initialization` channel (meant for instrumentation), which is the only moment a hook
 * can still see every route of buildApp. */
export async function appWithRoutes(t: Test, overrides: Partial<Config> = {}) {
  const routes: string[] = [];
  const onInit = ({ fastify }: { fastify: FastifyInstance }) => {
    fastify.addHook('onRoute', (r: RouteOptions) => {
      for (const m of [r.method].flat()) routes.push(`${m} ${r.url}`);
    });
  };
  const listener = onInit as (message: unknown) => void;
  dc.subscribe('fastify.initialization', listener);
  try {
    const built = await buildTestApp(t, overrides);
    return { ...built, routes };
  } finally {
    dc.unsubscribe('fastify.initialization', listener);
  }
}

/** Tables a request may change, excluding the ones reads touch by design: sessions (CSRF secret,
 * flash), login throttling, report rollups (refreshed on read), app settings. */
const WATCHED = ['users', 'user_stores', 'password_resets', 'api_tokens', 'audit_events', 'idempotency_keys', 'stores', 'products',
  'customers', 'import_jobs', 'import_rows', 'orders', 'order_items', 'order_events', 'shipments', 'inventory', 'stock_movements'];

/** Test-only row triggers on every watched table that count committed row changes per table
 * (a rolled-back write rolls its count back too), so "did this request write?" costs one small
 * read instead of hashing every table. Installed in this test file's own database only. */
export async function installWriteCounter(app: FastifyInstance): Promise<void> {
  await app.db.execute(sql.raw('create table test_row_writes (t text primary key, n bigint not null)'));
  await app.db.execute(sql.raw(`create function test_count_write() returns trigger language plpgsql as $$
    begin
      insert into test_row_writes values (TG_TABLE_NAME, 1) on conflict (t) do update set n = test_row_writes.n + 1;
      return null;
    end $$`));
  for (const name of WATCHED) {
    await app.db.execute(sql.raw(`create trigger test_count_write after insert or update or delete on ${name} for each row execute function test_count_write()`));
  }
}

export async function writeCounts(app: FastifyInstance): Promise<Record<string, string>> {
  const rows = await queryRows<{ t: string; n: string }>(app.db, sql`select t, n::text as n from test_row_writes`);
  return Object.fromEntries(rows.map((r) => [r.t, r.n]));
}

/** The tables whose write count differs. */
export const changed = (a: Record<string, string>, b: Record<string, string>) =>
  [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => a[k] !== b[k]);

const uid = () => randomBytes(4).toString('hex');

/** Two stores with staff of their own, a third store as a transfer target, two customers (the
 * signed-in one is "mine"), an admin, stocked products; each actor signed in on the web and
 * holding an API token. */
export async function buildWorld(t: Test, overrides: Partial<Config> = {}) {
  const { app, config, routes } = await appWithRoutes(t, overrides);
  const db = app.db;
  await installWriteCounter(app);
  const made = await db.insert(stores).values(['A', 'B', 'C'].map((k) => ({ storeName: `Matrix store ${k}`, physicalAddress: `${k} street 1` }))).returning();
  const S = { A: made[0]!.storeId, B: made[1]!.storeId, C: made[2]!.storeId };
  const prods = await db.insert(products).values([1, 2].map((n) => ({ sku: `MX-${n}`, productName: `Matrix product ${n}`, unitPrice: '10.00' }))).returning();
  const P = prods.map((p) => ({ id: p.productId, sku: p.sku }));
  await db.transaction((tx) => applyStockChanges(tx, Object.values(S).flatMap((storeId) => P.map((p) => ({
    storeId, productId: p.id, onHand: 100_000, kind: 'receipt' as const, reference: `matrix-ref-${storeId}`,
  }))), systemActor));
  const users = {
    admin: await makeUser(app, 'admin'),
    staffA: await makeUser(app, 'staff', { storeIds: [S.A] }),
    staffB: await makeUser(app, 'staff', { storeIds: [S.B] }),
    customer: await makeUser(app, 'customer'),
    other: await makeUser(app, 'customer'),
  };
  const cust: Record<Cust, number> = { mine: users.customer.customerId!, other: users.other.customerId! };
  const adminUser = (await loadCurrentUser(db, users.admin.id))!.user as CurrentUser;
  const actor = { ...systemActor, userId: users.admin.id, email: users.admin.email };

  /** A browser for `who` (a signed-in session holding a CSRF token, or a visitor's). */
  async function browser(who: Who, account?: { email: string; password: string }) {
    const c = new Client(app);
    if (who === 'anon') { await c.get('/login'); return c; }
    const u = account ?? users[who];
    const res = await c.login(u.email, u.password);
    if (res.statusCode !== 303) throw new Error(`login of ${who} failed: ${res.statusCode}`);
    await c.get('/account/password');
    return c;
  }
  const clients = {} as Record<Who, Client>;
  const tokens = {} as Record<Who, string | null>;
  for (const who of WHO) {
    clients[who] = await browser(who);
    tokens[who] = who === 'anon' ? null : await apiLogin(app, users[who].email, users[who].password);
  }

  /** A new account of the same role and stores as `who`, with its own session and token: for
   * cells that sign in, sign out or change the password. */
  async function freshActor(who: Who) {
    if (who === 'anon') return { client: await browser('anon'), token: null, account: null };
    const role = who === 'customer' ? 'customer' : who === 'admin' ? 'admin' : 'staff';
    const account = await makeUser(app, role, { storeIds: who === 'staffA' ? [S.A] : who === 'staffB' ? [S.B] : undefined });
    return { client: await browser(who, account), token: await apiLogin(app, account.email, account.password), account };
  }

  const inTx = <T>(work: (tx: typeof db) => Promise<T>) => db.transaction(work);

  type OrderState = 'OPEN' | 'PAID' | 'SHIPPED' | 'COMPLETE';
  /** A one-line order of a customer at a store, taken to the given status. */
  async function order(store: StoreKey, who: Cust | number, state: OrderState = 'OPEN') {
    const customerId = typeof who === 'number' ? who : cust[who];
    const placed = await inTx((tx) => placeOrder(tx, { customerId, storeId: S[store], items: [{ productId: P[0]!.id, quantity: 1 }] }, adminUser, actor));
    const orderId = placed.orderId;
    if (state !== 'OPEN') await inTx((tx) => applyOrderAction(tx, { orderId, action: 'pay', user: adminUser, actor }));
    if (state === 'SHIPPED' || state === 'COMPLETE') {
      const s = await inTx((tx) => createShipment(tx, { orderId, deliveryAddress: '1 Matrix Road' }, adminUser, actor));
      const steps = state === 'SHIPPED' ? ['ship'] as const : ['ship', 'transit', 'deliver'] as const;
      for (const step of steps) await inTx((tx) => advanceShipment(tx, s.shipmentId, step, adminUser, actor));
    }
    return { orderId, version: await versionOf('orders', 'order_id', orderId), lineItemId: 1, storeId: S[store] };
  }

  type ShipState = 'CREATED' | 'SHIPPED' | 'IN-TRANSIT';
  /** A shipment of a fresh PAID order, taken to the given status. */
  async function shipment(store: StoreKey, who: Cust, state: ShipState = 'CREATED') {
    const { orderId } = await order(store, who, 'PAID');
    const s = await inTx((tx) => createShipment(tx, { orderId, deliveryAddress: '2 Matrix Road' }, adminUser, actor));
    const steps = state === 'CREATED' ? [] : state === 'SHIPPED' ? ['ship'] as const : ['ship', 'transit'] as const;
    for (const step of steps) await inTx((tx) => advanceShipment(tx, s.shipmentId, step, adminUser, actor));
    return { shipmentId: s.shipmentId, orderId, version: await versionOf('shipments', 'shipment_id', s.shipmentId) };
  }

  async function versionOf(table: string, key: string, id: number): Promise<number> {
    const rows = await queryRows<{ v: number }>(db, sql`select version as v from ${sql.identifier(table)} where ${sql.identifier(key)} = ${id}`);
    return Number(rows[0]!.v);
  }

  /** A customer record nobody refers to (deletable). */
  async function customer() {
    const [c] = await db.insert(customers).values({ emailAddress: `mx-${uid()}@example.test`, fullName: `Matrix customer ${uid()}` }).returning();
    return { id: c!.customerId, version: c!.version, email: c!.emailAddress };
  }

  async function product(active = true) {
    const [p] = await db.insert(products).values({ sku: `MXF-${uid()}`.toUpperCase(), productName: `Fresh ${uid()}`, unitPrice: '1.00', active }).returning();
    return { id: p!.productId, sku: p!.sku, version: p!.version };
  }

  async function store() {
    const [s] = await db.insert(stores).values({ storeName: `Fresh store ${uid()}`, physicalAddress: '9 Fresh Lane' }).returning();
    return { id: s!.storeId, version: s!.version };
  }

  async function staffUser(active = true) {
    const u = await makeUser(app, 'staff', { storeIds: [S.C] });
    if (!active) await db.execute(sql`update users set active = false where user_id = ${u.id}`);
    return { id: u.id, email: u.email, version: await versionOf('users', 'user_id', u.id) };
  }

  /** A stock transfer between two stores (both sides of it are ledger rows). */
  async function transfer(from: StoreKey, to: StoreKey) {
    const r = await transferStock(db, { fromStoreId: S[from], toStoreId: S[to], items: [{ productId: P[1]!.id, quantity: 1 }] }, actor);
    return r.transferId;
  }

  /** A valid, unused reset token of a throwaway account. */
  async function resetToken() {
    const u = await makeUser(app, 'staff');
    const token = randomToken();
    await db.insert(passwordResets).values({ userId: u.id, tokenHash: hashToken(token), expiresAt: sql`now() + interval '30 minutes'` });
    return token;
  }

  /** A registration waiting for its mailed link; it is finished with REGISTRATION_PASSWORD. */
  async function registrationToken() {
    const token = randomToken();
    await db.insert(pendingRegistrations).values({
      tokenHash: hashToken(token), email: `pending-${uid()}@example.test`, fullName: 'Pending Shopper',
      passwordHash: await hashPassword(REGISTRATION_PASSWORD, app.config.argon2), expiresAt: sql`now() + interval '1 day'`,
    });
    return token;
  }

  /** An import of one new customer, uploaded by one of the two staff members. */
  async function importJob(by: 'staffA' | 'staffB') {
    const res = await upload(clients[by], 'customers', `email_address,full_name\nimp-${uid()}@example.test,Imported ${uid()}\n`);
    if (res.statusCode !== 303) throw new Error(`upload answered ${res.statusCode}`);
    const jobId = jobIdOf(res.headers.location);
    await settledJob(app, jobId);
    return jobId;
  }

  async function onHand(store: StoreKey, productId: number) {
    const rows = await queryRows<{ n: number }>(db, sql`select on_hand as n from inventory where store_id = ${S[store]} and product_id = ${productId}`);
    return Number(rows[0]?.n ?? 0);
  }

  return {
    app, db, config, routes, S, P, users, cust, clients, tokens, freshActor, browser, adminUser,
    make: { order, shipment, customer, product, store, staffUser, transfer, resetToken, registrationToken, importJob }, onHand, versionOf,
    uid, uuid: randomUUID,
  };
}

export const REGISTRATION_PASSWORD = 'a long password 1';

export type World = Awaited<ReturnType<typeof buildWorld>>;

// ---- The matrix: one rule per route, one cell per (actor, owner, variant) ----------------------

export type Verdict = 'ok' | 'login' | 401 | 403 | 404 | 409 | { status: number; location?: string; errorPage?: boolean };

export interface Req {
  url: string;
  form?: Record<string, string | string[]>;
  json?: unknown;
  headers?: Record<string, string>;
  /** Multipart upload (the CSRF token travels in a header). */
  upload?: { kind: string; csv: string };
}

export interface Cell {
  world: World;
  method: string;
  who: Who;
  owner: string;
  variant: string;
  client: Client;
  token: string | null;
  /** What the request builder made, for the checks after the answer (ids, expected location). */
  data: Record<string, unknown>;
  /** The fixture factories, remembered for the cells of one (route, owner, variant) until a cell
   * writes: a refusal leaves its resource as it was, so the next caller can try the same one. */
  make: World['make'];
}

/** A `make` whose results are reused until `reset()` (after a cell that changed the database). */
export function reusableFixtures(make: World['make']) {
  const memo = new Map<string, Promise<unknown>>();
  const wrapped = Object.fromEntries(Object.entries(make).map(([name, fn]) => [name, (...args: unknown[]) => {
    const key = `${name}(${JSON.stringify(args)})`;
    if (!memo.has(key)) memo.set(key, (fn as (...a: unknown[]) => Promise<unknown>)(...args));
    return memo.get(key)!;
  }])) as World['make'];
  return { make: wrapped, reset: () => memo.clear() };
}

export interface Rule {
  owners?: readonly string[];
  variants?: readonly string[];
  verdict(who: Who, owner: string, variant: string): Verdict;
  request(c: Cell): Req | Promise<Req>;
  /** Status of a success (default: 200 for GET, 303 for form posts; API writes say theirs). */
  ok?: number | ((who: Who) => number);
  /** Where a successful page redirect goes. */
  okLocation?: (c: Cell) => string | RegExp;
  /** A success must change the database (default: every method but GET). */
  writes?: boolean | ((who: Who) => boolean);
  /** For lists and pages that show other resources: whether the owner's row is in the answer. */
  seen?: { expect(who: Who, owner: string): boolean; test(body: string, c: Cell): boolean };
  /** Act as a new account of the role (sign-in, sign-out and password cells). */
  fresh?: boolean;
  /** Runs after a cell (e.g. waits for background work the success started). */
  settle?(c: Cell, status: number): Promise<void>;
}

export const inStore = (who: Who, owner: string) =>
  who === 'admin' || (who === 'staffA' && owner.startsWith('A')) || (who === 'staffB' && owner.startsWith('B'));

/** Sends the cell's request the way its caller would: a browser with its cookies and CSRF token
 * for pages, a bearer token for the API. */
export async function send(c: Cell, method: string, req: Req) {
  const res = await sendRequest(c, method, req);
  // Work a route starts after its answer (the password-reset lookup and mail) is part of what
  // the request did: wait for it before anyone counts the rows it wrote.
  await c.world.app.settle();
  return res;
}

function sendRequest(c: Cell, method: string, req: Req) {
  const { app } = c.world;
  if (req.url.startsWith('/api/')) {
    return app.inject({
      method: method as 'GET', url: req.url,
      headers: { ...(c.token ? { authorization: `Bearer ${c.token}` } : {}), ...req.headers },
      ...(req.json === undefined ? {} : { payload: req.json as object }),
    });
  }
  if (req.upload) return upload(c.client, req.upload.kind, req.upload.csv);
  if (method === 'HEAD') return app.inject({ method: 'HEAD', url: req.url, headers: { cookie: cookieOf(c.client), ...req.headers } });
  if (method === 'GET') return c.client.get(req.url, req.headers);
  return c.client.post(req.url, req.form ?? {}, { headers: req.headers });
}

/** HEAD mirrors GET (Fastify adds it), and "/x/" is the same route as "/x". */
export const classify = (key: string) => key.replace(/^HEAD /, 'GET ').replace(/(\S)\/$/, '$1');

export interface Outcome { status: number; location?: string | RegExp; shape?: string; wrote?: boolean; seen?: boolean; head?: number }

/** What the cell must answer, from the rule's verdict for this caller and owner. */
export function expected(rule: Rule, c: Cell, url: string, htmx: boolean): Outcome {
  const isApi = url.startsWith('/api/');
  const v = rule.verdict(c.who, c.owner, c.variant);
  const writes = c.method !== 'GET' && (typeof rule.writes === 'function' ? rule.writes(c.who) : rule.writes ?? true);
  const head = c.method === 'GET' && v !== 'ok' ? { head: v === 'login' ? 401 : typeof v === 'object' ? v.status : v } : {};
  if (v === 'ok') {
    const status = typeof rule.ok === 'function' ? rule.ok(c.who) : rule.ok ?? (c.method === 'GET' || isApi ? 200 : 303);
    const out: Outcome = { status, wrote: writes };
    if (rule.okLocation && status >= 300 && status < 400) out.location = rule.okLocation(c);
    if (rule.seen) out.seen = rule.seen.expect(c.who, c.owner);
    return out;
  }
  if (v === 'login') {
    const next = `/login?next=${encodeURIComponent(url)}`;
    if (c.method !== 'GET') return { status: 401, shape: 'error page', wrote: false };
    return { status: htmx ? 401 : 303, location: next, wrote: false, ...head };
  }
  if (typeof v === 'number') return { status: v, shape: isApi ? 'json error' : 'error page', wrote: false, ...head };
  const shape = v.status >= 400 && v.errorPage !== false ? { shape: isApi ? 'json error' : 'error page' } : {};
  return { status: v.status, ...(v.location ? { location: v.location } : {}), ...shape, wrote: false, ...head };
}

/** A refusal's body: the error page inside the layout, or the API's JSON {status, message}. */
export function shapeOf(body: string, status: number, isApi: boolean): string {
  if (!isApi) return body.includes('id="error"') ? 'error page' : 'other';
  try {
    const j = JSON.parse(body);
    return j.status === status && typeof j.message === 'string' && j.message.length > 0 ? 'json error' : 'other json';
  } catch { return 'not json'; }
}

/** Sends one cell's request and returns what it answered next to what it should have. */
export async function runCell(w: World, key: string, rule: Rule, who: Who, owner: string, variant: string, fixtures: ReturnType<typeof reusableFixtures>) {
  const method = key.split(' ')[0]!;
  const actor = rule.fresh ? await w.freshActor(who) : { client: w.clients[who], token: w.tokens[who], account: null };
  const c: Cell = { world: w, method, who, owner, variant, client: actor.client, token: actor.token, data: { account: actor.account }, make: fixtures.make };
  const req = await rule.request(c);
  const before = await writeCounts(w.app);
  const res = await send(c, method, req);
  const location = res.headers.location ?? res.headers['hx-redirect'];
  c.data.location = location;
  await rule.settle?.(c, res.statusCode);
  const want = expected(rule, c, req.url, req.headers?.['hx-request'] === 'true');
  const got: Outcome = { status: res.statusCode };
  if ('location' in want) got.location = typeof location === 'string' ? location : undefined;
  if ('shape' in want) got.shape = shapeOf(res.body, res.statusCode, req.url.startsWith('/api/'));
  if ('seen' in want && res.statusCode < 300) got.seen = rule.seen!.test(res.body, c);
  if (want.location instanceof RegExp && typeof got.location === 'string' && want.location.test(got.location)) got.location = want.location;
  // A refused GET is refused as HEAD too (a visitor gets 401 there: HEAD is not a navigation).
  if ('head' in want) got.head = (await send(c, 'HEAD', req)).statusCode;
  const wrote = changed(before, await writeCounts(w.app));
  if ('wrote' in want) got.wrote = wrote.length > 0;
  if (wrote.length) fixtures.reset();
  return { got, want, url: req.url, body: res.body, wrote };
}
