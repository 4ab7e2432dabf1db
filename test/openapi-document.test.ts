// The OpenAPI document says what the server does: CSV answers, each list's real sort fields (read
// from the keysets its queries run on), the Idempotency-Key rule, the error answers, item and
// quantity rules, id ranges, and links a client can follow from placing an order to refunding it.
import t from 'tap';
import { buildTestApp } from './helper.ts';
import { KEY_RE, checkIdempotencyKey } from '../src/lib/idempotency.ts';
import { storeKeyset } from '../src/modules/stores/repository.ts';
import { userKeyset } from '../src/modules/users/repository.ts';
import { orderKeyset } from '../src/modules/orders/repository.ts';
import { SORT_ALIASES } from '../src/modules/orders/schema.ts';
import { SHIPMENT_SORTS } from '../src/modules/shipments/repository.ts';
import { CUSTOMER_LIST_SORTS } from '../src/modules/customers/repository.ts';
import { CUSTOMER_ORDER_SORTS, CUSTOMER_SHIPMENT_SORTS } from '../src/modules/customers/history.ts';
import { PRODUCT_SORTS } from '../src/modules/products/repository.ts';
import { STOCK_SORTS } from '../src/modules/inventory/repository.ts';
import { movementKeyset } from '../src/modules/inventory/movements.ts';
import { DELIVERED_SORTS, STORE_PRODUCT_SORTS } from '../src/modules/inventory/reports.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const { app } = await buildTestApp(t);
const doc: Json = (await app.inject({ url: '/api/openapi.json' })).json();
const ops: Array<{ path: string; method: string; op: Json }> = [];
for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
  for (const method of ['get', 'put', 'post', 'patch', 'delete']) if (item[method]) ops.push({ path, method, op: item[method] });
}
const param = (op: Json, where: string, name: string): Json | undefined =>
  (op.parameters as Json[] | undefined)?.find((p) => p.in === where && p.name.toLowerCase() === name.toLowerCase());
const V1 = '/api/v1';

t.test('every list or report that takes format=csv declares text/csv for 200', async (t) => {
  const csvOps = ops.filter(({ op }) => JSON.stringify(param(op, 'query', 'format')?.schema ?? {}).includes('"csv"'));
  t.ok(csvOps.length >= 19, `${csvOps.length} operations take format=csv`);
  for (const { path, method, op } of csvOps) {
    t.ok(op.responses['200'].content['text/csv'], `${method} ${path} declares text/csv`);
    t.match(op.description, 'Accept: text/csv', `${method} ${path} says Accept: text/csv works`);
  }
});

t.test('sort is an enum of the fields the list query really sorts by', async (t) => {
  const expected: Record<string, readonly string[]> = {
    [`${V1}/customers/`]: CUSTOMER_LIST_SORTS,
    [`${V1}/customers/{id}/orders`]: CUSTOMER_ORDER_SORTS,
    [`${V1}/customers/{id}/shipments`]: CUSTOMER_SHIPMENT_SORTS,
    [`${V1}/products/`]: PRODUCT_SORTS,
    [`${V1}/stores/`]: Object.keys(storeKeyset.sorts),
    [`${V1}/users/`]: Object.keys(userKeyset.sorts),
    [`${V1}/inventory/`]: STOCK_SORTS,
    [`${V1}/inventory/movements`]: Object.keys(movementKeyset.sorts),
    [`${V1}/inventory/reports/store-products`]: STORE_PRODUCT_SORTS,
    [`${V1}/inventory/reports/delivered-units`]: DELIVERED_SORTS,
    [`${V1}/shipments/`]: SHIPMENT_SORTS,
    [`${V1}/orders/`]: [...Object.keys(orderKeyset.sorts), ...Object.keys(SORT_ALIASES)],
  };
  for (const [path, sorts] of Object.entries(expected)) {
    t.ok(sorts.length > 0, `${path} has sort fields`);
    t.same([...param(doc.paths[path].get, 'query', 'sort')!.schema.enum].sort(), [...sorts].sort(), `${path} sort enum`);
  }
  // No list may document sort as free text.
  for (const { path, method, op } of ops) {
    const sort = param(op, 'query', 'sort');
    if (sort) t.ok(sort.schema.enum?.length ?? sort.schema.anyOf?.length, `${method} ${path} sort is an enum`);
  }
});

