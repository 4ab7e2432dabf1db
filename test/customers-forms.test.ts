// Customers back office: create, edit (optimistic locking) and delete, every validation rule,
// refusals that write nothing, and the audit trail of each change.
import t from 'tap';
import { sql } from 'drizzle-orm';
import { buildTestApp, Client, makeUser } from './helper.ts';
import { seedData } from '../src/db/seed.ts';
import { queryRows } from '../src/db/client.ts';

const { app } = await buildTestApp(t);
await seedData(app.db, { stores: 2, products: 10, customers: 20, orders: 60 });
const admin = await makeUser(app, 'admin');
const staff = await makeUser(app, 'staff', { storeIds: [1] });
const shopper = await makeUser(app, 'customer');

const client = new Client(app);
await client.login(admin.email, admin.password);

interface AuditRow { action: string; entity_id: string; before: Record<string, unknown> | null; after: Record<string, unknown> | null; actor_id: number | null }
const audits = (id: number | string) => queryRows<AuditRow>(app.db, sql`
  select action, entity_id, before, after, actor_id from audit_events where entity = 'customer' and entity_id = ${String(id)} order by audit_id`);
const counts = async () => (await queryRows<{ customers: number; audits: number }>(app.db, sql`
  select (select count(*)::int from customers) as customers, (select count(*)::int from audit_events where entity = 'customer') as audits`))[0]!;
const customer = async (id: number) => (await queryRows<{ full_name: string; email_address: string; version: number }>(app.db, sql`
  select full_name, email_address, version from customers where customer_id = ${id}`))[0];
const fieldError = (html: string, field: string) => new RegExp(`id="field-${field}-error" class="field-error">([^<]+)<`).exec(html)?.[1];
const decode = (s: string) => s.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&');

async function create(c: Client, fullName: string, emailAddress: string) {
  await c.get('/customers/new');
  const res = await c.post('/customers', { fullName, emailAddress });
  const id = Number(/^\/customers\/(\d+)$/.exec(res.headers.location as string)?.[1]);
  return { res, id };
}

t.test('create: redirects to the new customer with a flash, audited', async (t) => {
  const page = await client.get('/customers/new');
  t.equal(page.statusCode, 200);
  t.match(page.body, '<label for="field-fullName">Full name');
  t.match(page.body, '<label for="field-emailAddress">Email address');
  t.match(page.body, 'name="_csrf"');
  const { res, id } = await create(client, '  Ada Lovelace  ', ' Ada@Example.test ');
  t.equal(res.statusCode, 303);
  t.ok(id > 0);
  const show = await client.get(`/customers/${id}`);
  t.match(show.body, 'Customer Ada Lovelace created.');
  const row = await customer(id);
  t.same(row, { full_name: 'Ada Lovelace', email_address: 'Ada@Example.test', version: 1 }, 'trimmed, case kept');
  const [a] = await audits(id);
  t.equal(a!.action, 'create');
  t.equal(a!.before, null);
  t.match(a!.after, { customerId: id, fullName: 'Ada Lovelace', emailAddress: 'Ada@Example.test', version: 1 });
  t.equal(a!.actor_id, admin.id);
});

