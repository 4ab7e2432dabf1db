import t from 'tap';
import { sql } from 'drizzle-orm';
import { buildTestApp, Client, makeUser } from './helper.ts';
import { csvLines } from './csv-rows.ts';
import { queryRows } from '../src/db/client.ts';
import { recordAudit, type Actor } from '../src/lib/audit.ts';
import { recentHistory, changedFields, entityHref } from '../src/modules/audit/repository.ts';

const { app } = await buildTestApp(t);
const admin = await makeUser(app, 'admin');
const staff = await makeUser(app, 'staff');
const customer = await makeUser(app, 'customer');
const adminC = new Client(app);
await adminC.login(admin.email, admin.password);

const actor: Actor = { userId: admin.id, email: admin.email };
// A product's history: created, then two edits (one with markup in a value).
await recordAudit(app.db, actor, { action: 'create', entity: 'product', entityId: 42, after: { productName: 'Tee', unitPrice: '10.00', colour: 'red' } });
await recordAudit(app.db, actor, { action: 'update', entity: 'product', entityId: 42, before: { productName: 'Tee', unitPrice: '10.00', colour: 'red', updatedAt: 'a' }, after: { productName: 'Tee', unitPrice: '12.50', colour: 'red', updatedAt: 'b' } });
await recordAudit(app.db, { userId: staff.id, email: staff.email }, { action: 'update', entity: 'product', entityId: 42, before: { productName: 'Tee' }, after: { productName: '<script>alert(1)</script>' } });
await recordAudit(app.db, actor, { action: 'update', entity: 'product', entityId: 7, before: { colour: 'blue' }, after: { colour: 'green' } });
await recordAudit(app.db, actor, { action: 'delete', entity: 'customer', entityId: 5, before: { fullName: 'Gone Person', passwordHash: 'secret-hash' } });
await recordAudit(app.db, actor, { action: 'recount', entity: 'inventory', entityId: '3:9', after: { onHand: 4 } });

const ids = (body: string) => [...body.matchAll(/<tr id="audit-(\d+)">/g)].map((m) => Number(m[1]));

t.test('only admins: staff and customers get 403', async (t) => {
  for (const u of [staff, customer]) {
    const c = new Client(app);
    await c.login(u.email, u.password);
    for (const url of ['/audit', '/audit?entity=product&entityId=42', '/audit?format=csv']) {
      t.equal((await c.get(url)).statusCode, 403, `${u.role} ${url}`);
    }
  }
});

t.test('newest first with links, diffs of changed fields only, escaped', async (t) => {
  const res = await adminC.get('/audit');
  t.equal(res.statusCode, 200);
  t.match(res.body, '<a href="/audit" aria-current="page">Audit</a>');
  const shown = ids(res.body);
  t.same(shown, [...shown].sort((a, b) => b - a), 'newest first');
  t.match(res.body, '<a href="/products/42">#42</a>');
  t.match(res.body, '<a href="/customers/5">#5</a>');
  t.match(res.body, 'inventory #3:9', 'no link where the record has no page');
  t.match(res.body, `<a href="/users/${admin.id}">${admin.email}</a>`);
  t.match(res.body, '&lt;script&gt;alert(1)&lt;/script&gt;');
  t.notMatch(res.body, '<script>alert(1)</script>');
  t.notMatch(res.body, 'secret-hash', 'secrets are scrubbed before they are stored');
  const [priceRow] = await queryRows<{ id: number }>(app.db, sql`select audit_id as id from audit_events where entity = 'product' and after->>'unitPrice' = '12.50'`);
  const row = new RegExp(`<tr id="audit-${priceRow!.id}">[\\s\\S]*?</details>`).exec(res.body)![0];
  t.match(row, '<details class="audit-diff">');
  t.match(row, '1 field: unitPrice');
  t.match(row, '<th scope="row">unitPrice</th><td><del>10.00</del></td><td><ins>12.50</ins></td>');
  t.notMatch(row, 'colour', 'unchanged fields are not shown');
  t.notMatch(row, 'updatedAt', 'bookkeeping columns are not shown');
});

t.test("a record's history: /audit?entity=product&entityId=42", async (t) => {
  const res = await adminC.get('/audit?entity=product&entityId=42');
  t.equal(res.statusCode, 200);
  t.match(res.body, 'History of product 42');
  const rows = await queryRows<{ id: number }>(app.db, sql`select audit_id as id from audit_events where entity = 'product' and entity_id = '42' order by audit_id desc`);
  t.same(ids(res.body), rows.map((r) => Number(r.id)));
  const history = await recentHistory(app.db, 'product', 42, 2);
  t.equal(history.length, 2);
  t.same(history.map((h) => h.auditId), rows.slice(0, 2).map((r) => Number(r.id)));
  t.same(history[0]!.changes, [{ field: 'productName', before: 'Tee', after: '<script>alert(1)</script>' }]);
  t.equal(history[0]!.href, '/products/42');
});

