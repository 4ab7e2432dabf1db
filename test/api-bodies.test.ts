// What the JSON API takes as a body: JSON only (a form, multipart, text or XML body is 415 and
// writes nothing, on every write route found in the app's route list), and no body at all where
// every field is optional (the order and shipment actions): none, an empty one sent as JSON, `{}`.
import t from 'tap';
import { buildTestApp } from './helper.ts';
import { recordRoutes, poolFor, fingerprinter, changedTables } from './fuzz-helpers.ts';
import { buildWorld, FUZZ_CONFIG } from './fuzz-world.ts';

const recorder = recordRoutes();
const { app } = await buildTestApp(t, FUZZ_CONFIG);
await app.ready();
recorder.stop();
const world = await buildWorld(app);
const fingerprint = await fingerprinter(app.db);
const admin = { authorization: `Bearer ${world.roles.admin.token}` };
// Signing out would end the token the loop uses: it has its own test below.
const writes = recorder.routes.filter((r) => r.url.startsWith('/api/v1/') && ['POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method) && !r.url.endsWith('/auth/logout'));

const OTHER_BODIES: Array<[string, string]> = [
  ['application/x-www-form-urlencoded', 'emailAddress=form-check%40example.org&fullName=Form+Two&storeId=1&quantity=1'],
  ['multipart/form-data; boundary=xyz', '--xyz\r\ncontent-disposition: form-data; name="fullName"\r\n\r\nForm\r\n--xyz--\r\n'],
  ['text/plain', '{"fullName":"Text"}'],
  ['application/xml', '<customer><fullName>X</fullName></customer>'],
  ['text/csv', 'fullName\nX\n'],
];

t.test('every API write refuses a body that is not JSON with 415, and writes nothing', async (t) => {
  t.ok(writes.length >= 20, `${writes.length} write routes`);
  const before = await fingerprint();
  const problems: string[] = [];
  for (const route of writes) {
    const params = [...route.url.matchAll(/:(\w+)/g)].map((m) => m[1]!);
    const url = params.reduce((u, p) => u.replace(`:${p}`, encodeURIComponent(String(poolFor(route.url, p, world.pools, route.schema?.params)[0]))), route.url);
    for (const [type, payload] of OTHER_BODIES) {
      const res = await app.inject({ method: route.method as 'POST', url, payload, headers: { ...admin, 'content-type': type } });
      if (res.statusCode !== 415) problems.push(`${route.method} ${url} (${type}) → ${res.statusCode}`);
      else if (res.json().status !== 415) problems.push(`${route.method} ${url} (${type}): body ${res.body}`);
    }
  }
  t.same(problems, []);
  t.same(changedTables(before, await fingerprint()), [], 'nothing written');
});

t.test('the form body from the assessment creates no customer', async (t) => {
  const res = await app.inject({
    method: 'POST', url: '/api/v1/customers/', headers: { ...admin, 'content-type': 'application/x-www-form-urlencoded' },
    payload: 'emailAddress=form-check-2%40example.org&fullName=Form+Two',
  });
  t.equal(res.statusCode, 415);
  t.equal(res.json().message, 'This content type is not supported.');
  t.equal(res.headers['content-type'], 'application/json; charset=utf-8');
  const found = await app.inject({ method: 'GET', url: '/api/v1/customers/?q=form-check-2', headers: admin });
  t.same(found.json().items, []);
});

// The three ways of sending "nothing".
const EMPTY: Array<[string, { payload?: string; headers?: Record<string, string> }]> = [
  ['no body', {}],
  ['an empty JSON body', { payload: '', headers: { 'content-type': 'application/json' } }],
  ['{}', { payload: '{}', headers: { 'content-type': 'application/json' } }],
];

async function api(method: 'POST' | 'GET', url: string, payload?: object) {
  const res = await app.inject({ method, url, payload, headers: admin });
  if (res.statusCode >= 300) throw new Error(`${method} ${url} → ${res.statusCode} ${res.body}`);
  return res.json();
}
const newOrder = () => api('POST', '/api/v1/orders', { customerId: world.pools.customers![0], storeId: world.storeA, items: [{ productId: world.stocked[0], quantity: 1 }] });

t.test('the order and shipment actions take no body, an empty one or {}', async (t) => {
  for (const [label, send] of EMPTY) {
    const act = (url: string) => app.inject({ method: 'POST', url, headers: { ...admin, ...send.headers }, ...(send.payload !== undefined ? { payload: send.payload } : {}) });
    const cancelled = await newOrder();
    const c = await act(`/api/v1/orders/${cancelled.orderId}/actions/cancel`);
    t.equal(c.statusCode, 200, `cancel with ${label}: ${c.body}`);
    t.equal(c.json().orderStatus, 'CANCELLED');

    const order = await newOrder();
    const p = await act(`/api/v1/orders/${order.orderId}/actions/pay`);
    t.equal(p.statusCode, 200, `pay with ${label}: ${p.body}`);
    const shipment = await api('POST', '/api/v1/shipments', { orderId: order.orderId, deliveryAddress: '1 Test Street' });
    for (const [action, status] of [['ship', 'SHIPPED'], ['transit', 'IN-TRANSIT'], ['deliver', 'DELIVERED']] as const) {
      const s = await act(`/api/v1/shipments/${shipment.shipmentId}/actions/${action}`);
      t.equal(s.statusCode, 200, `${action} with ${label}: ${s.body}`);
      t.equal(s.json().shipmentStatus, status);
    }
    const r = await act(`/api/v1/orders/${order.orderId}/actions/refund`);
    t.equal(r.statusCode, 200, `refund with ${label}: ${r.body}`);
    t.equal(r.json().orderStatus, 'REFUNDED');
  }
});

t.test('sign-out through the API refuses a form body and keeps the token', async (t) => {
  const token = (await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: world.roles.staff.email, password: world.roles.staff.password } })).json().token;
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'a=1' });
  t.equal(res.statusCode, 415);
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } })).statusCode, 200);
});

t.test('sign-out through the API takes no body, an empty one or {}', async (t) => {
  for (const [label, send] of EMPTY) {
    const token = (await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: world.roles.staff.email, password: world.roles.staff.password } })).json().token;
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { authorization: `Bearer ${token}`, ...send.headers }, ...(send.payload !== undefined ? { payload: send.payload } : {}) });
    t.ok(res.statusCode < 300, `logout with ${label}: ${res.statusCode} ${res.body}`);
  }
});

t.test('a body that must be there is still required', async (t) => {
  for (const [label, send] of EMPTY.slice(0, 2)) {
    const res = await app.inject({ method: 'POST', url: '/api/v1/customers', headers: { ...admin, ...send.headers }, ...(send.payload !== undefined ? { payload: send.payload } : {}) });
    t.equal(res.statusCode, 400, `create a customer with ${label}`);
    t.equal(res.json().status, 400);
  }
});