t.test('create: every rule gives a field message, 422, and writes nothing', async (t) => {
  await client.get('/customers/new');
  const before = await counts();
  const cases: Array<[Record<string, string>, string, RegExp]> = [
    [{ emailAddress: 'x@example.test' }, 'fullName', /Enter the full name \(up to 200 characters\)/],
    [{ fullName: '   ', emailAddress: 'x@example.test' }, 'fullName', /Enter the full name/],
    [{ fullName: 'x'.repeat(201), emailAddress: 'x@example.test' }, 'fullName', /up to 200 characters/],
    [{ fullName: 'No Email' }, 'emailAddress', /Enter a valid email address/],
    [{ fullName: 'Bad Email', emailAddress: 'not-an-email' }, 'emailAddress', /Enter a valid email address/],
    [{ fullName: 'Bad Email', emailAddress: 'two@@example.test' }, 'emailAddress', /Enter a valid email address/],
    [{ fullName: 'Long Email', emailAddress: `${'a'.repeat(250)}@example.test` }, 'emailAddress', /Enter a valid email address/],
    [{ fullName: 'Taken', emailAddress: 'ADA@EXAMPLE.TEST' }, 'emailAddress', /Another customer already uses this email address/],
  ];
  for (const [form, field, message] of cases) {
    const res = await client.post('/customers', form);
    t.equal(res.statusCode, 422, `${JSON.stringify(form).slice(0, 60)}`);
    t.match(fieldError(res.body, field) ?? '', message, `${field} message`);
    t.match(res.body, 'aria-invalid="true"');
    if (form.fullName && form.fullName.trim() && form.fullName.length < 100) t.match(res.body, `value="${form.fullName}"`, 'values are kept');
  }
  const exactly200 = await client.post('/customers', { fullName: 'y'.repeat(200), emailAddress: 'two-hundred@example.test' });
  t.equal(exactly200.statusCode, 303, '200 characters is allowed');
  const after = await counts();
  t.equal(after.customers, before.customers + 1, 'only the valid one was written');
  t.equal(after.audits, before.audits + 1);
});

t.test('create without a CSRF token is refused', async (t) => {
  const before = await counts();
  const res = await client.post('/customers', { fullName: 'Forged', emailAddress: 'forged@example.test' }, { csrf: false });
  t.equal(res.statusCode, 403);
  t.same(await counts(), before);
});

t.test('edit: saves, bumps the version, audits before and after', async (t) => {
  const { id } = await create(client, 'Grace Hopper', 'grace@example.test');
  const page = await client.get(`/customers/${id}/edit`);
  t.equal(page.statusCode, 200);
  t.match(page.body, 'name="version" value="1"');
  t.match(page.body, 'value="Grace Hopper"');
  const res = await client.post(`/customers/${id}/edit`, { fullName: 'Grace B. Hopper', emailAddress: 'GRACE@example.test', version: '1' });
  t.equal(res.statusCode, 303, 'changing only the case of its own email is fine');
  t.equal(res.headers.location, `/customers/${id}`);
  t.match((await client.get(`/customers/${id}`)).body, 'Customer Grace B. Hopper saved.');
  t.same(await customer(id), { full_name: 'Grace B. Hopper', email_address: 'GRACE@example.test', version: 2 });
  const rows = await audits(id);
  t.equal(rows.length, 2);
  t.equal(rows[1]!.action, 'update');
  t.match(rows[1]!.before, { fullName: 'Grace Hopper', emailAddress: 'grace@example.test', version: 1 });
  t.match(rows[1]!.after, { fullName: 'Grace B. Hopper', emailAddress: 'GRACE@example.test', version: 2 });

  await client.get(`/customers/${id}/edit`);
  const same = await client.post(`/customers/${id}/edit`, { fullName: 'Grace B. Hopper', emailAddress: 'GRACE@example.test', version: '2' });
  t.equal(same.statusCode, 303);
  t.match((await client.get(`/customers/${id}`)).body, 'Nothing changed.');
  t.equal((await customer(id))!.version, 2, 'no version bump for no change');
  t.equal((await audits(id)).length, 2, 'and no audit event');
});

