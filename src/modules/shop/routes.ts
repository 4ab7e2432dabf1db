// The storefront: browse the catalogue with what the chosen store has available, a cart kept in
// the session (it survives signing in: login keeps `cart` and `storeId` when the session is
// regenerated), checkout through placeOrder (a hidden idempotency key makes a double submit
// place one order), and the customer's own orders with cancel while OPEN.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { requireRole } from '../../plugins/guards.ts';
import { HttpError, notFound } from '../../lib/errors.ts';
import { idempotent, storedAnswer } from '../../lib/idempotency.ts';
import { placeOrder } from '../orders/place.ts';
import { applyOrderAction } from '../orders/lifecycle.ts';
import { StockShortError } from '../inventory/stock.ts';
import { listStores, catalogue, facets, cartLines, myOrders, myOrder, CATALOGUE_SORTS, type CatalogueFilters } from './repository.ts';

type Query = { Querystring: Record<string, string | undefined> };
type Body = { Body: Record<string, unknown> };
const PRICE = /^\d{1,8}(\.\d{1,2})?$/;
const MAX_QTY = 99;
const requireCustomer = requireRole('customer');

function idOf(raw: unknown): number | undefined {
  const s = typeof raw === 'string' ? raw.trim() : typeof raw === 'number' ? String(raw) : '';
  if (!/^\d{1,10}$/.test(s)) return undefined;
  const n = Number(s);
  return n >= 1 && n <= 2147483647 ? n : undefined;
}