t.test('Idempotency-Key: the rule the code checks, on every write that takes it', async (t) => {
  const takers = [[`${V1}/orders/`, 'post'], [`${V1}/shipments/`, 'post'], [`${V1}/inventory/receipts`, 'post'],
    [`${V1}/inventory/adjustments`, 'post'], [`${V1}/inventory/counts`, 'post'], [`${V1}/inventory/transfers`, 'post']];
  for (const [path, method] of takers) {
    const header = param(doc.paths[path!][method!], 'header', 'Idempotency-Key');
    t.equal(header?.name, 'Idempotency-Key', `${method} ${path}`);
    t.match(header?.schema, { type: 'string', minLength: 8, maxLength: 200, pattern: KEY_RE.source });
    t.ok(new RegExp(header?.schema.pattern).test(header?.example), 'its example is a valid key');
    t.equal(checkIdempotencyKey(header?.example), header?.example, 'and the server accepts the example');
  }
});

t.test('the error answers each operation can give, with the error body', async (t) => {
  for (const { path, method, op } of ops) {
    const codes = Object.keys(op.responses);
    t.ok(codes.includes('400'), `${method} ${path} declares 400`);
    if (path !== `${V1}/auth/login`) t.ok(codes.includes('401'), `${method} ${path} declares 401`);
    if (path.includes('{')) t.ok(codes.includes('404'), `${method} ${path} declares 404`);
    if (method !== 'get') t.ok(codes.includes('413') && codes.includes('415'), `${method} ${path} declares 413 and 415`);
    for (const code of codes.filter((c) => c >= '400')) {
      const schema = op.responses[code].content['application/json'].schema;
      t.ok(schema.$ref === '#/components/schemas/Error' || schema.required?.includes('message'), `${method} ${path} ${code} is an error body`);
    }
  }
  // An id past int4 in a query reaches PostgreSQL and is answered 422 (out of range).
  t.ok(doc.paths[`${V1}/shipments/`].get.responses['422'], 'shipments list declares 422');
  t.ok(doc.paths[`${V1}/inventory/reports/order-lines`].get.responses['422'], 'order lines declare 422');
  // A store filter naming another store is 403, an unknown store 404, on every read that takes one.
  for (const { path, method, op } of ops.filter(({ method, op }) => method === 'get' && param(op, 'query', 'storeId'))) {
    t.ok(op.responses['403'] && op.responses['404'], `${method} ${path} declares 403 and 404 for its store filter`);
  }
});

t.test('items, quantities and ids', async (t) => {
  const body = (path: string, method = 'post') => doc.paths[path][method].requestBody.content['application/json'].schema;
  const place = body(`${V1}/orders/`);
  t.equal(place.properties.items.minItems, 1, 'an order has at least one line');
  t.match(place.properties.items.items.properties.quantity, { type: 'integer', minimum: 1 });
  t.match(place.properties.items.items.properties.productId, { type: 'integer', minimum: 1, maximum: 2147483647 });
  t.equal(body(`${V1}/inventory/transfers`).properties.items.minItems, 1, 'a transfer has at least one line');
  t.equal(body(`${V1}/orders/{id}/actions/{action}`).properties.returns.minItems, 1, 'refund returns list at least one line');
  for (const { path, method, op } of ops) {
    for (const p of (op.parameters ?? []) as Json[]) {
      if (p.schema.type === 'integer' && (p.name === 'id' || p.name.endsWith('Id'))) {
        t.ok(p.schema.maximum <= Number.MAX_SAFE_INTEGER && p.schema.maximum >= 2147483647, `${method} ${path} ${p.name} has a maximum`);
      }
    }
  }
  t.equal(param(doc.paths[`${V1}/shipments/`].get, 'query', 'storeId')!.schema.maximum, 2147483647, 'a store id is an int4');
  t.equal(body(`${V1}/shipments/`).properties.orderId.maximum, Number.MAX_SAFE_INTEGER, 'an order id is a bigint');
});

