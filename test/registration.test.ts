// Issue 13, security items 1 and 6: self-registration proves the mailbox before any login exists.
// Registering with someone's email never signs in, never links their customer record and answers
// exactly as for a new address; the mailed link is single-use, expires, and needs the password
// chosen when registering (so the owner of the mailbox clicking a stranger's link creates nothing).
import t from 'tap';
import { sql } from 'drizzle-orm';
import { buildTestApp, Client, lastMail, mailCount, makeUser } from './helper.ts';
import { queryRows } from '../src/db/client.ts';
import { customers, stores, products } from '../src/db/schema/index.ts';
import { applyStockChanges } from '../src/modules/inventory/stock.ts';
import { placeOrder } from '../src/modules/orders/place.ts';
import { systemActor } from '../src/lib/audit.ts';
import type { CurrentUser } from '../src/lib/access.ts';

const { app, config } = await buildTestApp(t);
const db = app.db;
const PW = 'a long password 1';

const [store] = await db.insert(stores).values({ storeName: 'Reg store', physicalAddress: '1 Reg Street' }).returning();
const [product] = await db.insert(products).values({ sku: 'REG-1', productName: 'Reg tee', unitPrice: '9.00' }).returning();
await db.transaction((tx) => applyStockChanges(tx, [{ storeId: store!.storeId, productId: product!.productId, onHand: 50, kind: 'receipt' }], systemActor));
const admin: CurrentUser = { id: 0, email: 'sys', fullName: 'sys', role: 'admin', customerId: null, storeIds: [] };

let n = 0;
/** A customer record created at the counter (no login), with `orders` orders. */
async function counterCustomer(orders: number) {
  const [c] = await db.insert(customers).values({ emailAddress: `counter-${++n}@example.test`, fullName: `Counter ${n}` }).returning();
  const ids: number[] = [];
  for (let i = 0; i < orders; i++) {
    const placed = await db.transaction((tx) => placeOrder(tx, { customerId: c!.customerId, storeId: store!.storeId, items: [{ productId: product!.productId, quantity: 1 }] }, admin, systemActor));
    ids.push(placed.orderId);
  }
  return { id: c!.customerId, email: c!.emailAddress, orderIds: ids };
}

/** Posts the registration form from a fresh browser; returns the answer and what the next page says. */
async function register(email: string, password = PW, c = new Client(app)) {
  await c.get('/register');
  const res = await c.post('/register', { fullName: 'Some Body', email, password, confirm: password });
  const next = res.headers.location ? await c.get(String(res.headers.location)) : undefined;
  const flash = /<p class="flash[^"]*"[^>]*>([^<]*)<\/p>/.exec(next?.body ?? '')?.[1];
  return { res, next, flash, client: c };
}

const decoded = (mail: string) => mail.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
async function mailedToken(): Promise<string | undefined> {
  return /register\/confirm\?token=([A-Za-z0-9_-]+)/.exec(decoded(await lastMail(config)))?.[1];
}
const loginCount = async (email: string) =>
  (await queryRows<{ n: number }>(db, sql`select count(*)::int as n from users where lower(email) = lower(${email})`))[0]!.n;

async function confirm(token: string, password = PW, c = new Client(app)) {
  await c.get('/register'); // a form token, as a browser that opened a valid link would have
  const page = await c.get(`/register/confirm?token=${encodeURIComponent(token)}`);
  const res = await c.post('/register/confirm', { token, password });
  return { page, res, client: c };
}

t.test('registering with a counter customer\'s email neither signs in nor shows their orders', async (t) => {
  const victim = await counterCustomer(3);
  const { res, client } = await register(victim.email);
  t.equal(res.statusCode, 303);
  t.not(res.headers.location, '/account', 'not sent to an account');
  t.equal((await client.get('/account')).statusCode, 303, 'not signed in: /account sends to the login form');
  for (const id of victim.orderIds) t.not((await client.get(`/account/orders/${id}`)).statusCode, 200, `order ${id} stays hidden`);
  t.equal(await loginCount(victim.email), 0, 'no login was created');
  const checkout = await client.post('/checkout', { checkoutKey: '00000000-0000-4000-8000-000000000000' });
  t.equal(checkout.headers.location, '/login?next=%2Fcart', 'cannot check out');
  const api = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: victim.email, password: PW } });
  t.equal(api.statusCode, 401, 'and cannot get an API token to order with');
});