export default async function shopRoutes(app: FastifyInstance) {
  /** The shopper's store: chosen with ?storeId (remembered in the session) or the first one. */
  async function currentStore(req: FastifyRequest, requested?: string) {
    const stores = await listStores(app.db);
    const wanted = idOf(requested) ?? req.session.storeId;
    const store = stores.find((s) => s.storeId === wanted) ?? stores[0];
    if (store && req.session.storeId !== store.storeId && (requested || req.session.cart)) req.session.storeId = store.storeId;
    return { stores, store };
  }

  const cartOf = (req: FastifyRequest): Record<string, number> => ({ ...(req.session.cart ?? {}) });
  const cartCount = (req: FastifyRequest) => Object.values(req.session.cart ?? {}).reduce((n, q) => n + q, 0);

  app.get('/shop', async function browse(req: FastifyRequest<Query>, reply) {
    const q = req.query;
    const { stores, store } = await currentStore(req, q.storeId);
    const errors: Record<string, string> = {};
    const filters: CatalogueFilters = {};
    const text = (k: string, max = 100) => {
      const v = q[k]?.trim();
      if (!v) return undefined;
      if (v.length > max) errors[k] = `Use at most ${max} characters.`;
      return v.slice(0, max);
    };
    filters.q = text('q'); filters.brand = text('brand'); filters.colour = text('colour'); filters.size = text('size');
    for (const k of ['minPrice', 'maxPrice'] as const) {
      const v = text(k);
      if (v && !PRICE.test(v)) errors[k] = 'Enter a price like 19.99.';
      else if (v) filters[k] = v;
    }
    if (filters.minPrice && filters.maxPrice && Number(filters.minPrice) > Number(filters.maxPrice)) errors.maxPrice = 'The maximum is below the minimum.';
    filters.inStock = q.inStock === 'on' || q.inStock === 'true';
    const sort = q.sort && CATALOGUE_SORTS.includes(q.sort) ? q.sort : undefined;
    const order = q.order === 'desc' ? 'desc' : q.order === 'asc' ? 'asc' : undefined;
    const params = { ...filters, inStock: filters.inStock ? 'on' : undefined, storeId: store?.storeId, sort, order };
    const empty = { items: [], nextCursor: null, prevCursor: null };
    const page = store && !Object.keys(errors).length
      ? await catalogue(app.db, store.storeId, filters, { sort, order, cursor: q.cursor || undefined })
      : empty;
    return reply.page('shop/index', {
      title: 'Shop', stores, store, filters, params, errors, page, facets: await facets(app.db), cartCount: cartCount(req),
    }, { fragment: 'shop/_products', status: Object.keys(errors).length ? 422 : undefined });
  });

  app.post('/cart/items', async function addToCart(req: FastifyRequest<Body>, reply) {
    const productId = idOf(req.body?.productId);
    const quantity = idOf(req.body?.quantity ?? '1');
    if (!productId || !quantity || quantity > MAX_QTY) {
      reply.flash('error', `Choose a quantity from 1 to ${MAX_QTY}.`);
      return reply.code(303).redirect(typeof req.headers.referer === 'string' && req.headers.referer.includes('/shop') ? '/shop' : '/cart');
    }
    const { store } = await currentStore(req);
    const cart = cartOf(req);
    const { lines } = await cartLines(app.db, store!.storeId, { [productId]: 1 });
    const product = lines[0];
    if (!product || !product.active) throw notFound('The product');
    cart[productId] = Math.min(MAX_QTY, (cart[productId] ?? 0) + quantity);
    req.session.cart = cart;
    req.session.storeId = store!.storeId;
    const note = cart[productId]! > product.available ? ` Only ${product.available} available at ${store!.storeName} right now.` : '';
    reply.flash(note ? 'info' : 'success', `Added ${product.productName} to your cart.${note}`);
    return reply.code(303).redirect('/cart');
  });

  app.post('/cart/items/:productId', async function updateCartLine(req: FastifyRequest<{ Params: { productId: string }; Body: Record<string, unknown> }>, reply) {
    const productId = idOf(req.params.productId);
    const raw = String(req.body?.quantity ?? '').trim();
    const cart = cartOf(req);
    if (!productId || !(String(productId) in cart)) throw notFound('That cart line');
    if (!/^\d{1,3}$/.test(raw) || Number(raw) > MAX_QTY) {
      reply.flash('error', `Enter a quantity from 0 to ${MAX_QTY} (0 removes the line).`);
      return reply.code(303).redirect('/cart');
    }
    if (Number(raw) === 0) delete cart[productId];
    else cart[productId] = Number(raw);
    req.session.cart = cart;
    return reply.seeOther('/cart', Number(raw) === 0 ? 'Removed from your cart.' : 'Cart updated.');
  });

  async function showCart(req: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}, status?: number) {
    const { stores, store } = await currentStore(req);
    const cart = cartOf(req);
    const { lines, total } = store ? await cartLines(app.db, store.storeId, cart) : { lines: [], total: '0.00' };
    return reply.page('shop/cart', {
      title: 'Your cart', stores, store, lines, total, cartCount: cartCount(req), checkoutKey: randomUUID(), ...extra,
    }, { status });
  }

  app.get('/cart', async function cartPage(req, reply) {
    return showCart(req, reply);
  });

  app.post('/cart/store', async function chooseCartStore(req: FastifyRequest<Body>, reply) {
    const { store } = await currentStore(req, String(req.body?.storeId ?? ''));
    if (store) req.session.storeId = store.storeId;
    return reply.seeOther('/cart', store ? `Ordering from ${store.storeName}.` : undefined);
  });

  app.post('/checkout', async function checkout(req: FastifyRequest<Body>, reply) {
    if (!req.user) {
      reply.flash('info', 'Sign in or create an account to place your order. Your cart is kept.');
      return reply.code(303).redirect('/login?next=%2Fcart');
    }
    if (req.user.role !== 'customer') {
      return showCart(req, reply, { message: 'Checkout is for customer accounts. Staff place orders from the back office (Orders → New order).' }, 403);
    }
    const key = typeof req.body?.checkoutKey === 'string' && /^[0-9a-f-]{36}$/.test(req.body.checkoutKey) ? `web-checkout-${req.body.checkoutKey}` : undefined;
    const earlier = key && await storedAnswer(app.db, req.user.id, key);
    if (earlier) return reply.seeOther(`/account/orders/${(earlier.body as { orderId: number }).orderId}`, 'This order was already placed.');
    const { store } = await currentStore(req);
    const cart = cartOf(req);
    const items = Object.entries(cart).map(([productId, quantity]) => ({ productId: Number(productId), quantity }));
    if (!store || !items.length) return showCart(req, reply, { message: 'Your cart is empty.' }, 422);
    try {
      const answer = await idempotent(app.db, { userId: req.user.id, key, route: 'web:POST /checkout', request: { storeId: store.storeId, items } }, async (tx) => {
        const placed = await placeOrder(tx, { customerId: req.user!.customerId!, storeId: store.storeId, items }, req.user!, req.actor());
        return { statusCode: 201, body: { orderId: placed.orderId } };
      });
      req.session.cart = {};
      return reply.seeOther(`/account/orders/${(answer.body as { orderId: number }).orderId}`, answer.replayed ? 'This order was already placed.' : 'Thank you! Your order is placed.');
    } catch (err) {
      if (err instanceof StockShortError || (err instanceof HttpError && (err.statusCode === 422 || err.statusCode === 409))) {
        return showCart(req, reply, { message: err.message }, err.statusCode);
      }
      throw err;
    }
  });

  app.register(async function customerArea(scope) {
    scope.addHook('preHandler', requireCustomer);

    scope.get('/account/orders/:id', async function myOrderPage(req: FastifyRequest<{ Params: { id: string } }>, reply) {
      const id = idOf(req.params.id);
      const order = id ? await myOrder(app.db, req.user!.customerId!, id) : null;
      if (!order) throw notFound('The order');
      return reply.page('shop/order', { title: `Order ${order.orderId}`, order, cartCount: cartCount(req) });
    });

    scope.post('/account/orders/:id/cancel', async function cancelMyOrder(req: FastifyRequest<{ Params: { id: string }; Body: Record<string, unknown> }>, reply) {
      const id = idOf(req.params.id);
      if (!id) throw notFound('The order');
      const version = idOf(req.body?.version);
      try {
        await app.db.transaction((tx) => applyOrderAction(tx, { orderId: id, action: 'cancel', user: req.user!, actor: req.actor(), expectedVersion: version }));
      } catch (err) {
        if (err instanceof HttpError && (err.statusCode === 409 || err.statusCode === 403)) {
          reply.flash('error', err.message);
          return reply.code(303).redirect(`/account/orders/${id}`);
        }
        throw err;
      }
      return reply.seeOther(`/account/orders/${id}`, 'Your order is cancelled.');
    });
  });

  app.get('/account', { preHandler: requireRole('admin', 'staff', 'customer') }, async function account(req, reply) {
    const orders = req.user!.role === 'customer' ? await myOrders(app.db, req.user!.customerId!) : [];
    return reply.page('home/account', { title: 'Your account', orders, cartCount: cartCount(req) });
  });
}
