// Shared by fuzz-forms and fuzz-api: the routes as the app registers them, hostile values, a
// cheap fingerprint of every mutable table, a cookie client that can send any body, and the
// checks every answer must pass (no 5xx, no internals, no unescaped markup).
// FUZZ_RUNS scales the requests per route and role; FUZZ_SEED replays a run.
import fc from 'fast-check';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { sql } from 'drizzle-orm';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { queryRows, type Db } from '../src/db/client.ts';

export const RUNS = Math.max(1, Number(process.env.FUZZ_RUNS ?? 5));
export const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
/** FUZZ_DEBUG=1 prints every request and its answer. */
export const DEBUG = !!process.env.FUZZ_DEBUG;

/** One seed per route and role, so each gets different cases (and a failure replays alone). */
export function seedFor(...parts: string[]): number {
  let h = SEED | 0;
  for (const ch of parts.join(' ')) h = (Math.imul(h, 31) + ch.charCodeAt(0)) | 0;
  return h;
}

// ---- Routes, from the app itself -----------------------------------------------------------------

export interface RouteSchema { body?: Json; querystring?: Json; params?: Json; headers?: Json }
export interface RouteInfo { method: string; url: string; schema?: RouteSchema; public?: boolean }
type Json = Record<string, unknown>;

/** Records every route of every Fastify instance created until stop(): the onRoute hook is added
 * as the instance is initialised (diagnostics channel), before any plugin registers a route, so a
 * route added later is fuzzed (or reported unclassified) without touching these tests. */
export function recordRoutes() {
  const routes: RouteInfo[] = [];
  const seen = new Set<string>();
  const onInit = (message: unknown) => {
    const { fastify } = message as { fastify: FastifyInstance };
    fastify.addHook('onRoute', (opts) => {
      for (const method of [opts.method].flat()) {
        // `/x` and `/x/` (a prefixed plugin's root) are one route to fuzz; HEAD mirrors GET.
        const url = opts.url.length > 1 ? opts.url.replace(/\/$/, '') : opts.url;
        if (method === 'HEAD' || seen.has(`${method} ${url}`)) continue;
        seen.add(`${method} ${url}`);
        routes.push({ method, url, schema: opts.schema as RouteSchema | undefined, public: !!(opts.config as { public?: boolean } | undefined)?.public });
      }
    });
  };
  subscribe('fastify.initialization', onInit);
  return { routes, stop: () => unsubscribe('fastify.initialization', onInit) };
}

// ---- What must never be written on a refusal -----------------------------------------------------

export type Fingerprint = Record<string, string>;

/** Row count and the sum of a hash of every row, per table: any insert, update or delete shows.
 * Sessions and the login throttle are written by design on any request or failed sign-in, and a
 * failed sign-in is audited (login_failed); those are left out. */
export async function fingerprinter(db: Db): Promise<() => Promise<Fingerprint>> {
  const tables = await queryRows<{ name: string }>(db, sql`select table_name as name from information_schema.tables
    where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`);
  const ignored = new Set(['sessions', 'login_throttle']);
  const parts = tables.filter((t) => !ignored.has(t.name)).map(({ name }) => {
    const where = name === 'audit_events' ? ` where action <> 'login_failed'` : '';
    return `(select count(*) || ':' || coalesce(sum(hashtext(x::text)::bigint), 0) from "${name}" x${where}) as "${name}"`;
  });
  const query = sql.raw(`select ${parts.join(', ')}`);
  return async () => (await queryRows<Fingerprint>(db, query))[0]!;
}

export const changedTables = (a: Fingerprint, b: Fingerprint) => Object.keys(a).filter((k) => a[k] !== b[k]);

// ---- Hostile values ------------------------------------------------------------------------------

