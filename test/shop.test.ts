import t from 'tap';
import { sql } from 'drizzle-orm';
import { buildTestApp, Client, makeUser, apiLogin } from './helper.ts';
import { queryRows } from '../src/db/client.ts';
import { stores, products } from '../src/db/schema/index.ts';
import { applyStockChanges } from '../src/modules/inventory/stock.ts';
import { systemActor } from '../src/lib/audit.ts';

const { app } = await buildTestApp(t);
const db = app.db;
const [north, south] = await db.insert(stores).values([{ storeName: 'North', physicalAddress: '1 High St' }, { storeName: 'South', webAddress: 'https://south.example' }]).returning();
const [tee, cap, gone] = await db.insert(products).values([
  { sku: 'T-1', productName: 'Tee <i>x</i>', unitPrice: '19.99', brand: 'Acme', colour: 'Red', size: 'M' },
  { sku: 'C-1', productName: 'Cap', unitPrice: '5.50', brand: 'Zeta', colour: 'Blue', size: 'L' },
  { sku: 'G-1', productName: 'Gone', unitPrice: '1.00', active: false },
]).returning();
const N = north!.storeId, S = south!.storeId;
await db.transaction((tx) => applyStockChanges(tx, [
  { storeId: N, productId: tee!.productId, onHand: 5, kind: 'receipt' }, { storeId: N, productId: cap!.productId, onHand: 2, kind: 'receipt' },
  { storeId: S, productId: tee!.productId, onHand: 1, kind: 'receipt' },
], systemActor));
const ann = await makeUser(app, 'customer');
const bob = await makeUser(app, 'customer');
const staff = await makeUser(app, 'staff', { storeIds: [N] });
const reserved = async (storeId: number, productId: number) => (await queryRows<{ r: number }>(db, sql`select reserved as r from inventory where store_id = ${storeId} and product_id = ${productId}`))[0]?.r;

t.test('visitors browse the catalogue with availability at the chosen store', async (t) => {
  const c = new Client(app);
  const page = await c.get(`/shop?storeId=${N}`);
  t.equal(page.statusCode, 200);
  t.match(page.body, 'Tee &lt;i&gt;x&lt;/i&gt;', 'escaped');
  t.match(page.body, '5 available');
  t.notMatch(page.body, 'Gone', 'inactive products are hidden');
  const south = await c.get(`/shop?storeId=${S}`);
  t.match(south.body, /Out of stock here/);
  const filtered = await c.get(`/shop?storeId=${N}&brand=Zeta`, { 'hx-request': 'true' });
  t.notMatch(filtered.body, /<html/, 'htmx gets the product grid');
  t.match(filtered.body, 'Cap');
  t.notMatch(filtered.body, 'Tee');
  t.equal((await c.get('/shop?minPrice=abc')).statusCode, 422, 'a bad filter is 422, which htmx swaps in with its message');
  t.equal((await c.get('/shop?minPrice=10&maxPrice=2')).statusCode, 422);
  t.match((await c.get('/shop?minPrice=6')).body, 'Tee');
});

t.test('the cart survives signing in; checkout places an OPEN order and reserves stock', async (t) => {
  const c = new Client(app);
  await c.get(`/shop?storeId=${N}`);
  t.equal((await c.post('/cart/items', { productId: String(tee!.productId), quantity: '2' })).statusCode, 303);
  await c.get('/cart');
  await c.post('/cart/items', { productId: String(cap!.productId), quantity: '1' });
  const bad = await c.post('/cart/items', { productId: String(cap!.productId), quantity: '-3' });
  t.equal(bad.statusCode, 303, 'a bad quantity is refused with a message');
  const cart = await c.get('/cart');
  t.match(cart.body, /id="cart-line-\d+"/);
  t.match(cart.body, '45.48', 'total = 2 × 19.99 + 5.50, summed in SQL');
  const anon = await c.post('/checkout', { checkoutKey: '00000000-0000-4000-8000-000000000000' });
  t.equal(anon.statusCode, 303);
  t.match(String(anon.headers.location), /^\/login\?next=%2Fcart/);
  await c.get('/login');
  const login = await c.post('/login', { email: ann.email, password: ann.password, next: '/cart' });
  t.equal(login.headers.location, '/cart');
  const after = await c.get('/cart');
  t.match(after.body, '45.48', 'the cart is still there after login');
  const key = /name="checkoutKey" value="([^"]+)"/.exec(after.body)![1]!;
  const placed = await c.post('/checkout', { checkoutKey: key });
  t.equal(placed.statusCode, 303);
  const orderId = Number(/\/account\/orders\/(\d+)/.exec(String(placed.headers.location))![1]);
  t.equal(await reserved(N, tee!.productId), 2);
  const twice = await c.post('/checkout', { checkoutKey: key });
  t.equal(twice.statusCode, 303, 'a double submit');
  t.same(await queryRows(db, sql`select count(*)::int as n from orders where customer_id = ${ann.customerId}`), [{ n: 1 }], 'places one order');
  const mine = await c.get(`/account/orders/${orderId}`);
  t.equal(mine.statusCode, 200);
  t.match(mine.body, 'OPEN');
  const account = await c.get('/account');
  t.match(account.body, `/account/orders/${orderId}`);
  t.match((await c.get('/cart')).body, 'Your cart is empty');

  const v = /name="version" value="(\d+)"/.exec(mine.body)![1]!;
  const cancel = await c.post(`/account/orders/${orderId}/cancel`, { version: v });
  t.equal(cancel.statusCode, 303);
  t.equal(await reserved(N, tee!.productId), 0, 'cancelling releases the stock');
  t.match((await c.get(`/account/orders/${orderId}`)).body, 'CANCELLED');
  const again = await c.post(`/account/orders/${orderId}/cancel`, { version: v });
  t.equal(again.statusCode, 303, 'cancelling twice is refused with a message');
  t.match((await c.get(`/account/orders/${orderId}`)).body, /changed since you loaded it|Cannot cancel/);
});

