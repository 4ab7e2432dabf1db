import t from 'tap';
import { sql } from 'drizzle-orm';
import { buildTestApp, makeUser, apiLogin } from './helper.ts';
import { queryRows } from '../src/db/client.ts';
import { BAD_CREDENTIALS } from '../src/modules/auth/service.ts';

const { app } = await buildTestApp(t);
const staff = await makeUser(app, 'staff');

t.test('login returns a bearer token that works for /me', async (t) => {
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: staff.email, password: staff.password } });
  t.equal(res.statusCode, 200);
  const body = res.json();
  t.match(body, { token: String, expiresAt: String, user: { id: staff.id, email: staff.email, role: 'staff' } });
  t.ok(new Date(body.expiresAt).getTime() > Date.now());
  const stored = await queryRows<{ token_hash: string }>(app.db, sql`select token_hash from api_tokens where user_id = ${staff.id}`);
  t.ok(stored.length >= 1);
  t.not(stored[0]!.token_hash, body.token, 'only the hash is stored');
  const me = await app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${body.token}` } });
  t.equal(me.statusCode, 200);
  t.match(me.json(), { id: staff.id, email: staff.email, role: 'staff', storeIds: [] });
  t.notOk(me.headers['set-cookie'], 'the API sets no cookies');
});

t.test('bad credentials: 401 with one message for unknown and wrong', async (t) => {
  const wrong = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: staff.email, password: 'nope nope' } });
  const unknown = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'ghost@example.test', password: 'nope nope' } });
  t.equal(wrong.statusCode, 401);
  t.equal(unknown.statusCode, 401);
  t.same(wrong.json(), { status: 401, message: BAD_CREDENTIALS });
  t.same(unknown.json(), wrong.json());
});

t.test('malformed bodies get 400 with field errors, never 500', async (t) => {
  const cases: Array<[string, unknown, string?]> = [
    ['missing fields', {}],
    ['wrong types', { email: 5, password: ['x'] }],
    ['extra fields', { email: 'a@b.co', password: 'x', admin: true }],
    ['huge email', { email: 'a'.repeat(10_000), password: 'x' }],
  ];
  for (const [name, payload] of cases) {
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: payload as object });
    t.equal(res.statusCode, 400, name);
    t.equal(res.json().status, 400, `${name}: status in body`);
    t.ok(Array.isArray(res.json().errors) && res.json().errors.length, `${name}: field errors`);
  }
  const broken = await app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'content-type': 'application/json' }, payload: '{"email":' });
  t.equal(broken.statusCode, 400);
  t.match(broken.json(), { status: 400, message: /not valid JSON/ });
  t.notMatch(broken.body, /at .*\.ts:\d+/, 'no stack trace');
  const big = await app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ email: 'x'.repeat(2_000_000), password: 'x' }) });
  t.equal(big.statusCode, 413);
  const text = await app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'content-type': 'text/plain' }, payload: 'hello' });
  t.equal(text.statusCode, 415);
});

t.test('calls without a valid token are 401', async (t) => {
  for (const authorization of [undefined, 'Bearer', 'Bearer short', 'Basic abc', `Bearer ${'x'.repeat(43)}`]) {
    const res = await app.inject({ url: '/api/v1/me', headers: authorization ? { authorization } : {} });
    t.equal(res.statusCode, 401, String(authorization));
    t.equal(res.json().status, 401);
  }
});

t.test('logout revokes the token; deactivation and expiry end tokens at once', async (t) => {
  const token = await apiLogin(app, staff.email, staff.password);
  const out = await app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { authorization: `Bearer ${token}` } });
  t.equal(out.statusCode, 204);
  t.equal((await app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } })).statusCode, 401);

  const u = await makeUser(app, 'staff');
  const t2 = await apiLogin(app, u.email, u.password);
  await app.db.execute(sql`update users set active = false where user_id = ${u.id}`);
  t.equal((await app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${t2}` } })).statusCode, 401);

  const t3 = await apiLogin(app, staff.email, staff.password);
  await app.db.execute(sql`update api_tokens set expires_at = now() - interval '1 second' where user_id = ${staff.id}`);
  t.equal((await app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${t3}` } })).statusCode, 401);
});

t.test('API errors are JSON, including unknown routes', async (t) => {
  const res = await app.inject({ url: '/api/v1/nothing-here' });
  t.equal(res.statusCode, 404);
  t.match(res.json(), { status: 404, message: /No route/ });
});

t.test('OpenAPI document and docs', async (t) => {
  const doc = await app.inject({ url: '/api/openapi.json' });
  t.equal(doc.statusCode, 200);
  const json = doc.json();
  t.equal(json.openapi, '3.0.3');
  t.ok(json.paths['/api/v1/auth/login']?.post, 'login is documented');
  t.ok(json.paths['/api/v1/me']?.get, '/me is documented');
  t.notOk(json.paths['/login'], 'pages are not in the API document');
  const docs = await app.inject({ url: '/api/docs/' });
  t.equal(docs.statusCode, 200);
  t.match(docs.body, /swagger/i);
});

t.test('each staff member is scoped to their own stores (regression: a correlated subquery once matched every user)', async (t) => {
  const { stores } = await import('../src/db/schema/index.ts');
  const [a, b] = await app.db.insert(stores).values([{ storeName: 'Scope A', webAddress: 'https://a.example' }, { storeName: 'Scope B', webAddress: 'https://b.example' }]).returning();
  const ua = await makeUser(app, 'staff', { storeIds: [a!.storeId] });
  const ub = await makeUser(app, 'staff', { storeIds: [b!.storeId] });
  for (const [u, expected] of [[ua, [a!.storeId]], [ub, [b!.storeId]]] as const) {
    const token = await apiLogin(app, u.email, u.password);
    const me = await app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });
    t.same(me.json().storeIds, expected);
  }
});
