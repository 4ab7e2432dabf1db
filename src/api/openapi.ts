// The cross-cutting parts of the OpenAPI document, added in one place instead of 54 route schemas:
// the error answers every operation can give, CSV answers, `sort` enums read from the lists'
// keyset definitions, the Idempotency-Key rule, id ranges, examples and the links that walk an
// order from placing to paying, shipping and refunding. The routes keep describing their own
// bodies; this file only says what the server does around them, from the same constants.
import type { FastifySchema, RouteOptions } from 'fastify';
import { KEY_RE } from '../lib/idempotency.ts';
import { storeKeyset } from '../modules/stores/repository.ts';
import { userKeyset } from '../modules/users/repository.ts';
import { orderKeyset } from '../modules/orders/repository.ts';
import { SORT_ALIASES } from '../modules/orders/schema.ts';
import { SHIPMENT_SORTS } from '../modules/shipments/repository.ts';
import { CUSTOMER_LIST_SORTS } from '../modules/customers/repository.ts';
import { CUSTOMER_ORDER_SORTS, CUSTOMER_SHIPMENT_SORTS } from '../modules/customers/history.ts';
import { PRODUCT_SORTS } from '../modules/products/repository.ts';
import { STOCK_SORTS } from '../modules/inventory/repository.ts';
import { movementKeyset } from '../modules/inventory/movements.ts';
import { DELIVERED_SORTS, STORE_PRODUCT_SORTS } from '../modules/inventory/reports.ts';

const INT4_MAX = 2147483647;
const V1 = '/api/v1';

/** What each list accepts as `sort`, from the keysets its query runs on (orders also take the
 * short aliases people type in an address bar). A new list must be added here: the document
 * test fails for a `sort` parameter without an enum. */
export const LIST_SORTS: Record<string, readonly string[]> = {
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

/** Order ids are bigint (the largest exact JavaScript integer); every other id is an int4. */
const BIGINT_IDS = new Set(['orderId']);

const ERROR_TEXT: Record<number, string> = {
  400: 'The request is malformed or does not match this operation\'s parameters or body.',
  401: 'No valid bearer token.',
  403: 'The token\'s user may not do this.',
  404: 'The record (or one it names) does not exist or is not visible to the caller.',
  409: 'Conflict: the record changed since the version sent, or stock is short.',
  413: 'The body is larger than the server accepts.',
  415: 'The body is not JSON (`Content-Type: application/json`).',
  422: 'The request is well-formed but breaks a business rule, or a number is out of the range the database holds.',
  429: 'Too many attempts: wait and retry.',
};

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;
const WITH_BODY = new Set(['post', 'put', 'patch', 'delete']);
const STORE_FILTERS = ['storeId', 'fromStoreId', 'toStoreId'];
const isId = (name: string) => name === 'id' || /Id$/.test(name);

/** @fastify/swagger `transform`: names each operation after its route handler (listOrdersApi,
 * placeOrderApi…), so links and generated clients have stable operation ids. */
export function nameOperation({ schema, url, route }: { schema: FastifySchema; url: string; route: RouteOptions }) {
  const name = (route.handler as { name?: string }).name;
  const named = schema && !(schema as Json).operationId && name && name !== 'anonymous' ? { ...schema, operationId: name } : schema;
  return { schema: named, url };
}

/** Walks a JSON schema (inline, as @fastify/swagger writes route schemas). */
function walk(schema: Json | undefined, visit: (s: Json, name: string) => void, name = '') {
  if (!schema || typeof schema !== 'object') return;
  visit(schema, name);
  for (const [k, s] of Object.entries((schema.properties ?? {}) as Json)) walk(s as Json, visit, k);
  if (schema.items) walk(schema.items, visit, name);
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) for (const s of (schema[key] ?? []) as Json[]) walk(s, visit, name);
}

/** True when an integer field has no upper bound: a value past what PostgreSQL holds reaches
 * the database and is answered 422 ("out of the allowed range"). */
function hasUnboundedInt(op: Json): boolean {
  let found = false;
  const check = (s: Json) => { if (s.type === 'integer' && s.maximum === undefined) found = true; };
  for (const p of (op.parameters ?? []) as Json[]) walk(p.schema, check, p.name);
  walk(op.requestBody?.content?.['application/json']?.schema, check);
  return found;
}

/** Ids get the range of their column, so clients (and fuzzers) know it. */
function boundIds(schema: Json | undefined, name = '') {
  walk(schema, (s, field) => {
    if (s.type !== 'integer' || !isId(field)) return;
    const max = BIGINT_IDS.has(field) ? Number.MAX_SAFE_INTEGER : INT4_MAX;
    if (s.maximum === undefined || s.maximum > max) s.maximum = max;
    if (s.minimum === undefined || s.minimum < 1) s.minimum = 1;
  }, name);
}