t.test('filters: entity, entity id, actor by email or id, action, dates; blank means any', async (t) => {
  const count = async (url: string) => ids((await adminC.get(url)).body).length;
  t.equal(await count('/audit?entity=product'), 4);
  t.equal(await count('/audit?entity=product&entityId=7'), 1);
  t.equal(await count(`/audit?entity=product&actor=${encodeURIComponent(staff.email.slice(0, 8))}`), 1, 'actor by part of the email');
  t.equal(await count(`/audit?entity=product&actor=${staff.id}`), 1, 'actor by id');
  t.equal(await count('/audit?action=delete'), 1);
  t.equal(await count('/audit?action=recount&entity=&entityId=&actor=&from=&to='), 1, 'blank fields are ignored');
  const today = new Date().toISOString().slice(0, 10);
  t.equal(await count(`/audit?entity=product&from=${today}&to=${today}`), 4);
  t.equal(await count('/audit?entity=product&to=2000-01-01'), 0);
  t.equal(await count('/audit?entity=product&from=2999-01-01'), 0);
  const bad = await adminC.get('/audit?from=2024-02-31');
  t.equal(bad.statusCode, 400);
  t.match(bad.body, 'is not a date');
  t.equal((await adminC.get('/audit?from=yesterday')).statusCode, 400);
  const none = await adminC.get('/audit?entity=nothing');
  t.match(none.body, 'No audit events match these filters.');
});

t.test('keyset pagination walks every event exactly once, both ways; fragment for htmx', async (t) => {
  const [{ n }] = await queryRows<{ n: number }>(app.db, sql`select count(*)::int as n from audit_events`) as [{ n: number }];
  const seen: number[] = [];
  let url: string | null = '/audit?limit=3';
  const pages: string[] = [];
  while (url) {
    const res = await adminC.get(url, { 'hx-request': 'true' });
    t.match(res.body, /^<div id="audit-rows"/);
    pages.push(url);
    seen.push(...ids(res.body));
    const next = /href="([^"]*)"[^>]*rel="next"/.exec(res.body);
    url = next ? next[1]!.replace(/&amp;/g, '&') : null;
  }
  t.equal(seen.length, n);
  t.equal(new Set(seen).size, n, 'no duplicates');
  t.same(seen, [...seen].sort((a, b) => b - a));
  const last = await adminC.get(pages.at(-1)!);
  const prev = /href="([^"]*)"[^>]*rel="prev"/.exec(last.body);
  t.ok(prev, 'a previous-page link');
  const back = await adminC.get(prev![1]!.replace(/&amp;/g, '&'));
  t.same(ids(back.body), seen.slice((pages.length - 2) * 3, (pages.length - 1) * 3));
  t.equal((await adminC.get('/audit?cursor=junk')).statusCode, 400);
});

t.test('CSV export with the current filters', async (t) => {
  const res = await adminC.get('/audit?format=csv&entity=product&entityId=42');
  t.equal(res.statusCode, 200);
  t.match(String(res.headers['content-disposition']), 'audit.csv');
  const lines = csvLines(res.body);
  t.equal(lines[0], 'auditId,createdAt,actorId,actorEmail,action,entity,entityId,changedFields,before,after,requestId,ip');
  t.equal(lines.length, 4);
  t.match(res.body, 'unitPrice');
  const login = await adminC.get('/audit?format=csv&action=login');
  t.ok(csvLines(login.body).length >= 2, 'sign-ins are in the log');
});

t.test('changedFields and entityHref', async (t) => {
  t.same(changedFields(null, { a: 1 }), [{ field: 'a', before: '', after: '1' }]);
  t.same(changedFields({ a: [1, 2] }, null), [{ field: 'a', before: '[1,2]', after: '' }]);
  t.same(changedFields({ a: 1, b: { c: 1 } }, { a: 1, b: { c: 2 } }), [{ field: 'b', before: '{"c":1}', after: '{"c":2}' }]);
  t.same(changedFields('x', 'y'), [{ field: 'value', before: 'x', after: 'y' }]);
  t.same(changedFields(null, null), []);
  t.equal(changedFields(null, { long: 'x'.repeat(600) })[0]!.after.length, 501);
  t.equal(entityHref('order', '17'), '/orders/17');
  t.equal(entityHref('user', null), null);
  t.equal(entityHref('session', '1'), null);
});

t.test('store and user pages include their history', async (t) => {
  await adminC.get('/stores/new');
  const res = await adminC.post('/stores', { storeName: 'Audited Store', physicalAddress: '1 Log Lane' });
  const page = await adminC.get(String(res.headers.location));
  t.match(page.body, 'id="store-history"');
  t.match(page.body, /<td>create<\/td>/);
  const userPage = await adminC.get(`/users/${admin.id}`);
  t.match(userPage.body, 'id="user-history"');
  t.match(userPage.body, /<td>login<\/td>/);
  t.match(userPage.body, `href="/audit?entity=user&amp;entityId=${admin.id}"`);
});