/** Markup that must never come back unescaped, and what it looks like when it does. */
export const XSS = [
  '<script>x</script>', '"><img src=x onerror=alert(1)>', "'><svg onload=alert(1)>", '</textarea></title><script>x</script>',
  '<svg/onload=alert(1)>', 'x" autofocus onfocus="alert(1)', "x' autofocus onfocus='alert(1)",
];
const MARKERS = ['<script>x</script>', '<img src=x onerror=alert(1)>', '<svg onload=alert(1)>', '<svg/onload=alert(1)>'];
/** Quote breakouts matter inside a tag (an attribute); in text or a JSON <script> they are inert. */
const QUOTE_MARKERS = ['" autofocus onfocus="alert(1)', "' autofocus onfocus='alert(1)"];

const HOSTILE_TEXT = [
  '', ' ', '\t\r\n', '0', '-1', '1.5', '-0', '1e3', '1e400', 'NaN', 'Infinity', '0x1f', '1,5', ' 42 ', '+7', '.5',
  '99999999999999999999', '2147483648', '-2147483649', '9007199254740993', '١٢٣',
  "' or 1=1--", '1; drop table users;--', "'); delete from orders;--", '" or ""="', '%', '_', '\\', "''", '`', '$1', '${x}',
  '\u0000', 'a\u0000b', '\u202eevil', '\u200f\u200eRTL', '😀👍🏽', '\ud800', 'x\udfffy', 'Ω≈ç√∫', '\u200b', '\ufeff',
  'true', 'false', 'null', 'undefined', '[]', '{}', '__proto__', 'constructor', '../../etc/passwd', 'C:\\Windows\\',
  'https://example.test/', 'javascript:alert(1)', 'fuzz@example.test', '@', 'a@b', '2024-02-30', '2024-13-01', 'on', 'csv',
];

const char = (from: number, to: number) => fc.integer({ min: from, max: to }).map((c) => String.fromCharCode(c));

export const numericText: fc.Arbitrary<string> = fc.oneof(
  fc.integer().map(String), fc.double({ noNaN: true }).map(String), fc.integer({ min: -3, max: 5 }).map(String),
  fc.constantFrom('-1', '0', '1.5', '-0', '1e3', '1e400', '99999999999999999999', '2147483648', '0x10', '١٢', ' 7 ', '+3', '5.', '1,5'),
);

export const xssText: fc.Arbitrary<string> = fc.tuple(fc.constantFrom('', 'Fz ', 'x'), fc.constantFrom(...XSS)).map(([a, b]) => a + b);

/** Any text a browser (or an attacker) could put in a field. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...HOSTILE_TEXT) },
  { weight: 2, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: char(0xd800, 0xdfff), minLength: 1, maxLength: 3 }) },
  { weight: 1, arbitrary: fc.string({ unit: char(0, 31), minLength: 1, maxLength: 5 }) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('x', '€', '😀', '<>', ' '), fc.integer({ min: 201, max: 60_000 })).map(([c, n]) => c.repeat(n)) },
  { weight: 3, arbitrary: xssText },
  { weight: 3, arbitrary: numericText },
);

/** JSON values of every type, for typed bodies. */
const scalar: fc.Arbitrary<unknown> = fc.oneof(
  hostileText, fc.constantFrom(-1, 0, 1, 1.5, -0.5, 2 ** 31, -(2 ** 31) - 1, 2 ** 53 + 2, 1e308, -1e308, 5e-324),
  fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null),
);
export const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom('a', 'id', 'version', '__proto__', 'constructor', '$gt', ''), scalar, { maxKeys: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom([[[[[[[[[[1]]]]]]]]]], { a: { b: { c: { d: {} } } } }, [{}], [null]) },
);

/** Ids as they may appear in an address: real ones come from the caller. */
export const HOSTILE_IDS = ['-1', '0', '1.5', 'abc', '99999999999999999999', "'%20or%201=1--", '2147483648', '%00', '%zz',
  '..%2F..%2Fetc', '%20', '1e3', '0x10', 'NaN', '%D9%A1', '%F0%9F%98%80', '%ED%A0%80', '1%3B', '%3Cscript%3E', '1'.repeat(120)];

/** Raw fragments for urlencoded bodies and query strings: invalid UTF-8 and broken escapes. */
export const RAW_ENCODED = ['%ED%A0%80', '%FF%FE', '%00', '%', '%zz', '%E2%80%AE', '%C0%AF', '+', '%2B', '%25', '&', '='];