t.test('short stock at checkout names the product and what is left', async (t) => {
  const c = new Client(app);
  await c.login(bob.email, bob.password);
  await c.get(`/shop?storeId=${N}`);
  await c.post('/cart/items', { productId: String(cap!.productId), quantity: '5' });
  const cart = await c.get('/cart');
  t.match(cart.body, '(short)');
  const key = /name="checkoutKey" value="([^"]+)"/.exec(cart.body)![1]!;
  const res = await c.post('/checkout', { checkoutKey: key });
  t.equal(res.statusCode, 409);
  t.match(res.body, /Cap has 2 available at North \(requested 5\)/);
  t.same(await queryRows(db, sql`select count(*)::int as n from orders where customer_id = ${bob.customerId}`), [{ n: 0 }]);
});

t.test("a customer never sees another customer's orders", async (t) => {
  const a = new Client(app);
  await a.login(ann.email, ann.password);
  await a.get(`/shop?storeId=${N}`);
  await a.post('/cart/items', { productId: String(tee!.productId), quantity: '1' });
  const cart = await a.get('/cart');
  const placed = await a.post('/checkout', { checkoutKey: /name="checkoutKey" value="([^"]+)"/.exec(cart.body)![1]! });
  const orderId = /\/account\/orders\/(\d+)/.exec(String(placed.headers.location))![1]!;
  const b = new Client(app);
  await b.login(bob.email, bob.password);
  t.equal((await b.get(`/account/orders/${orderId}`)).statusCode, 404, "another customer's order page");
  await b.get('/account');
  t.equal((await b.post(`/account/orders/${orderId}/cancel`, { version: '1' })).statusCode, 404, "cancelling another customer's order");
  t.notMatch((await b.get('/account')).body, `/account/orders/${orderId}"`);
  const token = await apiLogin(app, bob.email, bob.password);
  t.equal((await app.inject({ url: `/api/v1/orders/${orderId}`, headers: { authorization: `Bearer ${token}` } })).statusCode, 404, 'nor through the API');
  t.equal((await b.get('/dashboard')).statusCode, 403, 'customers stay out of the back office');
  t.match((await app.inject({ url: `/account/orders/${orderId}` })).headers.location ?? '', /^\/login/, 'anonymous: sign in first');
});

t.test('staff cannot check out as a customer', async (t) => {
  const c = new Client(app);
  await c.login(staff.email, staff.password);
  await c.get(`/shop?storeId=${N}`);
  await c.post('/cart/items', { productId: String(tee!.productId), quantity: '1' });
  const cart = await c.get('/cart');
  const res = await c.post('/checkout', { checkoutKey: /name="checkoutKey" value="([^"]+)"/.exec(cart.body)![1]! });
  t.equal(res.statusCode, 403);
  t.match(res.body, /Checkout is for customer accounts/);
});

t.test('inactive and unknown products cannot be added', async (t) => {
  const c = new Client(app);
  await c.get('/shop');
  t.equal((await c.post('/cart/items', { productId: String(gone!.productId), quantity: '1' })).statusCode, 404);
  t.equal((await c.post('/cart/items', { productId: '999999', quantity: '1' })).statusCode, 404);
  t.equal((await c.post('/cart/items', { productId: String(tee!.productId), quantity: '1' }, { csrf: false })).statusCode, 403, 'CSRF applies to the cart too');
});
