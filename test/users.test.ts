import t from 'tap';
import { sql } from 'drizzle-orm';
import { buildTestApp, Client, makeUser, apiLogin, lastMail, mailCount } from './helper.ts';
import { queryRows } from '../src/db/client.ts';
import { stores } from '../src/db/schema/index.ts';
import { csvLines } from './csv-rows.ts';

const { app, config } = await buildTestApp(t);
const created = await app.db.insert(stores).values([
  { storeName: 'North', physicalAddress: '1 North St' },
  { storeName: 'South', physicalAddress: '2 South St' },
]).returning();
const [north, south] = created as [typeof created[0], typeof created[0]];
const admin = await makeUser(app, 'admin');
const staff = await makeUser(app, 'staff', { storeIds: [north.storeId] });
const customer = await makeUser(app, 'customer');

const adminC = new Client(app);
await adminC.login(admin.email, admin.password);

const one = async <T>(query: ReturnType<typeof sql>) => (await queryRows<T>(app.db, query))[0]!;
const userCount = async () => (await one<{ n: number }>(sql`select count(*)::int as n from users`)).n;
const auditCount = async () => (await one<{ n: number }>(sql`select count(*)::int as n from audit_events where entity = 'user'`)).n;
/** The text of a quoted-printable mail (soft line breaks and =XX escapes undone). */
const decoded = async () => (await lastMail(config)).replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
const idFrom = (location: unknown) => Number(/^\/users\/(\d+)$/.exec(String(location))![1]);

t.test('staff and customers get 403 on every users page, and nothing is written', async (t) => {
  for (const u of [staff, customer]) {
    const c = new Client(app);
    await c.login(u.email, u.password);
    for (const url of ['/users', '/users/new', `/users/${admin.id}`, `/users/${admin.id}/edit`, '/users?format=csv']) {
      t.equal((await c.get(url)).statusCode, 403, `${u.role} GET ${url}`);
    }
    await c.get(u.role === 'customer' ? '/account' : '/stores');
    const before = { users: await userCount(), audit: await auditCount() };
    t.equal((await c.post('/users', { email: 'sneaky@example.test', fullName: 'S', role: 'admin', passwordMode: 'set', password: 'a long enough pw' })).statusCode, 403);
    t.equal((await c.post(`/users/${admin.id}/deactivate`)).statusCode, 403);
    t.equal((await c.post(`/users/${u.id}`, { email: u.email, fullName: 'Me', role: 'admin', version: '1' })).statusCode, 403, 'no self-promotion');
    t.same({ users: await userCount(), audit: await auditCount() }, before);
  }
  const staffPage = await new Client(app).get('/users');
  t.equal(staffPage.statusCode, 303, 'anonymous users are sent to sign in');
});

t.test('the list: filters by role, status, store and search; fragment; CSV', async (t) => {
  const all = await adminC.get('/users');
  t.equal(all.statusCode, 200);
  for (const u of [admin, staff, customer]) t.match(all.body, `<a href="/users/${u.id}">${u.email}</a>`);
  t.match(all.body, /<tr id="user-\d+">[\s\S]*?North/, 'store names are listed');
  t.match(all.body, '<a href="/users" aria-current="page">Users</a>');
  const lastLogin = new RegExp(`<tr id="user-${admin.id}">[\\s\\S]*?</tr>`).exec(all.body)![0];
  t.notMatch(lastLogin, /<td>—<\/td>\s*<\/tr>/, 'the admin has a last sign-in');

  const staffOnly = await adminC.get('/users?role=staff', { 'hx-request': 'true' });
  t.match(staffOnly.body, /^<div id="users-rows"/);
  t.match(staffOnly.body, `/users/${staff.id}"`);
  t.notMatch(staffOnly.body, `/users/${admin.id}"`);
  t.notMatch(staffOnly.body, `/users/${customer.id}"`);
  const anyRole = await adminC.get('/users?role=&active=&storeId=&q=');
  t.equal(anyRole.statusCode, 200, 'blank filters mean any');
  const byStore = await adminC.get(`/users?storeId=${north.storeId}`);
  t.match(byStore.body, `/users/${staff.id}"`);
  t.notMatch(byStore.body, `/users/${admin.id}"`);
  const search = await adminC.get(`/users?q=${encodeURIComponent(customer.email.slice(0, 12))}`);
  t.match(search.body, `/users/${customer.id}"`);
  t.notMatch(search.body, `/users/${staff.id}"`);
  const inactive = await adminC.get('/users?active=false');
  t.match(inactive.body, 'No user matches these filters.');
  t.equal((await adminC.get('/users?role=superuser')).statusCode, 400);

  const csv = await adminC.get('/users?format=csv&role=staff');
  t.equal(csv.statusCode, 200);
  const lines = csvLines(csv.body);
  t.equal(lines[0], 'id,email,fullName,role,active,storeIds,stores,lastLoginAt,createdAt');
  t.equal(lines.length, 2);
  t.match(lines[1], `${staff.id},${staff.email},`);
  t.match(lines[1], `,staff,true,${north.storeId},North,`);
});