// ---- Encoding ------------------------------------------------------------------------------------

/** A form or query value: text (UTF-8, lone surrogates become U+FFFD), bytes already encoded, or
 * a field sent several times. */
export type FormValue = string | { raw: string } | FormValue[];

export function pct(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    out += b < 128 && /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function encodePairs(fields: Record<string, FormValue | undefined>): string {
  const parts: string[] = [];
  const add = (k: string, v: FormValue): void => {
    if (Array.isArray(v)) { for (const x of v) add(k, x); return; }
    parts.push(`${pct(k)}=${typeof v === 'string' ? pct(v) : v.raw}`);
  };
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) add(k, v);
  return parts.join('&');
}

/** Short, readable description of a request for a failure message. */
export function describe(value: unknown): string {
  const text = JSON.stringify(value, (_k, v) => (typeof v === 'string' && v.length > 80 ? `${v.slice(0, 40)}…(${v.length} chars)` : v));
  return text && text.length > 600 ? `${text.slice(0, 600)}…` : String(text);
}

// ---- Checks of every answer ----------------------------------------------------------------------

const LEAKS: Array<[string, RegExp]> = [
  ['stack frame', /\bat (?:async )?[\w$.<>[\] ]*\(?(?:file:\/\/|node:|\/)[^\s)"']*:\d+:\d+/],
  ['JavaScript error name', /\b(?:TypeError|ReferenceError|RangeError|SyntaxError|EvalError|URIError|AggregateError|AssertionError)\b|\b(?:Error|HttpError|DrizzleError|DatabaseError|error): [A-Za-z"]/],
  ['internal error text', /Cannot read propert|is not a function|is not iterable|is not defined|undefined is not|Maximum call stack|Unexpected token|Unexpected end of JSON/],
  ['file path', /node:internal|node_modules|file:\/\/|\/work\/|\/usr\/lib\/|\/tmp\/|\.ts:\d+|\.[cm]?js:\d+/],
  ['SQL text', /syntax error at or near|violates (?:foreign key|unique|check|not-null) constraint|invalid input syntax for|out of range for type|invalid byte sequence|unsupported Unicode escape|relation "[^"]+" does not exist|column "[^"]+" (?:does not exist|of relation)|duplicate key value|Failed query|DrizzleQueryError|current transaction is aborted|could not determine data type|operator does not exist|\bpg_[a-z_]+\(/i],
];

/** Everything wrong with one answer (empty when it is fine). */
export function answerProblems(res: LightMyRequestResponse): string[] {
  const problems: string[] = [];
  if (res.statusCode >= 500) problems.push(`status ${res.statusCode}`);
  const body = res.body;
  for (const [what, re] of LEAKS) {
    const m = re.exec(body);
    if (m) problems.push(`${what} in the answer: …${body.slice(Math.max(0, m.index - 60), m.index + 80).replace(/\s+/g, ' ')}…`);
  }
  if (String(res.headers['content-type'] ?? '').includes('html')) {
    for (const marker of MARKERS) {
      const at = body.indexOf(marker);
      if (at >= 0) problems.push(`unescaped markup ${JSON.stringify(marker)}: …${body.slice(Math.max(0, at - 80), at + 40).replace(/\s+/g, ' ')}…`);
    }
    for (const marker of QUOTE_MARKERS) {
      for (let at = body.indexOf(marker); at >= 0; at = body.indexOf(marker, at + 1)) {
        if (body.lastIndexOf('<', at) <= body.lastIndexOf('>', at)) continue;
        problems.push(`attribute breakout ${JSON.stringify(marker)}: …${body.slice(Math.max(0, at - 80), at + 40).replace(/\s+/g, ' ')}…`);
        break;
      }
    }
    const js = /(?:href|src|action|formaction)\s*=\s*["']?\s*javascript:/i.exec(body);
    if (js) problems.push(`javascript: URL in the page: …${body.slice(js.index, js.index + 80)}…`);
  }
  return problems;
}

// ---- A client that can send anything ------------------------------------------------------------

export interface Sent { method: string; url: string; payload?: string | Buffer; headers?: Record<string, string> }

/** Keeps cookies and the last CSRF token like test/helper.ts's Client, but sends raw bodies. */
export class FuzzClient {
  cookies = new Map<string, string>();
  csrf = '';
  constructor(readonly app: FastifyInstance) {}

  async send(req: Sent): Promise<LightMyRequestResponse> {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await this.app.inject({
      method: req.method as 'GET', url: req.url, payload: req.payload,
      headers: { accept: 'text/html', ...(cookie ? { cookie } : {}), ...req.headers },
    });
    for (const c of res.cookies as Array<{ name: string; value: string; expires?: Date }>) {
      if (c.expires && c.expires.getTime() < Date.now()) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    const m = /name="_csrf" value="([^"]+)"/.exec(res.body) ?? /&quot;x-csrf-token&quot;:&quot;([^&]+)&quot;/.exec(res.body);
    if (m) this.csrf = m[1]!;
    return res;
  }

  get(url: string, headers: Record<string, string> = {}) {
    return this.send({ method: 'GET', url, headers });
  }

  postForm(url: string, fields: Record<string, FormValue>) {
    return this.send({ method: 'POST', url, payload: encodePairs({ _csrf: this.csrf, ...fields }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  }

  /** Signs in through the login form; true when it worked. */
  async login(email: string, password: string): Promise<boolean> {
    await this.get('/login');
    const res = await this.postForm('/login', { email, password });
    return res.statusCode === 303;
  }
}

// ---- Route addresses -----------------------------------------------------------------------------

export type Pools = Record<string, Array<string | number>>;

const PARAM_POOLS: Record<string, string> = {
  storeId: 'stores', fromStoreId: 'stores', productId: 'products', customerId: 'customers', orderId: 'orders',
  shipmentId: 'shipments', transferId: 'transfers', userId: 'users', jobId: 'imports',
};
/** The action words the app knows, by resource; an action parameter without a schema draws from
 * its resource's (mostly) and from all of them. */
const ACTIONS: Record<string, string[]> = {
  orders: ['pay', 'cancel', 'refund'], shipments: ['ship', 'transit', 'deliver'],
  inventory: ['receive', 'adjust', 'count', 'transfer', 'reorder-point'],
};
const ALL_ACTIONS = [...Object.values(ACTIONS).flat(), 'apply', 'delete'];

/** Real values for a path parameter: named after its resource, or the segment before it. */
export function poolFor(url: string, param: string, pools: Pools, schema?: Json): string[] {
  const literals = ((schema?.properties as Record<string, Json> | undefined)?.[param]?.anyOf as Json[] | undefined)
    ?.map((s) => s.const).filter((c): c is string => typeof c === 'string');
  if (literals?.length) return literals;
  const segments = url.split('/');
  if (param === 'action') {
    const own = ACTIONS[segments.find((x) => ACTIONS[x]) ?? ''] ?? [];
    return [...own, ...own, ...ALL_ACTIONS];
  }
  const resource = PARAM_POOLS[param] ?? segments[segments.indexOf(`:${param}`) - 1] ?? '';
  const pool = pools[resource];
  return pool?.length ? pool.map(String) : ['1', '2', '3'];
}

/** The route's address with each parameter a real value (mostly) or a hostile one. */
export function pathArb(route: RouteInfo, pools: Pools): fc.Arbitrary<string> {
  const params = [...route.url.matchAll(/:(\w+)/g)].map((m) => m[1]!);
  if (!params.length) return fc.constant(route.url);
  const parts = params.map((p) => fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...poolFor(route.url, p, pools, route.schema?.params)).map(String).map(encodeURIComponent) },
    { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_IDS) },
  ));
  return fc.tuple(...parts).map((values) => params.reduce((url, p, i) => url.replace(`:${p}`, values[i]!), route.url));
}

export const isStatic = (url: string) => /^\/(?:vendor|static)\/|^\/\*$|^\/api\/docs|^\/api\/openapi\.json$/.test(url);
