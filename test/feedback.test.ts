// Every message once (issue 13): error pages show their message in the body, not again as a
// flash; a refusal shown next to its field is not repeated above the form; and an htmx action
// replaces the flash region out of band, so an earlier flash ("Order … placed.") does not stay
// stacked above the new one.
import t from 'tap';
import { buildTestApp, Client, makeUser } from './helper.ts';
import { stores, products, customers } from '../src/db/schema/index.ts';
import { applyStockChanges } from '../src/modules/inventory/stock.ts';
import { systemActor } from '../src/lib/audit.ts';

const { app } = await buildTestApp(t);
const db = app.db;
const [north, south] = await db.insert(stores).values([{ storeName: 'North', physicalAddress: '1 High St' }, { storeName: 'South', physicalAddress: '2 Low St' }]).returning();
const [tee] = await db.insert(products).values([{ sku: 'FB-1', productName: 'Tee', unitPrice: '9.99' }]).returning();
const [ann] = await db.insert(customers).values({ emailAddress: 'ann.fb@example.test', fullName: 'Ann' }).returning();
const N = north!.storeId, S = south!.storeId;
await db.transaction((tx) => applyStockChanges(tx, [{ storeId: N, productId: tee!.productId, onHand: 20, kind: 'receipt' }], systemActor));
const admin = await makeUser(app, 'admin');
const staff = await makeUser(app, 'staff', { storeIds: [N] });
const htmx = { 'hx-request': 'true' };

const count = (body: string, text: string) => body.split(text).length - 1;
/** The out-of-band flash region of an htmx answer, or undefined. */
const oobFlash = (body: string) => /<div id="flash"[^>]*hx-swap-oob="true"[^>]*>([\s\S]*?)<\/div>/.exec(body)?.[1];

async function signedIn(user: { email: string; password: string }) {
  const c = new Client(app);
  await c.login(user.email, user.password);
  return c;
}

t.test('the 404 page says its message once', async (t) => {
  const c = await signedIn(admin);
  const res = await c.get('/no-such-page');
  t.equal(res.statusCode, 404);
  t.equal(count(res.body, 'There is nothing at this address.'), 1);
  const anonymous = await new Client(app).get('/no-such-page');
  t.equal(count(anonymous.body, 'There is nothing at this address.'), 1, 'also for a visitor');
});

t.test('the 400 page says its message once', async (t) => {
  const c = await signedIn(admin);
  const res = await c.get('/audit?from=2026-02-30');
  t.equal(res.statusCode, 400);
  t.equal(count(res.body, '&quot;2026-02-30&quot; is not a date.'), 1);
});

t.test('the 403 page says its message once, for staff', async (t) => {
  const c = await signedIn(staff);
  const res = await c.get(`/stores/${S}/edit`);
  t.equal(res.statusCode, 403);
  const message = /<section id="error"[\s\S]*?<p>([^<]+)<\/p>/.exec(res.body)?.[1];
  t.ok(message, 'the body states the reason');
  t.equal(count(res.body, message!), 1);
});

t.test('a same-store transfer says why once', async (t) => {
  const c = await signedIn(admin);
  await c.get('/inventory/transfers/new');
  const res = await c.post('/inventory/transfers/new', { fromStoreId: String(N), toStoreId: String(N), lines: '5', sku_0: 'FB-1', quantity_0: '1' });
  t.equal(res.statusCode, 422);
  t.equal(count(res.body, 'A transfer needs two different stores'), 1);
  t.match(res.body, /id="field-toStoreId-error"[^>]*>A transfer needs two different stores/, 'next to the destination');
});

t.test('consecutive order actions: after paying, only the payment flash is shown', async (t) => {
  const c = await signedIn(admin);
  const form = await c.get('/orders/new');
  const idempotencyKey = /name="idempotencyKey" value="([^"]+)"/.exec(form.body)![1]!;
  const placed = await c.post('/orders', { customer: ann!.emailAddress, storeId: String(N), idempotencyKey, product: ['FB-1', '', '', '', ''], quantity: ['1', '', '', '', ''] });
  t.equal(placed.statusCode, 303, placed.body.slice(0, 500));
  const location = String(placed.headers.location);
  const orderId = Number(location.split('/').pop());
  const page = await c.get(location);
  t.equal(count(page.body, `Order #${orderId} placed.`), 1, 'the page shows the placement flash');
  const version = /name="version" value="(\d+)"/.exec(page.body)![1]!;
  const paid = await c.post(`/orders/${orderId}/actions/pay`, { version }, { headers: htmx });
  t.equal(paid.statusCode, 200);
  const flash = oobFlash(paid.body);
  t.ok(flash !== undefined, 'the answer replaces the flash region out of band');
  t.equal(count(paid.body, 'marked paid'), 1, 'the payment flash, once');
  t.match(flash ?? '', 'marked paid');
  t.notMatch(paid.body, 'placed.', 'the placement flash is gone');
  const reload = await c.get(location);
  t.equal(count(reload.body, 'marked paid'), 0, 'a flash shown by htmx is not shown again');
  t.equal(count(reload.body, 'placed.'), 0);
});

t.test('the cart says why checkout is refused once', async (t) => {
  const c = await signedIn(staff);
  await c.get('/cart');
  const res = await c.post('/checkout', {});
  t.equal(res.statusCode, 403);
  t.equal(count(res.body, 'Checkout is for customer accounts.'), 1);
});