t.test('create: validation of email, name, role, stores and password; nothing written on refusal', async (t) => {
  await adminC.get('/users/new');
  const before = { users: await userCount(), audit: await auditCount(), mail: await mailCount(config) };
  const base = { email: 'new.person@example.test', fullName: 'New Person', role: 'staff', storeIds: String(north.storeId), passwordMode: 'set', password: 'a perfectly fine pw' };
  const cases: Array<[Record<string, string | string[]>, string, string]> = [
    [{ ...base, email: 'not-an-email' }, 'email', 'Enter a valid email address.'],
    [{ ...base, email: admin.email.toUpperCase() }, 'email', 'An account with this email already exists.'],
    [{ ...base, fullName: '' }, 'fullName', 'Enter the full name (up to 200 characters).'],
    [{ ...base, role: 'customer' }, 'role', 'Choose staff or administrator.'],
    [{ ...base, role: 'root' }, 'role', 'Choose staff or administrator.'],
    [{ ...base, storeIds: [] }, 'storeIds', 'Choose at least one store'],
    [{ ...base, storeIds: '999999' }, 'storeIds', 'One of the stores does not exist.'],
    [{ ...base, storeIds: 'abc' }, 'storeIds', 'Choose stores from the list.'],
    [{ ...base, role: 'admin' }, 'storeIds', 'Only staff members are assigned to stores'],
    [{ ...base, password: 'short' }, 'password', 'Use at least 10 characters.'],
    [{ ...base, password: '' }, 'password', 'Enter the initial password, or choose to email a link.'],
    [{ ...base, password: 'aaaaaaaaaaaa' }, 'password', 'Choose a password that is not one repeated character.'],
    [{ ...base, password: base.email }, 'password', 'The password must not be your email address.'],
  ];
  for (const [form, field, message] of cases) {
    const res = await adminC.post('/users', form);
    t.equal(res.statusCode, 422, `${field}: ${message}`);
    const m = new RegExp(`id="field-${field}-error" class="field-error">([^<]*)<`).exec(res.body);
    t.match(m?.[1], message, `${field} message shown (${m?.[1]})`);
    t.notMatch(res.body, 'a perfectly fine pw', 'the password is never echoed');
  }
  t.same({ users: await userCount(), audit: await auditCount(), mail: await mailCount(config) }, before, 'nothing written, no mail');
});

t.test('create with an initial password: audited without secrets, can sign in', async (t) => {
  await adminC.get('/users/new');
  const res = await adminC.post('/users', { email: 'Set.Now@example.test', fullName: 'Set Now', role: 'staff', storeIds: [String(north.storeId), String(south.storeId)], passwordMode: 'set', password: 'initial password 1' });
  t.equal(res.statusCode, 303);
  const id = idFrom(res.headers.location);
  const page = await adminC.get(`/users/${id}`);
  t.match(page.body, 'Set Now was created with the password you chose.');
  t.match(page.body, '<a href="/stores/' + north.storeId + '">North</a>, <a href="/stores/' + south.storeId + '">South</a>');
  const ev = await one<{ after: Record<string, unknown>; actor: number }>(sql`select after, actor_id as actor from audit_events where entity = 'user' and entity_id = ${String(id)} and action = 'create'`);
  t.match(ev, { actor: admin.id, after: { email: 'Set.Now@example.test', role: 'staff', storeIds: [north.storeId, south.storeId] } });
  t.notMatch(JSON.stringify(ev.after), /password|argon/i, 'no password or hash in the audit log');
  const c = new Client(app);
  t.equal((await c.login('set.now@example.test', 'initial password 1')).statusCode, 303);
});

