// Requests for one API route, generated from the route's own JSON schemas: values that fit the
// schema (real ids from the seeded data, so writes can succeed), then broken: a field set to any
// JSON value, dropped or added, the whole body replaced (wrong type, invalid JSON, a huge or deeply
// nested document, another content type), query parameters hostile or repeated, odd headers.
import fc from 'fast-check';
import { XSS, hostileJson, hostileText, numericText, pathArb, type RouteInfo } from './fuzz-helpers.ts';
import type { RoleName, World } from './fuzz-world.ts';

type Schema = Record<string, unknown>;
export const VERSION = '\u0002version';

export interface ApiCase {
  method: string;
  path: string;
  query: Array<[string, string]>;
  body: { kind: 'none' } | { kind: 'json'; value: unknown } | { kind: 'raw'; text: string; type?: string };
  headers: Record<string, string>;
}

const ID_POOLS: Record<string, string> = { storeId: 'stores', fromStoreId: 'stores', toStoreId: 'stores', productId: 'products', customerId: 'customers', orderId: 'orders', shipmentId: 'shipments' };
const literals = (s: Schema) => (s.anyOf as Schema[] | undefined)?.map((a) => a.const).filter((c) => c !== undefined);

/** A value that satisfies `schema` (mostly), chosen with the field's name in mind. */
export function fitting(schema: Schema, name: string, w: World, role: RoleName): fc.Arbitrary<unknown> {
  const lits = literals(schema);
  if (lits?.length) return fc.constantFrom(...lits);
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.anyOf) {
    const options = (schema.anyOf as Schema[]).filter((s) => s.type !== 'null');
    return fc.oneof(...options.map((s) => fitting(s, name, w, role)), fc.constant(null));
  }
  const min = typeof schema.minimum === 'number' ? schema.minimum : undefined;
  const max = typeof schema.maximum === 'number' ? schema.maximum : undefined;
  switch (schema.type) {
    case 'integer': case 'number': {
      if (name === 'version') return fc.constant(VERSION);
      const pool = ID_POOLS[name] ? w.pools[ID_POOLS[name]!] : undefined;
      if (pool?.length) {
        const preferred = name === 'productId' ? w.stocked : name.endsWith('toreId') && role === 'staff' ? [w.storeA] : [];
        return fc.constantFrom(...preferred, ...pool.map(Number));
      }
      const lo = Math.max(min ?? 0, name === 'quantity' ? 1 : -1e6);
      return fc.integer({ min: lo, max: Math.min(max ?? lo + 5, lo + 5) });
    }
    case 'boolean': return fc.boolean();
    case 'array': {
      const items = (schema.items ?? {}) as Schema;
      const minLength = Math.max(Number(schema.minItems ?? 0), name === 'items' ? 1 : 0);
      const arb = fc.array(fitting(items, name === 'storeIds' ? 'storeId' : name, w, role), { minLength, maxLength: Math.max(minLength, 2) });
      return schema.uniqueItems ? arb.map((a) => [...new Set(a)]) : arb;
    }
    case 'object': {
      const props = (schema.properties ?? {}) as Record<string, Schema>;
      const required = (schema.required ?? []) as string[];
      const model = Object.fromEntries(Object.entries(props).map(([k, s]) => [k, fitting(s, k, w, role)]));
      return fc.record(model, { requiredKeys: required.filter((k) => k in props) });
    }
    case 'string': return fittingText(schema, name, w);
    default: return hostileJson;
  }
}