function addErrors(op: Json, method: string, path: string, secured: boolean, unbounded: boolean) {
  const codes = new Set<number>([400]);
  if (secured) codes.add(401);
  if (path.includes('{')) codes.add(404);
  if (WITH_BODY.has(method)) { codes.add(413); codes.add(415); }
  if (unbounded) codes.add(422);
  // A store filter on a read is checked before the handler (plugins/guards.ts checkStoreFilter):
  // another store's is 403 for staff, an unknown one 404.
  if (method === 'get' && (op.parameters as Json[] | undefined)?.some((p) => p.in === 'query' && STORE_FILTERS.includes(p.name))) { codes.add(403); codes.add(404); }
  for (const code of codes) {
    op.responses[code] ??= { description: ERROR_TEXT[code], content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  }
  for (const [code, answer] of Object.entries(op.responses as Record<string, Json>)) {
    if (answer.description === 'Default Response' && ERROR_TEXT[Number(code)]) answer.description = ERROR_TEXT[Number(code)];
  }
}

function addCsv(op: Json) {
  const format = (op.parameters as Json[] | undefined)?.find((p) => p.in === 'query' && p.name === 'format');
  const values = (format?.schema?.enum ?? format?.schema?.anyOf?.map((s: Json) => s.enum?.[0] ?? s.const)) as unknown[] | undefined;
  if (!values?.includes('csv') || !op.responses?.[200]) return;
  op.responses[200].content['text/csv'] = { schema: { type: 'string', description: 'The same rows as CSV, with a header line.' } };
  op.description = `${op.description ? `${op.description}\n\n` : ''}\`format=csv\` or \`Accept: text/csv\` answers CSV (text/csv) with every row, unpaginated.`;
}

function addSortEnum(op: Json, path: string) {
  const sorts = LIST_SORTS[path];
  const param = (op.parameters as Json[] | undefined)?.find((p) => p.in === 'query' && p.name === 'sort');
  if (!param || !sorts) return;
  param.schema = { type: 'string', enum: [...sorts] };
  param.description = `One of the list's sortable fields: ${sorts.join(', ')}. An unknown value is 400.`;
}

function describeIdempotencyKey(op: Json) {
  const params = (op.parameters ?? []) as Json[];
  const i = params.findIndex((p) => p.in === 'header' && String(p.name).toLowerCase() === 'idempotency-key');
  if (i < 0) return;
  params[i] = {
    name: 'Idempotency-Key', in: 'header', required: false,
    description: 'Makes the write safe to retry: a replay by the same user with the same key and body returns the first answer (header `Idempotent-Replayed: true`) and changes nothing; the same key with a different body is 422. 8–200 characters of letters, digits and `_ . : -`; anything else is 400.',
    schema: { type: 'string', minLength: 8, maxLength: 200, pattern: KEY_RE.source },
    example: 'order-2026-12-08-0001',
  };
}

/** Tightens what the body schemas leave to the handlers' 422 messages, so a client knows the
 * rule before sending: at least one line, whole positive quantities. */
function tightenItems(op: Json) {
  const body = op.requestBody?.content?.['application/json']?.schema as Json | undefined;
  if (!body?.properties) return;
  for (const key of ['items', 'returns']) {
    const list = body.properties[key] as Json | undefined;
    if (list?.type !== 'array') continue;
    list.minItems = Math.max(1, list.minItems ?? 0);
    const qty = list.items?.properties?.quantity as Json | undefined;
    if (qty && key === 'items') { qty.type = 'integer'; qty.minimum = Math.max(1, qty.minimum ?? 1); }
  }
}

/** Walks every operation of the document. */
function eachOperation(doc: Json, fn: (op: Json, method: string, path: string) => void) {
  for (const [path, item] of Object.entries((doc.paths ?? {}) as Record<string, Json>)) {
    for (const method of METHODS) if (item[method]) fn(item[method], method, path);
  }
}

const opAt = (doc: Json, path: string, method: string): Json => {
  const op = doc.paths?.[path]?.[method];
  if (!op) throw new Error(`openapi: no operation ${method.toUpperCase()} ${path}`);
  return op;
};

/** Example bodies with the ids a seeded database has (`npm run cli -- seed`). */
const EXAMPLES: Array<[string, string, unknown]> = [
  [`${V1}/orders/`, 'post', { customerId: 1, storeId: 1, items: [{ productId: 1, quantity: 1 }] }],
  [`${V1}/orders/{id}/actions/{action}`, 'post', { version: 2, returns: [{ lineItemId: 1, quantity: 1 }] }],
  [`${V1}/shipments/`, 'post', { orderId: 1 }],
  [`${V1}/shipments/{id}/actions/{action}`, 'post', { version: 1 }],
  [`${V1}/inventory/receipts`, 'post', { storeId: 1, productId: 1, quantity: 10, reference: 'DN-1001' }],
  [`${V1}/inventory/transfers`, 'post', { fromStoreId: 1, toStoreId: 2, items: [{ productId: 1, quantity: 1 }] }],
];

/** The place → pay → ship → deliver → refund walk, and create → read/update/delete for records. */
function addLinks(doc: Json) {
  const id = (path: string, method: string) => opAt(doc, path, method).operationId as string;
  const link = (path: string, method: string, status: string, name: string, target: Json) => {
    const answer = opAt(doc, path, method).responses[status];
    answer.links = { ...answer.links, [name]: target };
  };
  const orders = `${V1}/orders/`, order = `${V1}/orders/{id}`, orderAction = `${V1}/orders/{id}/actions/{action}`;
  const shipments = `${V1}/shipments/`, shipment = `${V1}/shipments/{id}`, shipmentAction = `${V1}/shipments/{id}/actions/{action}`;
  const action = (idExpr: string, name: string, description: string, requestBody?: unknown) =>
    ({ operationId: id(orderAction, 'post'), parameters: { id: idExpr, action: name }, ...(requestBody ? { requestBody } : {}), description });

  link(orders, 'post', '201', 'GetOrder', { operationId: id(order, 'get'), parameters: { id: '$response.body#/orderId' }, description: 'The order just placed.' });
  link(orders, 'post', '201', 'PayOrder', action('$response.body#/orderId', 'pay', 'Pay the order (OPEN → PAID).', { version: '$response.body#/version' }));
  link(orders, 'post', '201', 'CancelOrder', action('$response.body#/orderId', 'cancel', 'Cancel it instead.'));
  link(order, 'get', '200', 'PayOrder', action('$request.path.id', 'pay', 'Pay the order (OPEN → PAID).', { version: '$response.body#/version' }));
  link(orderAction, 'post', '200', 'CreateShipment', { operationId: id(shipments, 'post'), requestBody: { orderId: '$response.body#/orderId' }, description: 'Ship the paid order (all unshipped lines).' });
  link(orderAction, 'post', '200', 'RefundOrder', action('$response.body#/orderId', 'refund', 'Refund the paid order before it ships.'));
  link(orderAction, 'post', '200', 'GetOrder', { operationId: id(order, 'get'), parameters: { id: '$response.body#/orderId' } });
  link(shipments, 'post', '201', 'GetShipment', { operationId: id(shipment, 'get'), parameters: { id: '$response.body#/shipmentId' } });
  for (const [name, next] of [['Ship', 'ship'], ['Transit', 'transit'], ['Deliver', 'deliver']] as const) {
    const target = { operationId: id(shipmentAction, 'post'), parameters: { id: '$response.body#/shipmentId', action: next }, requestBody: { version: '$response.body#/version' }, description: `${name} the shipment.` };
    link(shipments, 'post', '201', `${name}Shipment`, target);
    link(shipmentAction, 'post', '200', `${name}Shipment`, target);
  }
  link(shipmentAction, 'post', '200', 'GetOrder', { operationId: id(order, 'get'), parameters: { id: '$response.body#/orderId' } });
  link(shipmentAction, 'post', '200', 'RefundOrder', action('$response.body#/orderId', 'refund', 'Refund the delivered order, returning the first shipped line.', {
    returns: [{ lineItemId: '$response.body#/items/0/lineItemId', quantity: '$response.body#/items/0/quantity' }],
  }));

  // A created record links to every operation on its {id}, with the id field its answer names.
  for (const [collection, field] of [['customers', 'customerId'], ['products', 'productId'], ['stores', 'storeId'], ['users', 'id']] as const) {
    const base = `${V1}/${collection}/`;
    for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
      if (!path.startsWith(`${base}{id}`)) continue;
      for (const method of METHODS) {
        const target = item[method] as Json | undefined;
        if (!target) continue;
        const rest = path.slice(`${base}{id}`.length).replace(/\//g, '_');
        link(base, 'post', '201', `${method}${rest || 'ById'}`, { operationId: target.operationId, parameters: { id: `$response.body#/${field}` } });
      }
    }
  }
}

/** @fastify/swagger `transformObject`: the finished document with the parts above added. */
export function completeDocument(input: { openapiObject: object } | { swaggerObject: object }): Json {
  if (!('openapiObject' in input)) throw new Error('openapi: this app writes OpenAPI 3 documents only');
  const doc = structuredClone(input.openapiObject) as Json;
  const seen = new Set<string>();
  eachOperation(doc, (op, method, path) => {
    let name = op.operationId as string | undefined ?? `${method}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`;
    while (seen.has(name)) name = `${name}_${method}`;
    seen.add(name);
    op.operationId = name;
    const secured = !(Array.isArray(op.security) && op.security.length === 0) && path !== `${V1}/auth/login`;
    const unbounded = hasUnboundedInt(op);
    for (const p of (op.parameters ?? []) as Json[]) boundIds(p.schema, p.name);
    boundIds(op.requestBody?.content?.['application/json']?.schema);
    addErrors(op, method, path, secured, unbounded);
    addCsv(op);
    addSortEnum(op, path);
    describeIdempotencyKey(op);
    tightenItems(op);
    // Actions take an empty body, or none at all, as `{}` (every field is optional).
    if (/\/actions\/\{action\}$/.test(path) && op.requestBody) op.requestBody.required = false;
  });
  for (const [path, method, example] of EXAMPLES) {
    const media = opAt(doc, path, method).requestBody?.content?.['application/json'];
    if (media) media.example = example;
  }
  addLinks(doc);
  return doc;
}
