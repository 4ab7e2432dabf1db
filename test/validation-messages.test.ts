// Validation messages are sentences a person understands, one per problem and the same on every
// list, API and pages: a union of allowed values (sort, format) is one message, not one per
// branch; and a 404 names what was not found.
import t from 'tap';
import { apiLogin, buildTestApp, makeUser, Client } from './helper.ts';

const { app } = await buildTestApp(t);
const admin = await makeUser(app, 'admin');
const auth = { authorization: `Bearer ${await apiLogin(app, admin.email, admin.password)}` };
const SORT = /^Cannot sort by "bogus"\. Sortable fields: \w+(, \w+)*\.$/;

t.test('bad list parameters: one sentence per field (API)', async (t) => {
  const lists = ['/api/v1/products', '/api/v1/customers', '/api/v1/orders', '/api/v1/shipments', '/api/v1/stores', '/api/v1/users', '/api/v1/inventory', '/api/v1/inventory/movements'];
  for (const url of lists) {
    const sort = await app.inject({ url: `${url}?sort=bogus`, headers: auth });
    t.equal(sort.statusCode, 400, `${url}?sort=bogus`);
    t.match(sort.json().message, SORT, `${url}?sort=bogus: ${sort.json().message}`);
    t.equal(sort.json().errors.length, 1, `${url}: one error`);
    t.same(sort.json().errors[0].field, 'sort');
    const limit = await app.inject({ url: `${url}?limit=100000`, headers: auth });
    t.same(limit.json(), { status: 400, message: 'limit must be between 1 and 200.', errors: [{ field: 'limit', message: 'limit must be between 1 and 200.' }] }, `${url}?limit=100000`);
    const format = await app.inject({ url: `${url}?format=xml`, headers: auth });
    t.equal(format.statusCode, 400);
    t.match(format.json().message, /^format must be one of: [a-z]+(, [a-z]+)*\.$/, `${url}?format=xml: ${format.json().message}`);
  }
  const store = await app.inject({ url: '/api/v1/inventory?storeId=abc', headers: auth });
  t.equal(store.json().message, 'storeId must be a whole number.');
  const two = await app.inject({ url: '/api/v1/customers?limit=0&sort=bogus', headers: auth });
  t.equal(two.json().errors.length, 2, 'two fields, two errors');
  t.notMatch(two.json().message, /has invalid fields|must be equal to constant|anyOf/);
});

t.test('the same sentences on HTML 400 pages', async (t) => {
  const client = new Client(app);
  await client.login(admin.email, admin.password);
  const limit = await client.get('/customers?limit=100000');
  t.equal(limit.statusCode, 400);
  t.match(limit.body, 'limit must be between 1 and 200.');
  t.notMatch(limit.body, /has invalid fields/);
  const store = await client.get('/inventory?storeId=abc');
  t.equal(store.statusCode, 400);
  t.match(store.body, 'storeId must be a whole number.');
});

t.test('a 404 names what was not found', async (t) => {
  const cases: Array<[string, string]> = [
    ['/api/v1/customers/999999', 'Customer #999999 was not found.'],
    ['/api/v1/customers/999999/orders', 'Customer #999999 was not found.'],
    ['/api/v1/customers/999999/shipments', 'Customer #999999 was not found.'],
    ['/api/v1/products/999999', 'Product #999999 was not found.'],
    ['/api/v1/stores/999999', 'Store #999999 was not found.'],
    ['/api/v1/shipments/999999', 'Shipment #999999 was not found.'],
    ['/api/v1/orders/999999', 'Order #999999 was not found.'],
    ['/api/v1/users/999999', 'User #999999 was not found.'],
  ];
  for (const [url, message] of cases) {
    const res = await app.inject({ url, headers: auth });
    t.equal(res.statusCode, 404, url);
    t.equal(res.json().message, message, url);
  }
});

t.test('a page 404 names what was not found too', async (t) => {
  const c = new Client(app);
  await c.login(admin.email, admin.password);
  const cases: Array<[string, string]> = [
    ['/customers/999999/edit', 'Customer #999999 was not found.'],
    ['/products/999999', 'Product #999999 was not found.'],
    ['/products/999999/edit', 'Product #999999 was not found.'],
    ['/stores/999999', 'Store #999999 was not found.'],
    ['/stores/999999/edit', 'Store #999999 was not found.'],
    ['/users/999999', 'User #999999 was not found.'],
    ['/users/999999/edit', 'User #999999 was not found.'],
    ['/shipments/999999', 'Shipment #999999 was not found.'],
  ];
  for (const [url, message] of cases) {
    const res = await c.get(url);
    t.equal(res.statusCode, 404, url);
    t.ok(res.body.includes(message), `${url}: ${message}`);
  }
});