t.test('links walk an order from placing to paying, shipping and refunding', async (t) => {
  const byId = new Map(ops.map((o) => [o.op.operationId as string, o]));
  t.equal(byId.size, ops.length, 'every operation has its own operationId');
  const links = (path: string, status: string, method = 'post') => doc.paths[path][method].responses[status].links ?? {};
  const target = (l: Json) => byId.get(l.operationId);

  const placed = links(`${V1}/orders/`, '201');
  t.equal(target(placed.GetOrder)?.path, `${V1}/orders/{id}`);
  t.same(placed.PayOrder.parameters, { id: '$response.body#/orderId', action: 'pay' });
  t.equal(target(placed.PayOrder)?.path, `${V1}/orders/{id}/actions/{action}`);
  const paid = links(`${V1}/orders/{id}/actions/{action}`, '200');
  t.equal(target(paid.CreateShipment)?.path, `${V1}/shipments/`);
  t.same(paid.CreateShipment.requestBody, { orderId: '$response.body#/orderId' });
  const created = links(`${V1}/shipments/`, '201');
  t.same(created.ShipShipment.parameters, { id: '$response.body#/shipmentId', action: 'ship' });
  const moved = links(`${V1}/shipments/{id}/actions/{action}`, '200');
  t.same(moved.DeliverShipment.parameters, { id: '$response.body#/shipmentId', action: 'deliver' });
  t.same(moved.RefundOrder.parameters, { id: '$response.body#/orderId', action: 'refund' });
  t.match(moved.RefundOrder.requestBody, { returns: [{ lineItemId: '$response.body#/items/0/lineItemId' }] });
  t.equal(target(links(`${V1}/customers/`, '201').getById)?.path, `${V1}/customers/{id}`);
  // Every link names an operation of this document.
  for (const { path, method, op } of ops) {
    for (const [status, answer] of Object.entries(op.responses as Record<string, Json>)) {
      for (const [name, l] of Object.entries((answer.links ?? {}) as Record<string, Json>)) t.ok(target(l), `${method} ${path} ${status} link ${name}`);
    }
  }
  t.match(doc.paths[`${V1}/orders/`].post.requestBody.content['application/json'].example, { storeId: 1, items: [{ productId: 1, quantity: 1 }] });
});

t.test('every list the document says answers CSV does so for Accept: text/csv too', async (t) => {
  const { makeUser, apiLogin } = await import('./helper.ts');
  const admin = await makeUser(app, 'admin');
  const token = await apiLogin(app, admin.email, admin.password);
  const auth = { authorization: `Bearer ${token}` };
  const customer = (await app.inject({ method: 'POST', url: `${V1}/customers/`, headers: auth, payload: { emailAddress: 'csv-accept@example.test', fullName: 'Csv Accept' } })).json();
  const csvOps = ops.filter(({ op }) => op.responses['200']?.content?.['text/csv']);
  for (const { path, op } of csvOps) {
    if ((op.parameters as Json[]).some((p) => p.in === 'query' && p.required)) continue; // order-lines needs an order id
    const url = path.replace('{id}', String(customer.customerId));
    const res = await app.inject({ url, headers: { ...auth, accept: 'text/csv' } });
    t.equal(res.statusCode, 200, `${url} ${res.statusCode === 200 ? '' : res.body}`);
    t.match(res.headers['content-type'], /^text\/csv/, `${url} answers CSV`);
  }
});