t.test('create with an emailed link: the link sets the password', async (t) => {
  await adminC.get('/users/new');
  const mails = await mailCount(config);
  const res = await adminC.post('/users', { email: 'invited@example.test', fullName: 'Invited Admin', role: 'admin', passwordMode: 'email' });
  t.equal(res.statusCode, 303);
  const id = idFrom(res.headers.location);
  t.equal(await mailCount(config), mails + 1);
  const mail = await decoded();
  t.match(mail, 'To: invited@example.test');
  t.match(mail, 'An administrator created an Order Inventory account for you');
  const token = /reset-password\?token=([A-Za-z0-9_-]+)/.exec(mail)![1]!;
  const c = new Client(app);
  t.equal((await c.get(`/reset-password?token=${token}`)).statusCode, 200);
  t.equal((await c.post('/reset-password', { token, password: 'my own password!', confirm: 'my own password!' })).statusCode, 303);
  t.equal((await c.login('invited@example.test', 'my own password!')).statusCode, 303);
  const audit = await one<{ n: number }>(sql`select count(*)::int as n from audit_events where entity_id = ${String(id)} and action = 'password_link_sent'`);
  t.equal(audit.n, 1);
});

t.test('edit: name, role and stores with optimistic locking, audited', async (t) => {
  const u = await makeUser(app, 'staff', { storeIds: [north.storeId] });
  const edit = await adminC.get(`/users/${u.id}/edit`);
  t.equal(edit.statusCode, 200);
  t.match(edit.body, 'name="version" value="1"');
  t.match(edit.body, new RegExp(`value="${north.storeId}" checked`));
  const saved = await adminC.post(`/users/${u.id}`, { email: u.email, fullName: 'Renamed Person', role: 'staff', storeIds: String(south.storeId), version: '1' });
  t.equal(saved.statusCode, 303);
  const row = await one<{ name: string; version: number; stores: number[] }>(sql`select full_name as name, version,
    array(select store_id from user_stores where user_id = ${u.id}) as stores from users where user_id = ${u.id}`);
  t.same(row, { name: 'Renamed Person', version: 2, stores: [south.storeId] });
  const ev = await one<{ before: Record<string, unknown>; after: Record<string, unknown> }>(sql`select before, after from audit_events where entity = 'user' and entity_id = ${String(u.id)} and action = 'update'`);
  t.same([ev.before.fullName, ev.before.storeIds, ev.before.version], [u.fullName, [north.storeId], 1]);
  t.same([ev.after.fullName, ev.after.storeIds, ev.after.version], ['Renamed Person', [south.storeId], 2]);

  const audit = await auditCount();
  const stale = await adminC.post(`/users/${u.id}`, { email: u.email, fullName: 'Stale Name', role: 'admin', version: '1' });
  t.equal(stale.statusCode, 409);
  t.match(stale.body, 'Someone else changed this user');
  t.match(stale.body, 'value="Renamed Person"');
  t.match(stale.body, 'name="version" value="2"');
  t.match(stale.body, 'Stale Name', 'attempted values shown');
  t.equal(await auditCount(), audit, 'nothing written');

  const promote = await adminC.post(`/users/${u.id}`, { email: u.email, fullName: 'Renamed Person', role: 'admin', version: '2' });
  t.equal(promote.statusCode, 303, 'promoted to admin (stores cleared)');
  const promoted = await one<{ role: string; stores: number[] }>(sql`select role, array(select store_id from user_stores where user_id = ${u.id}) as stores from users where user_id = ${u.id}`);
  t.same(promoted, { role: 'admin', stores: [] });
  const taken = await adminC.post(`/users/${u.id}`, { email: staff.email, fullName: 'X', role: 'admin', version: '3' });
  t.equal(taken.statusCode, 422);
  t.match(taken.body, 'An account with this email already exists.');
  const own = await adminC.post(`/users/${admin.id}`, { email: admin.email, fullName: admin.fullName, role: 'staff', storeIds: String(north.storeId), version: '1' });
  t.equal(own.statusCode, 422);
  t.match(own.body, 'You cannot change your own role.');
});

