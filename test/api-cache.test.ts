// Every JSON answer of the API says `Cache-Control: no-store` (records, lists, errors, unknown
// routes): the answers carry customer data and a shared cache or the browser must not keep them.
import t from 'tap';
import { apiLogin, buildTestApp, makeUser } from './helper.ts';

const { app } = await buildTestApp(t);
const admin = await makeUser(app, 'admin');
const auth = { authorization: `Bearer ${await apiLogin(app, admin.email, admin.password)}` };

t.test('API answers are not stored', async (t) => {
  const created = await app.inject({ method: 'POST', url: '/api/v1/customers', headers: auth, payload: { fullName: 'Cache Test', emailAddress: 'cache@example.test' } });
  t.equal(created.statusCode, 201);
  const requests: Array<[string, string, Record<string, string>]> = [
    ['GET', '/api/v1/me', auth],
    ['GET', '/api/v1/customers', auth],
    ['GET', `/api/v1/customers/${created.json().customerId}`, auth],
    ['GET', '/api/v1/customers?format=csv', auth],
    ['GET', '/api/v1/orders', auth],
    ['GET', '/api/v1/customers/999999', auth],
    ['GET', '/api/v1/customers', {}],
    ['GET', '/api/v1/nothing-here', auth],
  ];
  for (const [method, url, headers] of requests) {
    const res = await app.inject({ method: method as 'GET', url, headers });
    t.equal(res.headers['cache-control'], 'no-store', `${method} ${url} → ${res.statusCode}`);
  }
  t.equal(created.headers['cache-control'], 'no-store', 'POST');
});