t.test('the claim link, used with the chosen password, links the record and shows its orders', async (t) => {
  const owner = await counterCustomer(2);
  const { client } = await register(owner.email.toUpperCase());
  const mail = decoded(await lastMail(config));
  t.match(mail, /To: counter-\d+@example\.test/i);
  t.match(mail, /claim|already has a customer record/i, 'the mail says a record is waiting');
  const token = await mailedToken();
  t.ok(token, 'the mail holds a confirmation link');
  t.equal(await loginCount(owner.email), 0, 'nothing exists before the link is used');

  const page = await client.get(`/register/confirm?token=${token}`);
  t.equal(page.statusCode, 200);
  t.match(page.body, 'Finish creating your account');
  t.match(page.body, /<form method="post" action="\/register\/confirm"/, 'the GET only shows a form (link scanners create nothing)');
  t.equal(await loginCount(owner.email), 0, 'opening the link created nothing');

  // Whoever reads the mail but does not know the password chosen when registering gets nothing.
  const stranger = await client.post('/register/confirm', { token: token!, password: 'not the password 1' });
  t.equal(stranger.statusCode, 422);
  t.match(stranger.body, 'This is not the password you chose when registering.');
  t.equal(await loginCount(owner.email), 0);

  const done = await client.post('/register/confirm', { token: token!, password: PW });
  t.equal(done.statusCode, 303);
  t.equal(done.headers.location, '/account');
  const account = await client.get('/account');
  t.equal(account.statusCode, 200, 'signed in');
  for (const id of owner.orderIds) t.match(account.body, `/account/orders/${id}`, `order ${id} is now theirs to see`);
  const rows = await queryRows<{ customer_id: number }>(db, sql`select customer_id from users where lower(email) = lower(${owner.email})`);
  t.same(rows.map((r) => r.customer_id), [owner.id], 'the login is linked to the existing record, no second record');

  const again = await new Client(app).post('/register/confirm', { token: token!, password: PW }, { csrf: false });
  t.not(again.statusCode, 500);
  const reuse = await confirm(token!);
  t.equal(reuse.page.statusCode, 400, 'a used link is refused on GET');
  t.equal(reuse.res.statusCode, 400, 'and on POST');
  t.match(reuse.res.body, 'This link is not valid');
  t.equal(await loginCount(owner.email), 1);
});