function fittingText(schema: Schema, name: string, w: World): fc.Arbitrary<string> {
  const maxLength = Number(schema.maxLength ?? 200);
  if (schema.format === 'email' || name === 'email' || name === 'emailAddress') {
    return fc.oneof(fc.nat(1e9).map((n) => `fz${n}@example.test`), fc.constantFrom(w.victimEmail, w.roles.customer.email));
  }
  if (name === 'password') return fc.constantFrom(w.roles.customer.password, 'Fuzz-password-long-1');
  if (schema.format === 'date') return fc.constantFrom('2025-01-31', '2025-06-01', '2026-12-31', '2024-02-29');
  if (schema.format === 'date-time') return fc.constantFrom('2025-01-31T10:00:00Z', '2026-01-01T00:00:00.000Z');
  if (schema.format === 'uuid') return fc.constantFrom(...w.pools.transfers!.map(String));
  if (name === 'sku') return fc.oneof(fc.nat(1e6).map((n) => `FZ-${n}`), fc.constantFrom(...w.skus));
  // Forged cursors: base64url JSON of the wrong shape, types, or a value the column cannot cast.
  if (name === 'cursor') return fc.constantFrom('WyJ4IiwxLCJuIl0', 'WzEsMSwibiJd', 'W251bGwsMSwicCJd', Buffer.from('["\\u0000",1,"n"]').toString('base64url'), Buffer.from('[1e400,1,"n"]').toString('base64url'), Buffer.from('["2024-02-30",1,"p"]').toString('base64url'), Buffer.from('[{},9007199254740993,"n"]').toString('base64url'));
  if (typeof schema.pattern === 'string') {
    const re = new RegExp(schema.pattern);
    const fits = ['9.99', '0', '12.50', 'FZ-1', 'https://example.test/a', 'https://x.test/"><svg/onload=alert(1)>', '2025-01-31', 'abc'].filter((s) => re.test(s));
    if (fits.length) return fc.constantFrom(...fits);
  }
  const min = Number(schema.minLength ?? 0);
  return fc.oneof(
    fc.constantFrom(...XSS, 'Zoë Ångström', '李小龍', "O'Brien & Sons"),
    fc.string({ minLength: Math.max(1, min), maxLength: 20 }),
  ).map((s) => s.slice(0, maxLength).padEnd(min, 'x'));
}

/** Every path to a value inside a JSON document (objects and arrays, a few levels deep). */
function paths(value: unknown, at: Array<string | number> = [], depth = 0): Array<Array<string | number>> {
  if (depth > 3 || value === null || typeof value !== 'object') return [];
  const keys: Array<string | number> = Array.isArray(value) ? value.map((_v, i) => i) : Object.keys(value);
  return keys.flatMap((k) => [[...at, k], ...paths((value as Record<string | number, unknown>)[k], [...at, k], depth + 1)]);
}

function edit(doc: unknown, path: Array<string | number>, op: 'set' | 'delete', value?: unknown): unknown {
  const copy = structuredClone(doc) as Record<string | number, unknown>;
  let node = copy;
  for (const k of path.slice(0, -1)) {
    // An earlier mutation may have removed or replaced this part of the document.
    const next = node?.[k];
    if (!next || typeof next !== 'object') return copy;
    node = next as Record<string | number, unknown>;
  }
  if (!node || typeof node !== 'object') return copy;
  const last = path.at(-1)!;
  if (op === 'delete') { if (Array.isArray(node)) node.splice(Number(last), 1); else delete node[last]; } else node[last] = value;
  return copy;
}

const EXTRA_KEYS = ['__proto__', 'constructor', 'id', 'role', 'customerId', 'storeId', 'version', 'active', 'onHand', 'reserved', 'total', 'orderStatus', 'x'];
const DEEP = `${'['.repeat(5000)}${']'.repeat(5000)}`;
const RAW_BODIES: Array<[string, string | undefined]> = [
  ['{', 'application/json'], ['{"a":', 'application/json'], ["{'a': 1}", 'application/json'], ['', 'application/json'], ['null', 'application/json'],
  ['{"__proto__": {"admin": true}}', 'application/json'], ['{"constructor": {"prototype": {"x": 1}}}', 'application/json'],
  [DEEP, 'application/json'], ['{"quantity": 1e400, "version": -1e400}', 'application/json'], ['{"a": 1, "a": 2}', 'application/json'],
  ['\ufeff{}', 'application/json'], ['{"x": "\\ud800"}', 'application/json'], ['{"x": "\\u0000"}', 'application/json'],
  ['a=1&b=2', 'application/x-www-form-urlencoded'], ['hello', 'text/plain'], ['<x/>', 'application/xml'], ['{}', 'application/json; charset=latin1'],
  ['--x\r\n\r\n--x--', 'multipart/form-data; boundary=x'], ['{}', undefined], [`{"x":"${'y'.repeat(1_100_000)}"}`, 'application/json'],
];

