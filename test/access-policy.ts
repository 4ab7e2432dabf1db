// The access policy of issue 7.5: one entry per route the app registers, keyed by
// "METHOD /url pattern" (HEAD mirrors GET), saying who may call it for whose resource and how a
// valid request looks. access-matrix.test.ts runs every cell of it; security.test.ts reuses the
// request builders to post every form without (and then with) its CSRF token.
//
// Owners: "A"/"B" = a resource of store A or B; "A/mine" = store A and the signed-in customer's
// own ("other" = another customer's); "all" = no store filter; "A>C" = a transfer from A to C;
// "byA" = an import uploaded by staff of A. Verdicts: 'ok', 'login' (a visitor is sent to sign
// in), or the refusal status.
import { sql } from 'drizzle-orm';
import { queryRows } from '../src/db/client.ts';
import { makeUser } from './helper.ts';
import { settledJob } from './fixtures/imports-upload.ts';
import { REGISTRATION_PASSWORD, inStore, type Cell, type Cust, type Rule, type StoreKey, type Verdict, type Who, type World } from './access-helpers.ts';

/** Read-only fixtures (GET cells never change them) and the policy table over them. */
export async function buildPolicy(w: World) {
  const { S, P, make } = w;
  const [P1, P2] = [P[0]!, P[1]!];
  const probe = await makeUser(w.app, 'staff', { storeIds: [S.C] });

  const OC = ['A/mine', 'A/other', 'B/mine', 'B/other'] as const;
  const ST = ['A', 'B'] as const;
  const ALL = ['all', 'A', 'B'] as const;
  const TR = ['A>C', 'B>C'] as const;
  const BY = ['byA', 'byB'] as const;
  const CU = ['mine', 'other'] as const;
  const st = (o: string) => o[0] as StoreKey;
  const cu = (o: string): Cust => (o.endsWith('mine') ? 'mine' : 'other');

  const ro = {
    order: {} as Record<string, number>,
    shipment: {} as Record<string, number>,
    transfer: { 'A>C': await make.transfer('A', 'C'), 'B>C': await make.transfer('B', 'C') } as Record<string, string>,
    job: { byA: await make.importJob('staffA'), byB: await make.importJob('staffB') } as Record<string, number>,
    buyer: {} as Record<string, { customerId: number; orderId: number }>,
    receipt: {} as Record<string, number>,
    inactive: (await make.product(false)).id,
  };
  for (const o of OC) {
    ro.order[o] = (await make.order(st(o), cu(o))).orderId;
    ro.shipment[o] = (await make.shipment(st(o), cu(o))).shipmentId;
  }
  for (const o of ST) {
    const c = await make.customer();
    ro.buyer[o] = { customerId: c.id, orderId: (await make.order(o, c.id)).orderId };
    const [m] = await queryRows<{ id: number }>(w.db, sql`select movement_id as id from stock_movements where store_id = ${S[o]} and kind = 'receipt' order by movement_id limit 1`);
    ro.receipt[o] = Number(m!.id);
  }

  // ---- who may: verdict builders ---------------------------------------------------------------------
  type Scope = (who: Who, owner: string, variant: string) => Verdict;
  const ok: Scope = () => 'ok';
  const storeScoped = (deny: Verdict = 403): Scope => (who, o) => (inStore(who, o) ? 'ok' : deny);
  const allOrStore: Scope = (who, o) => (o === 'all' || inStore(who, o) ? 'ok' : 403);
  /** Orders and shipments: a customer's own (others' are hidden), staff their stores'. */
  const orderLike = (who: Who, o: string): Verdict => (who === 'customer' ? (cu(o) === 'mine' ? 'ok' : 404) : inStore(who, o) ? 'ok' : 403);
  const ownRecord = (who: Who, o: string): Verdict => (who !== 'customer' || o === 'mine' ? 'ok' : 403);
  const uploader = (who: Who, o: string): Verdict => (who === 'admin' || who === `staff${o[2]}` ? 'ok' : 403);

  const page = {
    public: ok,
    signedIn: ((who) => (who === 'anon' ? 'login' : 'ok')) as Scope,
    back: (scope: Scope = ok): Scope => (who, o, v) => (who === 'anon' ? 'login' : who === 'customer' ? 403 : scope(who, o, v)),
    admin: ((who) => (who === 'anon' ? 'login' : who === 'admin' ? 'ok' : 403)) as Scope,
    customer: (scope: Scope): Scope => (who, o, v) => (who === 'anon' ? 'login' : who === 'customer' ? scope(who, o, v) : 403),
  };
  const api = {
    public: ok,
    any: (scope: Scope = ok): Scope => (who, o, v) => (who === 'anon' ? 401 : scope(who, o, v)),
    back: (scope: Scope = ok): Scope => (who, o, v) => (who === 'anon' ? 401 : who === 'customer' ? 403 : scope(who, o, v)),
    admin: ((who) => (who === 'anon' ? 401 : who === 'admin' ? 'ok' : 403)) as Scope,
  };

  const home = (who: Who) => (who === 'customer' ? '/account' : '/dashboard');
  const get = (url: string) => () => ({ url });
  const hx = { 'hx-request': 'true' };
  const storeQuery = (o: string) => (o === 'all' ? '' : `?storeId=${S[st(o)]}`);
  const ids = (body: string, key: string) => (JSON.parse(body).items as Array<Record<string, number>>).map((i) => i[key]);
  let counter = 0;
  const seenStore = { expect: inStore, test: (b: string, c: Cell) => ids(b, 'storeId').includes(S[st(c.owner)]) };
  const seenOrderLike = (key: 'orderId' | 'shipmentId', table: Record<string, number>) => ({
    expect: (who: Who, o: string) => (who === 'customer' ? cu(o) === 'mine' : inStore(who, o)),
    test: (b: string, c: Cell) => ids(b, key).includes(table[c.owner]!),
  });
  const pageSeen = (marker: (o: string) => string, expect: (who: Who, o: string) => boolean = inStore) =>
    ({ expect, test: (b: string, c: Cell) => b.includes(marker(c.owner)) });

  const MOVES = ['receive', 'adjust', 'count', 'transfer', 'reorder-point'] as const;
  async function moveForm(c: Cell): Promise<Record<string, string>> {
    switch (c.variant) {
      case 'receive': return { quantity: '1' };
      case 'adjust': return { quantity: '-1', reason: 'damaged' };
      case 'count': return { countedQuantity: String(await w.onHand(st(c.owner), P2.id) + 1) };
      case 'transfer': return { toStoreId: String(S.C), quantity: '1' };
      default: return { reorderPoint: String(++counter) };
    }
  }
  const ORDER_ACTIONS = ['pay', 'cancel', 'refund'] as const;
  const orderFor = (c: Cell, o: string, v: string) => c.make.order(st(o), cu(o), v === 'refund' ? 'COMPLETE' : 'OPEN');
  const SHIP_ACTIONS = ['ship', 'transit', 'deliver'] as const;
  const shipFrom = { ship: 'CREATED', transit: 'SHIPPED', deliver: 'IN-TRANSIT' } as const;

  // ---- THE POLICY ------------------------------------------------------------------------------------
  const POLICY: Record<string, Rule> = {
    // Infrastructure and the public site.
    'GET /static/*': { verdict: page.public, request: get('/static/css/app.css') },
    'GET /vendor/:file': { verdict: page.public, request: get('/vendor/htmx.min.js') },
    'GET /health': { verdict: page.public, request: get('/health') },
    'GET /': { verdict: page.public, request: get('/') },
    // The reference system's addresses: a permanent redirect for everyone (the target checks).
    'GET /landingpage': { verdict: page.public, request: get('/landingpage'), ok: () => 301, okLocation: () => '/' },
    'GET /admin': { verdict: page.public, request: get('/admin'), ok: () => 301, okLocation: () => '/dashboard' },
    'GET /admin/dashboard': { verdict: page.public, request: get('/admin/dashboard'), ok: () => 301, okLocation: () => '/dashboard' },
    'GET /login': { verdict: page.public, request: get('/login'), ok: (who) => (who === 'anon' ? 200 : 302), okLocation: (c) => home(c.who) },
    'POST /login': { verdict: page.public, fresh: true, request: () => ({ url: '/login', form: { email: probe.email, password: probe.password } }), okLocation: () => '/dashboard' },
    'POST /logout': { verdict: page.public, fresh: true, request: () => ({ url: '/logout' }), okLocation: () => '/', writes: (who) => who !== 'anon' },
    'GET /register': { verdict: page.public, request: get('/register'), ok: (who) => (who === 'anon' ? 200 : 302), okLocation: (c) => home(c.who) },
    // Registering only mails a link (issue 13): the same answer for every address.
    'POST /register': {
      verdict: page.public, okLocation: () => '/login',
      request: () => ({ url: '/register', form: { fullName: 'New Shopper', email: `reg-${w.uid()}@example.test`, password: REGISTRATION_PASSWORD, confirm: REGISTRATION_PASSWORD } }),
    },
    'GET /register/confirm': { verdict: page.public, request: async (c) => ({ url: `/register/confirm?token=${await c.make.registrationToken()}` }) },
    'POST /register/confirm': {
      verdict: page.public, fresh: true, okLocation: () => '/account',
      request: async (c) => ({ url: '/register/confirm', form: { token: await c.make.registrationToken(), password: REGISTRATION_PASSWORD } }),
    },
    'GET /forgot-password': { verdict: page.public, request: get('/forgot-password') },
    'POST /forgot-password': { verdict: page.public, request: () => ({ url: '/forgot-password', form: { email: probe.email } }), okLocation: () => '/login' },
    'GET /reset-password': { verdict: page.public, request: async (c) => ({ url: `/reset-password?token=${await c.make.resetToken()}` }) },
    'POST /reset-password': {
      verdict: page.public, okLocation: () => '/login',
      request: async (c) => ({ url: '/reset-password', form: { token: await c.make.resetToken(), password: 'a brand new secret', confirm: 'a brand new secret' } }),
    },
    'GET /account/password': { verdict: page.signedIn, request: get('/account/password') },
    'POST /account/password': {
      verdict: page.signedIn, fresh: true, okLocation: (c) => home(c.who),
      request: (c) => ({ url: '/account/password', form: { current: (c.data.account as { password?: string } | null)?.password ?? 'unknown', password: 'a changed password', confirm: 'a changed password' } }),
    },
    'GET /shop': { verdict: page.public, request: get('/shop') },
    'POST /cart/items': { verdict: page.public, writes: false, okLocation: () => '/cart', request: () => ({ url: '/cart/items', form: { productId: String(P1.id), quantity: '1' } }) },
    'POST /cart/items/:productId': {
      verdict: page.public, writes: false, okLocation: () => '/cart',
      request: async (c) => {
        await c.client.post('/cart/items', { productId: String(P1.id), quantity: '1' });
        return { url: `/cart/items/${P1.id}`, form: { quantity: '2' } };
      },
    },
    'GET /cart': { verdict: page.public, request: get('/cart') },
    'POST /cart/store': { verdict: page.public, writes: false, okLocation: () => '/cart', request: () => ({ url: '/cart/store', form: { storeId: String(S.B) } }) },
    'POST /checkout': {
      fresh: true, okLocation: () => /^\/account\/orders\/\d+$/,
      verdict: (who) => (who === 'anon' ? { status: 303, location: '/login?next=%2Fcart' } : who === 'customer' ? 'ok' : { status: 403, errorPage: false }),
      request: async (c) => {
        await c.client.post('/cart/items', { productId: String(P1.id), quantity: '1' });
        return { url: '/checkout', form: { checkoutKey: w.uuid() } };
      },
    },
    'GET /account': { verdict: page.signedIn, request: get('/account') },
    'GET /account/orders/:id': { owners: OC, verdict: page.customer(orderLike), request: (c) => ({ url: `/account/orders/${ro.order[c.owner]}` }) },
    'POST /account/orders/:id/cancel': {
      owners: OC, verdict: page.customer(orderLike), okLocation: (c) => `/account/orders/${c.data.id}`,
      request: async (c) => {
        const o = await c.make.order(st(c.owner), cu(c.owner));
        c.data.id = o.orderId;
        return { url: `/account/orders/${o.orderId}/cancel`, form: { version: String(o.version) } };
      },
    },

    // Back office: dashboard, customers, products.
    'GET /dashboard': { owners: ALL, verdict: page.back(allOrStore), request: (c) => ({ url: `/dashboard${storeQuery(c.owner)}` }) },
    'GET /customers': { verdict: page.back(), request: get('/customers') },
    'GET /customers/shipment-status': { verdict: page.back(), request: get('/customers/shipment-status') },
    'GET /customers/:id': {
      owners: ST, verdict: page.back(), request: (c) => ({ url: `/customers/${ro.buyer[c.owner]!.customerId}` }),
      seen: pageSeen((o) => `id="customers-order-${ro.buyer[o]!.orderId}"`),
    },
    'GET /customers/new': { verdict: page.back(), request: get('/customers/new') },
    'POST /customers': { verdict: page.back(), okLocation: () => /^\/customers\/\d+$/, request: () => ({ url: '/customers', form: { fullName: 'Made Here', emailAddress: `made-${w.uid()}@example.test` } }) },
    'GET /customers/:id/edit': { verdict: page.back(), request: () => ({ url: `/customers/${ro.buyer.A!.customerId}/edit` }) },
    'POST /customers/:id/edit': {
      verdict: page.back(), okLocation: (c) => `/customers/${c.data.id}`,
      request: async (c) => {
        const x = await c.make.customer();
        c.data.id = x.id;
        return { url: `/customers/${x.id}/edit`, form: { fullName: 'Renamed Customer', emailAddress: x.email, version: String(x.version) } };
      },
    },
    'POST /customers/:id/delete': {
      verdict: page.back(), okLocation: () => '/customers',
      request: async (c) => { const x = await c.make.customer(); return { url: `/customers/${x.id}/delete`, form: { version: String(x.version) } }; },
    },
    'GET /products': { verdict: page.back(), request: get('/products') },
    'GET /products/new': { verdict: page.back(), request: get('/products/new') },
    'POST /products': { verdict: page.back(), okLocation: () => /^\/products\/\d+$/, request: () => ({ url: '/products', form: { sku: `MXP-${w.uid()}`, productName: 'Made product', unitPrice: '5.00' } }) },
    'GET /products/:id': { owners: ST, verdict: page.back(), request: get(`/products/${P1.id}`), seen: pageSeen((o) => `id="product-stock-${S[st(o)]}"`) },
    'GET /products/:id/edit': { verdict: page.back(), request: get(`/products/${P1.id}/edit`) },
    'POST /products/:id': {
      verdict: page.back(), okLocation: (c) => `/products/${c.data.id}`,
      request: async (c) => {
        const p = await c.make.product();
        c.data.id = p.id;
        return { url: `/products/${p.id}`, form: { sku: p.sku, productName: 'Renamed product', unitPrice: '2.00', version: String(p.version) } };
      },
    },
    'POST /products/:id/deactivate': {
      verdict: page.back(), okLocation: (c) => `/products/${c.data.id}`,
      request: async (c) => { c.data.id = (await c.make.product()).id; return { url: `/products/${c.data.id}/deactivate` }; },
    },
    'POST /products/:id/reactivate': {
      verdict: page.back(), okLocation: (c) => `/products/${c.data.id}`,
      request: async (c) => { c.data.id = (await c.make.product(false)).id; return { url: `/products/${c.data.id}/reactivate` }; },
    },
    'POST /products/:id/delete': {
      verdict: page.back(), okLocation: () => '/products',
      request: async (c) => ({ url: `/products/${(await c.make.product()).id}/delete` }),
    },

    // Stores: staff see their own; only admins change them.
    'GET /stores': { owners: ST, verdict: page.back(), request: get('/stores'), seen: pageSeen((o) => `id="store-${S[st(o)]}"`) },
    'GET /stores/:id': { owners: ST, verdict: page.back(storeScoped()), request: (c) => ({ url: `/stores/${S[st(c.owner)]}` }) },
    'GET /stores/new': { verdict: page.admin, request: get('/stores/new') },
    'POST /stores': { verdict: page.admin, okLocation: () => /^\/stores\/\d+$/, request: () => ({ url: '/stores', form: { storeName: `New store ${w.uid()}`, physicalAddress: '5 New St' } }) },
    'GET /stores/:id/edit': { owners: ST, verdict: page.admin, request: (c) => ({ url: `/stores/${S[st(c.owner)]}/edit` }) },
    'POST /stores/:id': {
      verdict: page.admin, okLocation: (c) => `/stores/${c.data.id}`,
      request: async (c) => {
        const s = await c.make.store();
        c.data.id = s.id;
        return { url: `/stores/${s.id}`, form: { storeName: `Renamed store ${w.uid()}`, physicalAddress: '6 New St', version: String(s.version) } };
      },
    },
    'POST /stores/:id/delete': { verdict: page.admin, okLocation: () => '/stores', request: async (c) => ({ url: `/stores/${(await c.make.store()).id}/delete` }) },

    // Inventory: staff read and move the stock of their stores only.
    'GET /inventory': { owners: ST, verdict: page.back(), request: get('/inventory'), seen: pageSeen((o) => `id="inventory-row-${S[st(o)]}-${P1.id}"`) },
    'GET /inventory/:storeId/:productId/row': { owners: ST, verdict: page.back(storeScoped(404)), request: (c) => ({ url: `/inventory/${S[st(c.owner)]}/${P2.id}/row`, headers: hx }) },
    'GET /inventory/:storeId/:productId/:action': { owners: ST, variants: MOVES, verdict: page.back(storeScoped()), request: (c) => ({ url: `/inventory/${S[st(c.owner)]}/${P2.id}/${c.variant}` }) },
    'POST /inventory/:storeId/:productId/:action': {
      owners: ST, variants: MOVES, verdict: page.back(storeScoped()), okLocation: (c) => `/inventory?storeId=${S[st(c.owner)]}&q=${P2.sku}`,
      request: async (c) => ({ url: `/inventory/${S[st(c.owner)]}/${P2.id}/${c.variant}`, form: await moveForm(c) }),
    },
    'GET /inventory/receive': { verdict: page.back(), request: get('/inventory/receive') },
    'POST /inventory/receive': {
      owners: ST, verdict: page.back(storeScoped()), okLocation: (c) => `/inventory?storeId=${S[st(c.owner)]}&q=${P2.sku}`,
      request: (c) => ({ url: '/inventory/receive', form: { storeId: String(S[st(c.owner)]), sku: P2.sku, quantity: '1' } }),
    },
    'GET /inventory/transfers/new': { verdict: page.back(), request: get('/inventory/transfers/new') },
    'POST /inventory/transfers/new': {
      owners: ST, verdict: page.back(storeScoped()), okLocation: () => /^\/inventory\/transfers\/[0-9a-f-]{36}$/,
      request: (c) => ({ url: '/inventory/transfers/new', form: { fromStoreId: String(S[st(c.owner)]), toStoreId: String(S.C), lines: '5', sku_0: P2.sku, quantity_0: '1' } }),
    },
    'GET /inventory/transfers/:transferId': { owners: TR, verdict: page.back(storeScoped(404)), request: (c) => ({ url: `/inventory/transfers/${ro.transfer[c.owner]}` }) },
    'GET /inventory/movements': { owners: ST, verdict: page.back(), request: get('/inventory/movements'), seen: pageSeen((o) => `id="inventory-movement-${ro.receipt[o]}"`) },
    'GET /inventory/reports': { verdict: page.back(), request: get('/inventory/reports') },
    'GET /inventory/reports/order-lines': {
      owners: ST, verdict: page.back(storeScoped({ status: 404, errorPage: false })),
      request: (c) => ({ url: `/inventory/reports/order-lines?orderId=${ro.order[`${c.owner}/other`]}` }),
    },
    'GET /inventory/reports/store-products': { owners: ST, verdict: page.back(storeScoped()), request: (c) => ({ url: `/inventory/reports/store-products${storeQuery(c.owner)}` }) },
    'GET /inventory/reports/delivered-units': { owners: ALL, verdict: page.back(allOrStore), request: (c) => ({ url: `/inventory/reports/delivered-units${storeQuery(c.owner)}` }) },
    'GET /inventory/verify': { verdict: page.admin, request: get('/inventory/verify') },

    // CSV imports: the uploader and admins.
    'GET /imports': { owners: BY, verdict: page.back(), request: get('/imports'), seen: pageSeen((o) => `id="imports-job-${ro.job[o]}"`, (who, o) => uploader(who, o) === 'ok') },
    'GET /imports/new': { verdict: page.back(), request: get('/imports/new?kind=products') },
    'GET /imports/template/customers.csv': { verdict: page.back(), request: get('/imports/template/customers.csv') },
    'GET /imports/template/products.csv': { verdict: page.back(), request: get('/imports/template/products.csv') },
    'POST /imports': {
      verdict: page.back(), okLocation: () => /^\/imports\/\d+$/,
      request: () => ({ url: '/imports', upload: { kind: 'customers', csv: `email_address,full_name\nup-${w.uid()}@example.test,Uploaded\n` } }),
      settle: async (c, status) => { if (status === 303) await settledJob(w.app, Number(String(c.data.location).split('/').pop())); },
    },
    'GET /imports/:id': { owners: BY, verdict: page.back(uploader), request: (c) => ({ url: `/imports/${ro.job[c.owner]}` }) },
    'GET /imports/:id/progress': { owners: BY, verdict: page.back(uploader), request: (c) => ({ url: `/imports/${ro.job[c.owner]}/progress`, headers: hx }) },
    'POST /imports/:id/apply': {
      owners: BY, verdict: page.back(uploader), okLocation: (c) => `/imports/${c.data.id}`,
      request: async (c) => { c.data.id = await c.make.importJob(c.owner === 'byA' ? 'staffA' : 'staffB'); return { url: `/imports/${c.data.id}/apply` }; },
      settle: async (c) => { await settledJob(w.app, c.data.id as number); },
    },

    // Shipments and orders in the back office.
    'GET /shipments': { owners: ST, verdict: page.back(), request: get('/shipments'), seen: pageSeen((o) => `id="shipments-row-${ro.shipment[`${o}/other`]}"`) },
    'GET /shipments/:id': { owners: ST, verdict: page.back(storeScoped()), request: (c) => ({ url: `/shipments/${ro.shipment[`${c.owner}/other`]}` }) },
    'POST /shipments/:id/actions/:action': {
      owners: ST, variants: SHIP_ACTIONS, verdict: page.back(storeScoped()), okLocation: (c) => `/shipments/${c.data.id}`,
      request: async (c) => {
        const s = await c.make.shipment(st(c.owner), 'other', shipFrom[c.variant as keyof typeof shipFrom]);
        c.data.id = s.shipmentId;
        return { url: `/shipments/${s.shipmentId}/actions/${c.variant}`, form: { version: String(s.version) } };
      },
    },
    'GET /shipments/:id/packing-slip': { owners: ST, verdict: page.back(storeScoped()), request: (c) => ({ url: `/shipments/${ro.shipment[`${c.owner}/other`]}/packing-slip` }) },
    'GET /orders': { owners: ST, verdict: page.back(), request: get('/orders'), seen: pageSeen((o) => `id="order-${ro.order[`${o}/other`]}"`) },
    'GET /orders/by-store': {
      owners: ALL, verdict: page.back(allOrStore), request: (c) => ({ url: `/orders/by-store${storeQuery(c.owner)}` }),
      // The rows shown are exactly the stores asked for, within the caller's scope.
      seen: { expect: () => true, test: (b, c) => ST.every((k) => b.includes(`id="orders-store-${S[k]}"`) === (c.owner === 'all' ? inStore(c.who, k) : k === c.owner)) },
    },
    'GET /orders/new': { verdict: page.back(), request: get('/orders/new') },
    'POST /orders': {
      owners: ST, verdict: page.back(storeScoped()), okLocation: () => /^\/orders\/\d+$/,
      request: (c) => ({ url: '/orders', form: { customer: w.users.other.email, storeId: String(S[st(c.owner)]), product: P1.sku, quantity: '1', idempotencyKey: w.uuid() } }),
    },
    // The line shows stock at store A: staff of store B are refused, like every other store filter.
    'GET /orders/new/line': { verdict: page.back((who) => (who === 'staffB' ? 403 : 'ok')), request: get(`/orders/new/line?product=${P1.sku}&quantity=1&storeId=${S.A}`) },
    'GET /orders/new/customers': { verdict: page.back(), request: get('/orders/new/customers?customer=matrix') },
    'GET /orders/new/products': { verdict: page.back(), request: get('/orders/new/products?product=MX') },
    'GET /orders/:id': { owners: ST, verdict: page.back(storeScoped()), request: (c) => ({ url: `/orders/${ro.order[`${c.owner}/other`]}` }) },
    'POST /orders/:id/actions/:action': {
      owners: ST, variants: ORDER_ACTIONS, verdict: page.back(storeScoped()), okLocation: (c) => `/orders/${c.data.id}`,
      request: async (c) => {
        const o = await orderFor(c, `${c.owner}/other`, c.variant);
        c.data.id = o.orderId;
        return { url: `/orders/${o.orderId}/actions/${c.variant}`, form: { version: String(o.version) } };
      },
    },
    'POST /orders/:id/shipments': {
      owners: ST, verdict: page.back(storeScoped()), okLocation: (c) => `/orders/${c.data.id}`,
      request: async (c) => {
        const o = await c.make.order(st(c.owner), 'other', 'PAID');
        c.data.id = o.orderId;
        return { url: `/orders/${o.orderId}/shipments`, form: { version: String(o.version), lineItemId: '1', deliveryAddress: '3 Matrix Road' } };
      },
    },
    'GET /orders/:id/invoice': { owners: ST, verdict: page.back(storeScoped()), request: (c) => ({ url: `/orders/${ro.order[`${c.owner}/other`]}/invoice` }) },

    // Users and audit: administrators only.
    'GET /users': { verdict: page.admin, request: get('/users') },
    'GET /users/:id': { verdict: page.admin, request: get(`/users/${w.users.staffA.id}`) },
    'POST /users/:id/deactivate': { verdict: page.admin, okLocation: (c) => `/users/${c.data.id}`, request: async (c) => { c.data.id = (await c.make.staffUser()).id; return { url: `/users/${c.data.id}/deactivate` }; } },
    'POST /users/:id/reactivate': { verdict: page.admin, okLocation: (c) => `/users/${c.data.id}`, request: async (c) => { c.data.id = (await c.make.staffUser(false)).id; return { url: `/users/${c.data.id}/reactivate` }; } },
    'POST /users/:id/password-link': { verdict: page.admin, okLocation: (c) => `/users/${c.data.id}`, request: async (c) => { c.data.id = (await c.make.staffUser()).id; return { url: `/users/${c.data.id}/password-link` }; } },
    'GET /users/new': { verdict: page.admin, request: get('/users/new') },
    'POST /users': {
      verdict: page.admin, okLocation: () => /^\/users\/\d+$/,
      request: () => ({ url: '/users', form: { email: `new-${w.uid()}@example.test`, fullName: 'New Staff', role: 'staff', storeIds: String(S.C), passwordMode: 'set', password: 'a long enough pw 1' } }),
    },
    'GET /users/:id/edit': { verdict: page.admin, request: get(`/users/${w.users.staffA.id}/edit`) },
    'POST /users/:id': {
      verdict: page.admin, okLocation: (c) => `/users/${c.data.id}`,
      request: async (c) => {
        const u = await c.make.staffUser();
        c.data.id = u.id;
        return { url: `/users/${u.id}`, form: { email: u.email, fullName: 'Renamed Staff', role: 'staff', storeIds: String(S.C), version: String(u.version) } };
      },
    },
    'GET /audit': { verdict: page.admin, request: get('/audit') },

    // API documentation is public.
    'GET /api/docs': { verdict: api.public, request: get('/api/docs') },
    'GET /api/docs/static/index.html': { verdict: api.public, request: get('/api/docs/static/index.html'), ok: 302 },
    'GET /api/docs/static/swagger-initializer.js': { verdict: api.public, request: get('/api/docs/static/swagger-initializer.js') },
    'GET /api/docs/json': { verdict: api.public, request: get('/api/docs/json') },
    'GET /api/docs/yaml': { verdict: api.public, request: get('/api/docs/yaml') },
    'GET /api/docs/static/*': { verdict: api.public, request: get('/api/docs/static/swagger-ui.css') },
    'GET /api/openapi.json': { verdict: api.public, request: get('/api/openapi.json') },

    // The JSON API: bearer tokens; customers only where SPEC says (their own orders and shipments).
    'POST /api/v1/auth/login': { verdict: api.public, ok: 200, request: () => ({ url: '/api/v1/auth/login', json: { email: probe.email, password: probe.password } }) },
    'POST /api/v1/auth/logout': { verdict: api.any(), fresh: true, ok: 204, request: () => ({ url: '/api/v1/auth/logout' }) },
    'GET /api/v1/me': { verdict: api.any(), request: get('/api/v1/me') },
    'GET /api/v1/customers': { verdict: api.back(), request: get('/api/v1/customers') },
    'POST /api/v1/customers': { verdict: api.back(), ok: 201, request: () => ({ url: '/api/v1/customers', json: { fullName: 'Api Customer', emailAddress: `api-${w.uid()}@example.test` } }) },
    'GET /api/v1/customers/shipment-status': { verdict: api.back(), request: get('/api/v1/customers/shipment-status') },
    'GET /api/v1/customers/:id': { owners: CU, verdict: api.any(ownRecord), request: (c) => ({ url: `/api/v1/customers/${w.cust[cu(c.owner)]}` }) },
    'PUT /api/v1/customers/:id': { owners: CU, verdict: api.back(), ok: 200, request: (c) => customerUpdate(c, true) },
    'PATCH /api/v1/customers/:id': { owners: CU, verdict: api.back(), ok: 200, request: (c) => customerUpdate(c, false) },
    'DELETE /api/v1/customers/:id': {
      // Staff may delete customers, but not one with a sign-in account ("mine"): that is a 409.
      owners: CU, verdict: api.back((_who, o) => (o === 'mine' ? 409 : 'ok')), ok: 204,
      request: async (c) => ({ url: `/api/v1/customers/${c.owner === 'mine' ? w.cust.mine : (await c.make.customer()).id}` }),
    },
    'GET /api/v1/customers/:id/orders': { owners: CU, verdict: api.any(ownRecord), request: (c) => ({ url: `/api/v1/customers/${w.cust[cu(c.owner)]}/orders` }) },
    'GET /api/v1/customers/:id/shipments': { owners: CU, verdict: api.any(ownRecord), request: (c) => ({ url: `/api/v1/customers/${w.cust[cu(c.owner)]}/shipments` }) },
    'GET /api/v1/products': { verdict: api.any(), request: get('/api/v1/products') },
    'GET /api/v1/products/brands': { verdict: api.any(), request: get('/api/v1/products/brands') },
    'POST /api/v1/products': { verdict: api.back(), ok: 201, request: () => ({ url: '/api/v1/products', json: { sku: `MXA-${w.uid()}`, productName: 'Api product', unitPrice: '4.00' } }) },
    'GET /api/v1/products/:id': {
      owners: ['active', 'inactive'], verdict: api.any((who, o) => (who === 'customer' && o === 'inactive' ? 404 : 'ok')),
      request: (c) => ({ url: `/api/v1/products/${c.owner === 'active' ? P1.id : ro.inactive}` }),
    },
    'PUT /api/v1/products/:id': {
      verdict: api.back(), ok: 200,
      request: async (c) => { const p = await c.make.product(); return { url: `/api/v1/products/${p.id}`, json: { sku: p.sku, productName: 'Api renamed', unitPrice: '3.00', version: p.version } }; },
    },
    'DELETE /api/v1/products/:id': { verdict: api.back(), ok: 204, request: async (c) => ({ url: `/api/v1/products/${(await c.make.product()).id}` }) },
    'GET /api/v1/stores': { verdict: api.any(), request: get('/api/v1/stores') },
    'GET /api/v1/stores/:id': { owners: ST, verdict: api.any(), request: (c) => ({ url: `/api/v1/stores/${S[st(c.owner)]}` }) },
    'POST /api/v1/stores': { verdict: api.admin, ok: 201, request: () => ({ url: '/api/v1/stores', json: { storeName: `Api store ${w.uid()}`, physicalAddress: '7 Api St' } }) },
    'PUT /api/v1/stores/:id': {
      verdict: api.admin, ok: 200,
      request: async (c) => { const s = await c.make.store(); return { url: `/api/v1/stores/${s.id}`, json: { storeName: `Api put ${w.uid()}`, physicalAddress: '8 Api St', version: s.version } }; },
    },
    'PATCH /api/v1/stores/:id': {
      verdict: api.admin, ok: 200,
      request: async (c) => { const s = await c.make.store(); return { url: `/api/v1/stores/${s.id}`, json: { storeName: `Api patch ${w.uid()}`, version: s.version } }; },
    },
    'DELETE /api/v1/stores/:id': { verdict: api.admin, ok: 204, request: async (c) => ({ url: `/api/v1/stores/${(await c.make.store()).id}` }) },
    'GET /api/v1/users': { verdict: api.admin, request: get('/api/v1/users') },
    'GET /api/v1/users/:id': { verdict: api.admin, request: get(`/api/v1/users/${w.users.staffA.id}`) },
    'POST /api/v1/users': { verdict: api.admin, ok: 201, request: () => ({ url: '/api/v1/users', json: { email: `apiu-${w.uid()}@example.test`, fullName: 'Api Staff', role: 'staff', storeIds: [S.C], password: 'a long enough pw 2' } }) },
    'PATCH /api/v1/users/:id': { verdict: api.admin, ok: 200, request: async (c) => { const u = await c.make.staffUser(); return { url: `/api/v1/users/${u.id}`, json: { fullName: 'Api patched', version: u.version } }; } },
    'PUT /api/v1/users/:id': { verdict: api.admin, ok: 200, request: async (c) => { const u = await c.make.staffUser(); return { url: `/api/v1/users/${u.id}`, json: { fullName: 'Api put', version: u.version } }; } },
    'DELETE /api/v1/users/:id': { verdict: api.admin, ok: 204, request: async (c) => ({ url: `/api/v1/users/${(await c.make.staffUser()).id}` }) },
    'GET /api/v1/inventory': { owners: ST, verdict: api.back(), request: get('/api/v1/inventory?limit=200'), seen: seenStore },
    'GET /api/v1/inventory/movements': { owners: ST, verdict: api.back(), request: get('/api/v1/inventory/movements?limit=200'), seen: seenStore },
    'GET /api/v1/inventory/transfers/:transferId': { owners: TR, verdict: api.back(storeScoped(404)), request: (c) => ({ url: `/api/v1/inventory/transfers/${ro.transfer[c.owner]}` }) },
    'POST /api/v1/inventory/receipts': { owners: ST, verdict: api.back(storeScoped()), ok: 201, request: (c) => ({ url: '/api/v1/inventory/receipts', json: { storeId: S[st(c.owner)], productId: P2.id, quantity: 1 } }) },
    'POST /api/v1/inventory/adjustments': {
      owners: ST, verdict: api.back(storeScoped()), ok: 201,
      request: (c) => ({ url: '/api/v1/inventory/adjustments', json: { storeId: S[st(c.owner)], productId: P2.id, quantity: -1, reason: 'damaged' } }),
    },
    'POST /api/v1/inventory/counts': {
      owners: ST, verdict: api.back(storeScoped()), ok: 201,
      request: async (c) => ({ url: '/api/v1/inventory/counts', json: { storeId: S[st(c.owner)], productId: P2.id, countedQuantity: await w.onHand(st(c.owner), P2.id) + 1 } }),
    },
    'POST /api/v1/inventory/transfers': {
      owners: ST, verdict: api.back(storeScoped()), ok: 201,
      request: (c) => ({ url: '/api/v1/inventory/transfers', json: { fromStoreId: S[st(c.owner)], toStoreId: S.C, items: [{ productId: P2.id, quantity: 1 }] } }),
    },
    'PUT /api/v1/inventory/reorder-points': {
      owners: ST, verdict: api.back(storeScoped()), ok: 200,
      request: (c) => ({ url: '/api/v1/inventory/reorder-points', json: { storeId: S[st(c.owner)], productId: P2.id, reorderPoint: ++counter } }),
    },
    'GET /api/v1/inventory/reports/order-lines': { owners: ST, verdict: api.back(storeScoped(404)), request: (c) => ({ url: `/api/v1/inventory/reports/order-lines?orderId=${ro.order[`${c.owner}/other`]}` }) },
    'GET /api/v1/inventory/reports/store-products': { owners: ST, verdict: api.back(storeScoped()), request: (c) => ({ url: `/api/v1/inventory/reports/store-products${storeQuery(c.owner)}` }) },
    'GET /api/v1/inventory/reports/delivered-units': { owners: ALL, verdict: api.back(allOrStore), request: (c) => ({ url: `/api/v1/inventory/reports/delivered-units${storeQuery(c.owner)}` }) },
    ...Object.fromEntries(['sales', 'product-sales', 'order-status', 'shipment-status', 'stock-value'].map((r) => [`GET /api/v1/reports/${r}`,
      { owners: ALL, verdict: api.back(allOrStore), request: (c: Cell) => ({ url: `/api/v1/reports/${r}${storeQuery(c.owner)}` }) } satisfies Rule])),
    'GET /api/v1/shipments': { owners: OC, verdict: api.any(), request: get('/api/v1/shipments?limit=200'), seen: seenOrderLike('shipmentId', ro.shipment) },
    'GET /api/v1/shipments/:id': { owners: OC, verdict: api.any(orderLike), request: (c) => ({ url: `/api/v1/shipments/${ro.shipment[c.owner]}` }) },
    'POST /api/v1/shipments': {
      owners: ST, verdict: api.back(storeScoped()), ok: 201,
      request: async (c) => ({ url: '/api/v1/shipments', json: { orderId: (await c.make.order(st(c.owner), 'other', 'PAID')).orderId, deliveryAddress: '4 Api Road' } }),
    },
    'POST /api/v1/shipments/:id/actions/:action': {
      // A customer finds their own shipment but may not move it (403); others' stay hidden (404).
      owners: OC, variants: SHIP_ACTIONS, ok: 200, verdict: api.any((who, o) => (who === 'customer' ? (cu(o) === 'mine' ? 403 : 404) : inStore(who, o) ? 'ok' : 403)),
      request: async (c) => {
        const s = await c.make.shipment(st(c.owner), cu(c.owner), shipFrom[c.variant as keyof typeof shipFrom]);
        return { url: `/api/v1/shipments/${s.shipmentId}/actions/${c.variant}`, json: { version: s.version } };
      },
    },
    'GET /api/v1/orders': { owners: OC, verdict: api.any(), request: get('/api/v1/orders?limit=200'), seen: seenOrderLike('orderId', ro.order) },
    'POST /api/v1/orders': {
      owners: OC, ok: 201, verdict: api.any((who, o) => (who === 'customer' ? (cu(o) === 'mine' ? 'ok' : 403) : inStore(who, o) ? 'ok' : 403)),
      request: (c) => ({ url: '/api/v1/orders', json: { customerId: w.cust[cu(c.owner)], storeId: S[st(c.owner)], items: [{ productId: P1.id, quantity: 1 }] } }),
    },
    'GET /api/v1/orders/:id': { owners: OC, verdict: api.any(orderLike), request: (c) => ({ url: `/api/v1/orders/${ro.order[c.owner]}` }) },
    'POST /api/v1/orders/:id/actions/:action': {
      // Customers may cancel their own OPEN order; paying and refunding are for staff.
      owners: OC, variants: ORDER_ACTIONS, ok: 200,
      verdict: api.any((who, o, v) => (who === 'customer' ? (cu(o) === 'other' ? 404 : v === 'cancel' ? 'ok' : 403) : inStore(who, o) ? 'ok' : 403)),
      request: async (c) => {
        const o = await orderFor(c, c.owner, c.variant);
        return { url: `/api/v1/orders/${o.orderId}/actions/${c.variant}`, json: { version: o.version } };
      },
    },
  };

  async function customerUpdate(c: Cell, replace: boolean) {
    const target = c.owner === 'mine' ? w.cust.mine : (await c.make.customer()).id;
    const [row] = await queryRows<{ email: string; version: number }>(w.db, sql`select email_address as email, version from customers where customer_id = ${target}`);
    const fullName = `Api renamed ${w.uid()}`;
    return { url: `/api/v1/customers/${target}`, json: replace ? { fullName, emailAddress: row!.email, version: row!.version } : { fullName, version: row!.version } };
  }

  return { POLICY, probe, ro };
}

export type Policy = Awaited<ReturnType<typeof buildPolicy>>['POLICY'];