t.test('edit: validation and duplicate email (any case) are field errors; nothing written', async (t) => {
  const { id } = await create(client, 'Alan Turing', 'alan@example.test');
  await client.get(`/customers/${id}/edit`);
  const cases: Array<[Record<string, string>, string, RegExp]> = [
    [{ fullName: '', emailAddress: 'alan@example.test', version: '1' }, 'fullName', /Enter the full name/],
    [{ fullName: 'z'.repeat(201), emailAddress: 'alan@example.test', version: '1' }, 'fullName', /up to 200/],
    [{ fullName: 'Alan', emailAddress: 'alan@', version: '1' }, 'emailAddress', /valid email/],
    [{ fullName: 'Alan', emailAddress: 'Ada@example.TEST', version: '1' }, 'emailAddress', /Another customer already uses this email address/],
  ];
  for (const [form, field, message] of cases) {
    const res = await client.post(`/customers/${id}/edit`, form);
    t.equal(res.statusCode, 422);
    t.match(fieldError(res.body, field) ?? '', message);
    t.match(res.body, `action="/customers/${id}/edit"`, 'still the edit form');
  }
  const noVersion = await client.post(`/customers/${id}/edit`, { fullName: 'Alan M. Turing', emailAddress: 'alan@example.test' });
  t.equal(noVersion.statusCode, 422);
  t.match(noVersion.body, 'The form is out of date: reload it.');
  t.same(await customer(id), { full_name: 'Alan Turing', email_address: 'alan@example.test', version: 1 });
  t.equal((await audits(id)).length, 1, 'only the create');
  const missing = await client.post('/customers/999999/edit', { fullName: 'Nobody', emailAddress: 'nobody@example.test', version: '1' });
  t.equal(missing.statusCode, 404);
  t.equal((await client.get('/customers/999999/edit')).statusCode, 404);
});

t.test('edit conflict: the second of two saves gets 409 with the current values', async (t) => {
  const { id } = await create(client, 'Barbara Liskov', 'barbara@example.test');
  const alice = new Client(app);
  await alice.login(admin.email, admin.password);
  const bob = new Client(app);
  await bob.login(staff.email, staff.password);
  const a = await alice.get(`/customers/${id}/edit`);
  const b = await bob.get(`/customers/${id}/edit`);
  t.match(a.body, 'name="version" value="1"');
  t.match(b.body, 'name="version" value="1"');
  const first = await alice.post(`/customers/${id}/edit`, { fullName: 'Barbara J. Liskov', emailAddress: 'barbara@example.test', version: '1' });
  t.equal(first.statusCode, 303);
  const second = await bob.post(`/customers/${id}/edit`, { fullName: 'B. Liskov', emailAddress: 'liskov@example.test', version: '1' });
  t.equal(second.statusCode, 409);
  const body = decode(second.body);
  t.match(body, 'Someone else changed this customer while you were editing it.');
  t.match(body, 'value="Barbara J. Liskov"', 'the form shows the saved name');
  t.match(body, 'name="version" value="2"', 'and the current version');
  t.match(body, /Your unsaved changes[\s\S]*B\. Liskov[\s\S]*liskov@example\.test/, 'the attempt is shown for comparison');
  t.same(await customer(id), { full_name: 'Barbara J. Liskov', email_address: 'barbara@example.test', version: 2 });
  t.equal((await audits(id)).length, 2, 'create + the first update only');
  const retry = await bob.post(`/customers/${id}/edit`, { fullName: 'B. Liskov', emailAddress: 'barbara@example.test', version: '2' });
  t.equal(retry.statusCode, 303, 'saving again from the refreshed form works');
});

t.test('delete: refused with a message while orders exist or an account is linked; nothing written', async (t) => {
  const [withOrders] = await queryRows<{ id: number; n: number }>(app.db, sql`select customer_id as id, count(*)::int as n from orders group by 1 order by 1 limit 1`);
  await client.get(`/customers/${withOrders!.id}`);
  const before = await counts();
  const res = await client.post(`/customers/${withOrders!.id}/delete`, {});
  t.equal(res.statusCode, 409);
  t.equal(res.body.split('This customer has orders and cannot be deleted: order history is kept.').length - 1, 1, 'the reason, once');
  t.match(res.body, `id="customers-detail-${withOrders!.id}"`, 'shown on the detail page');

  const linked = await client.post(`/customers/${shopper.customerId}/delete`, {});
  t.equal(linked.statusCode, 409);
  t.match(linked.body, `linked to the sign-in account ${shopper.email}`);
  t.same(await counts(), before, 'nothing deleted, nothing audited');

  const staffClient = new Client(app);
  await staffClient.login(staff.email, staff.password);
  await staffClient.get(`/customers/${withOrders!.id}`);
  const byStaff = await staffClient.post(`/customers/${withOrders!.id}/delete`, {});
  t.equal(byStaff.statusCode, 409, 'also when some orders are at stores the staff member does not see');
});