t.test('a new address: the link creates the login and its customer record, once', async (t) => {
  const email = `fresh-${Date.now()}@example.test`;
  const { client } = await register(email);
  t.equal(await loginCount(email), 0, 'nothing before the link');
  const token = (await mailedToken())!;
  const [a, b] = await Promise.all([confirm(token, PW, client), confirm(token)]);
  t.same([a.res.statusCode, b.res.statusCode].sort(), [303, 400], 'two uses at once: one wins, the other is refused');
  t.equal(await loginCount(email), 1, 'one login');
  const rows = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from customers where lower(email_address) = lower(${email})`);
  t.equal(rows[0]!.n, 1, 'one customer record');
});

t.test('links expire; made-up and foreign tokens get a clear 400, never a 500', async (t) => {
  const email = `late-${Date.now()}@example.test`;
  await register(email);
  const token = (await mailedToken())!;
  await db.execute(sql`update pending_registrations set expires_at = now() - interval '1 second' where lower(email) = lower(${email})`);
  const late = await confirm(token);
  t.equal(late.page.statusCode, 400);
  t.equal(late.res.statusCode, 400);
  t.match(late.res.body, 'This link is not valid');
  t.equal(await loginCount(email), 0);

  // A password-reset token is not a registration token.
  const staff = await makeUser(app, 'staff');
  const c = new Client(app);
  await c.get('/forgot-password');
  await c.post('/forgot-password', { email: staff.email });
  const resetToken = /reset-password\?token=([A-Za-z0-9_-]+)/.exec(decoded(await lastMail(config)))![1]!;
  for (const bad of [resetToken, 'x'.repeat(43), 'short', '', '%00', 'a'.repeat(500)]) {
    const r = await confirm(bad);
    t.equal(r.page.statusCode, 400, `GET with ${JSON.stringify(bad.slice(0, 12))}`);
    t.equal(r.res.statusCode, 400, `POST with ${JSON.stringify(bad.slice(0, 12))}`);
  }
});

t.test('a link is refused when a login with its email appeared meanwhile', async (t) => {
  const email = `twice-${Date.now()}@example.test`;
  await register(email);
  const first = (await mailedToken())!;
  await register(email);
  const second = (await mailedToken())!;
  t.not(first, second);
  t.equal((await confirm(first)).res.statusCode, 303);
  const late = await confirm(second);
  t.equal(late.res.statusCode, 400, 'the second link is void once the account exists');
  t.equal(await loginCount(email), 1);
});

t.test('two links of one address used at once: one login, the other link refused', async (t) => {
  const email = `race-${Date.now()}@example.test`;
  const counter = await db.insert(customers).values({ emailAddress: email, fullName: 'Race' }).returning();
  await register(email);
  const first = (await mailedToken())!;
  await register(email.toUpperCase());
  const second = (await mailedToken())!;
  const [a, b] = await Promise.all([confirm(first), confirm(second)]);
  t.same([a.res.statusCode, b.res.statusCode].sort(), [303, 400]);
  const rows = await queryRows<{ customer_id: number }>(db, sql`select customer_id from users where lower(email) = lower(${email})`);
  t.same(rows.map((r) => r.customer_id), [counter[0]!.customerId], 'one login, on the existing record');
});

t.test('the answer is the same for a new email, a customer record, staff and admin, in any case', async (t) => {
  const counter = await counterCustomer(0);
  const customer = await makeUser(app, 'customer');
  const staff = await makeUser(app, 'staff');
  const boss = await makeUser(app, 'admin');
  const answers: string[] = [];
  const bodies = new Set<string>();
  for (const email of [`brand-new-${Date.now()}@example.test`, counter.email, customer.email.toUpperCase(), staff.email, boss.email.toUpperCase()]) {
    const { res, flash } = await register(email);
    answers.push(JSON.stringify({ status: res.statusCode, location: res.headers.location, flash, bodyLength: res.body.length }));
    bodies.add(res.body);
  }
  t.equal(new Set(answers).size, 1, `one answer:\n${answers.join('\n')}`);
  t.equal(bodies.size, 1, 'byte for byte');
  t.match(answers[0], 'Check your mail');
});

t.test('an address that already has a login gets a warning mail and nothing is created', async (t) => {
  const staff = await makeUser(app, 'staff');
  const before = await mailCount(config);
  const pending = async () => (await queryRows<{ n: number }>(db, sql`select count(*)::int as n from pending_registrations where lower(email) = lower(${staff.email})`))[0]!.n;
  await register(staff.email.toUpperCase());
  t.equal(await mailCount(config), before + 1, 'one mail');
  const mail = decoded(await lastMail(config));
  t.match(mail, 'Someone tried to create an account with your address');
  t.notMatch(mail, /register\/confirm/, 'with no link to use');
  t.equal(await pending(), 0, 'no pending registration');
  t.equal(await loginCount(staff.email), 1);
});

t.test('the confirmation page escapes what it shows', async (t) => {
  const email = `esc-${Date.now()}@example.test`;
  const c = new Client(app);
  await c.get('/register');
  await c.post('/register', { fullName: '<script>alert(1)</script> Ann', email, password: PW, confirm: PW });
  const token = (await mailedToken())!;
  const page = await c.get(`/register/confirm?token=${token}`);
  t.notMatch(page.body, '<script>alert(1)</script>');
  const done = await c.post('/register/confirm', { token, password: PW });
  t.equal(done.statusCode, 303);
  const account = await c.get('/account');
  t.match(account.body, '&lt;script&gt;alert(1)&lt;/script&gt; Ann', 'names are escaped');
});