/** A body that fits the schema, then broken: fields replaced, removed or added; or the whole body. */
function bodyArb(schema: Schema | undefined, w: World, role: RoleName, method: string): fc.Arbitrary<ApiCase['body']> {
  const raw = fc.constantFrom(...RAW_BODIES).map(([text, type]) => ({ kind: 'raw' as const, text, type }));
  const anyJson = hostileJson.map((value) => ({ kind: 'json' as const, value }));
  if (!schema) {
    if (method === 'GET') return fc.oneof({ weight: 19, arbitrary: fc.constant({ kind: 'none' as const }) }, { weight: 1, arbitrary: anyJson });
    return fc.oneof({ weight: 4, arbitrary: fc.constant({ kind: 'none' as const }) }, anyJson, raw);
  }
  const broken = fitting(schema, '', w, role).chain((valid) => {
    const where = paths(valid);
    const mutation = fc.oneof(
      ...(where.length ? [fc.tuple(fc.constantFrom(...where), hostileJson).map(([p, v]) => (d: unknown) => edit(d, p, 'set', v)),
        fc.constantFrom(...where).map((p) => (d: unknown) => edit(d, p, 'delete'))] : []),
      fc.tuple(fc.constantFrom(...EXTRA_KEYS), hostileJson).map(([k, v]) => (d: unknown) => (d && typeof d === 'object' && !Array.isArray(d) ? { ...d, [k]: v } : d)),
    );
    return fc.tuple(fc.array(mutation, { minLength: 0, maxLength: 3 }), fc.nat(9))
      .map(([ms, keep]) => ({ kind: 'json' as const, value: keep < 3 ? valid : ms.reduce((d, m) => m(d), valid) }));
  });
  return fc.oneof({ weight: 14, arbitrary: broken }, { weight: 2, arbitrary: anyJson }, { weight: 2, arbitrary: raw }, { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) });
}

/** Query parameters: some of the declared ones (fitting or hostile, sometimes repeated) and extras. */
function queryArb(schema: Schema | undefined, w: World, role: RoleName): fc.Arbitrary<Array<[string, string]>> {
  const props = (schema?.properties ?? {}) as Record<string, Schema>;
  const required = new Set((schema?.required ?? []) as string[]);
  const asText = (v: unknown) => (v === VERSION ? VERSION : typeof v === 'string' ? v : JSON.stringify(v));
  const one = (k: string, s: Schema) => fc.oneof(
    { weight: 5, arbitrary: fitting(s, k, w, role).map((v) => [[k, asText(v)]]) },
    { weight: 3, arbitrary: fc.oneof(hostileText, numericText).map((v) => [[k, v]]) },
    { weight: 1, arbitrary: fc.tuple(fitting(s, k, w, role), hostileText).map(([a, b]) => [[k, asText(a)], [k, b]]) },
  );
  const declared = Object.entries(props).map(([k, s]) => (required.has(k) ? one(k, s) : fc.option(one(k, s), { nil: undefined, freq: 2 })));
  const clean = Object.entries(props).map(([k, s]) => (required.has(k) ? fitting(s, k, w, role).map((v) => [[k, asText(v)]]) : fc.constant(undefined)));
  const extras = fc.array(fc.tuple(fc.constantFrom('__proto__', 'format', 'limit', 'x', 'a[b]', 'storeId[]', ''), hostileText), { maxLength: 2 });
  // A third of the time only what is required, fitting: the route's normal answer is fuzzed too.
  return fc.oneof(
    { weight: 1, arbitrary: fc.tuple(...clean).map((d) => d.flatMap((x) => (x ?? []) as Array<[string, string]>)) },
    { weight: 2, arbitrary: fc.tuple(fc.tuple(...declared), extras).map(([d, e]) => [...d.flatMap((x) => (x ?? []) as Array<[string, string]>), ...e]) },
  );
}

const headerText = fc.constantFrom('', 'short', 'x'.repeat(300), "' or 1=1--", '<script>x</script>', 'fuzz key with spaces', '../../', 'valid-key:1');
const ACCEPT = [undefined, 'application/json', 'text/csv', 'text/html', '*/*', 'application/xml'];

export function apiCaseArb(route: RouteInfo, w: World, role: RoleName): fc.Arbitrary<ApiCase> {
  const schema = route.schema ?? {};
  return fc.record({
    path: pathArb(route, w.pools),
    query: route.method === 'GET' || schema.querystring ? queryArb(schema.querystring as Schema | undefined, w, role) : fc.constant<Array<[string, string]>>([]),
    body: bodyArb(schema.body as Schema | undefined, w, role, route.method),
    key: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: fc.uuid().map((u) => `fuzz-${u}`) }, { weight: 1, arbitrary: headerText }),
    accept: fc.constantFrom(...ACCEPT),
  }).map(({ path, query, body, key, accept }) => ({
    method: route.method, path, query, body,
    headers: { ...(key === undefined ? {} : { 'idempotency-key': key }), ...(accept ? { accept } : {}) },
  }));
}

/** What an anonymous caller sends instead of a token. */
export const badAuthorization = fc.constantFrom(undefined, 'Bearer ', `Bearer ${'A'.repeat(43)}`, 'Basic YWRtaW46YWRtaW4=', `Bearer ${'x'.repeat(5000)}`, "Bearer ' or 1=1--", 'bearer');