t.test('staff see no figure of other stores on a customer page (security report 16)', async (t) => {
  // A customer with orders at other stores than the staff member's one.
  const [elsewhere] = await queryRows<{ id: number; total: number; mine: number }>(app.db, sql`
    select customer_id as id, count(*)::int as total, (count(*) filter (where store_id = 1))::int as mine
    from orders group by 1 having count(*) filter (where store_id <> 1) > 1 order by 1 limit 1`);
  t.ok(elsewhere, 'the seed has one');
  const staffClient = new Client(app);
  await staffClient.login(staff.email, staff.password);
  const page = await staffClient.get(`/customers/${elsewhere!.id}`);
  t.equal(page.statusCode, 200);
  t.notMatch(page.body, new RegExp(`\\b${elsewhere!.total} orders?\\b`), 'not the count over all stores');
  t.notMatch(page.body, 'across all stores');
  t.match(page.body, /id="customers-delete-refusal">This customer has orders and cannot be deleted/);
  t.match(page.body, new RegExp(`<dt>Orders \\(your stores\\)</dt><dd>${elsewhere!.mine}</dd>`), 'their own stores\' figure');
  const refused = await staffClient.post(`/customers/${elsewhere!.id}/delete`, {});
  t.equal(refused.statusCode, 409);
  t.notMatch(refused.body, new RegExp(`\\b${elsewhere!.total} orders?\\b`));
  t.equal(refused.body.split('This customer has orders and cannot be deleted').length - 1, 1, 'the reason, once');
});

t.test('delete: a customer without history goes, audited with the old values', async (t) => {
  const { id } = await create(client, 'Temporary Person', 'temp@example.test');
  const show = await client.get(`/customers/${id}`);
  t.match(show.body, `action="/customers/${id}/delete"`);
  t.match(show.body, 'data-confirm="Delete Temporary Person? This cannot be undone."');
  const stale = await client.post(`/customers/${id}/delete`, { version: '7' });
  t.equal(stale.statusCode, 409, 'a delete based on an old version is refused');
  t.match(decode(stale.body), 'Someone else changed this customer');
  t.ok(await customer(id));
  const res = await client.post(`/customers/${id}/delete`, { version: '1' });
  t.equal(res.statusCode, 303);
  t.equal(res.headers.location, '/customers');
  t.match((await client.get('/customers')).body, 'Customer Temporary Person deleted.');
  t.equal(await customer(id), undefined);
  const rows = await audits(id);
  t.same(rows.map((r) => r.action), ['create', 'delete']);
  t.match(rows[1]!.before, { customerId: id, fullName: 'Temporary Person', emailAddress: 'temp@example.test' });
  t.equal(rows[1]!.after, null);
  const again = await client.post(`/customers/${id}/delete`, {});
  t.equal(again.statusCode, 404);
});

t.test('editing a customer with a sign-in account says the login email is separate', async (t) => {
  const res = await client.get(`/customers/${shopper.customerId}/edit`);
  t.equal(res.statusCode, 200);
  t.match(res.body, `This customer signs in as ${shopper.email}. Changing the email here does not change the sign-in email.`);
  const other = await create(client, 'No Account', 'no-account@example.test');
  t.notMatch((await client.get(`/customers/${other.id}/edit`)).body, 'customers-account-note');
});

t.test('staff create and edit customers too', async (t) => {
  const c = new Client(app);
  await c.login(staff.email, staff.password);
  const { res, id } = await create(c, 'Staff Made', 'staff-made@example.test');
  t.equal(res.statusCode, 303);
  await c.get(`/customers/${id}/edit`);
  const edit = await c.post(`/customers/${id}/edit`, { fullName: 'Staff Edited', emailAddress: 'staff-made@example.test', version: '1' });
  t.equal(edit.statusCode, 303);
  const rows = await audits(id);
  t.same(rows.map((r) => r.actor_id), [staff.id, staff.id]);
});