t.test('customer accounts: listed, role fixed, no edit form', async (t) => {
  const page = await adminC.get(`/users/${customer.id}`);
  t.equal(page.statusCode, 200);
  t.match(page.body, `/customers/${customer.customerId}`);
  t.notMatch(page.body, `/users/${customer.id}/edit`);
  const edit = await adminC.get(`/users/${customer.id}/edit`);
  t.match(edit.body, 'Customer accounts keep the customer role');
  t.notMatch(edit.body, `action="/users/${customer.id}"`);
  const audit = await auditCount();
  const res = await adminC.post(`/users/${customer.id}`, { email: customer.email, fullName: customer.fullName, role: 'staff', storeIds: String(north.storeId), version: '1' });
  t.equal(res.statusCode, 422);
  t.match(res.body, 'Customer accounts keep the customer role');
  const row = await one<{ role: string }>(sql`select role from users where user_id = ${customer.id}`);
  t.equal(row.role, 'customer');
  t.equal(await auditCount(), audit);
});

t.test('deactivation ends the web session and the API token at once; reactivation restores access', async (t) => {
  const u = await makeUser(app, 'staff', { storeIds: [north.storeId] });
  const c = new Client(app);
  await c.login(u.email, u.password);
  t.equal((await c.get('/stores')).statusCode, 200);
  const token = await apiLogin(app, u.email, u.password);
  t.equal((await app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } })).statusCode, 200);

  await adminC.get(`/users/${u.id}`);
  const res = await adminC.post(`/users/${u.id}/deactivate`);
  t.equal(res.statusCode, 303);
  const after = await adminC.get(`/users/${u.id}`);
  t.match(after.body, 'is deactivated and signed out everywhere.');
  t.match(after.body, '<strong id="user-status">Deactivated</strong>');

  t.equal((await c.get('/stores')).statusCode, 303, 'the existing session is signed out');
  t.equal((await app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } })).statusCode, 401, 'the token is dead');
  const rows = await one<{ sessions: number; live: number; active: boolean }>(sql`select
    (select count(*)::int from sessions where user_id = ${u.id} and ended_at is null) as sessions,
    (select count(*)::int from api_tokens where user_id = ${u.id} and revoked_at is null) as live,
    (select active from users where user_id = ${u.id}) as active`);
  t.same(rows, { sessions: 0, live: 0, active: false });
  t.equal((await new Client(app).login(u.email, u.password)).statusCode, 401, 'cannot sign in again');
  const ev = await one<{ before: { active: boolean }; after: { active: boolean } }>(sql`select before, after from audit_events where entity_id = ${String(u.id)} and action = 'deactivate'`);
  t.same([ev.before.active, ev.after.active], [true, false]);
  t.match((await adminC.get('/users?active=false')).body, `/users/${u.id}"`);

  await adminC.get(`/users/${u.id}`);
  t.equal((await adminC.post(`/users/${u.id}/reactivate`)).statusCode, 303);
  t.equal((await new Client(app).login(u.email, u.password)).statusCode, 303);
});

t.test('admins cannot deactivate themselves; the last admin stays', async (t) => {
  await adminC.get(`/users/${admin.id}`);
  const audit = await auditCount();
  const self = await adminC.post(`/users/${admin.id}/deactivate`);
  t.equal(self.statusCode, 409);
  t.match(self.body, 'You cannot deactivate your own account.');
  t.equal(await auditCount(), audit);
  t.equal((await one<{ active: boolean }>(sql`select active from users where user_id = ${admin.id}`)).active, true);
});

t.test('an admin mails a password reset link (no throttling), audited', async (t) => {
  await adminC.get(`/users/${staff.id}`);
  const mails = await mailCount(config);
  for (let i = 0; i < 3; i++) t.equal((await adminC.post(`/users/${staff.id}/password-link`)).statusCode, 303);
  t.equal(await mailCount(config), mails + 3);
  const mail = await decoded();
  t.match(mail, `To: ${staff.email}`);
  t.match(mail, 'An administrator asked for your Order Inventory password to be reset.');
  const live = await one<{ n: number }>(sql`select count(*)::int as n from password_resets where user_id = ${staff.id} and used_at is null`);
  t.equal(live.n, 1, 'a new link voids the older ones');
  t.equal((await adminC.post('/users/999999/password-link')).statusCode, 404);
});
