// Generated-request fuzz of the JSON API against its own OpenAPI document (issue 13, "Done
// when"): openapi-fuzzer-core generates requests for every operation (bad path and query values,
// bodies with one field wrong, unknown paths and methods) and each is sent as four callers
// (admin, staff of stores 1 and 2, a customer, no token) to a real server process on a seeded
// PostgreSQL 15 database. Every answer must be below 500 and a status the document declares for
// that operation (unknown paths 404, undeclared methods 405), with a declared content type.
// Then a client follows the document's own examples and links from placing an order to paying,
// shipping, delivering and refunding it; and `stock:verify` must be clean afterwards.
// Run with `npm run test:fuzz` (not part of `npm test`: it starts its own cluster and server).
import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import { call, createDatabase, havePostgres, ROOT, startApp, startPostgres, stockVerifyCli, type Answer } from '../reliability/harness.ts';
import { createUser } from '../../src/modules/users/service.ts';
import { systemActor } from '../../src/lib/audit.ts';
import { toFuzzerInput, type Doc, type Json } from './fuzz-spec.ts';

const fuzzer = createRequire(import.meta.url)('openapi-fuzzer-core') as { swagger(data: unknown): FuzzSpec[] };
interface FuzzSpec {
  name: string;
  request: { method: string; path: string; pathParams?: Record<string, unknown>; queryParams?: Record<string, unknown>; body?: unknown };
  expect: { status: number[] };
}

if (!havePostgres()) {
  t.plan(0, 'PostgreSQL 15 binaries not found');
} else {
  const pg = await startPostgres(t);
  const { url, database } = await createDatabase(t, pg, 'oi_fuzz');
  await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'seed', '--stores', '3', '--customers', '40', '--products', '30', '--orders', '150'],
    { cwd: ROOT, env: { ...process.env, DATABASE_URL: url, NODE_OPTIONS: '' }, timeout: 180_000 });
  const password = 'fuzz-pass-phrase-2026';
  const accounts = { admin: { role: 'admin' as const }, staff: { role: 'staff' as const, storeIds: [1, 2] }, customer: { role: 'customer' as const } };
  for (const [name, a] of Object.entries(accounts)) {
    await createUser(database.db, { email: `fuzz-${name}@example.test`, password, fullName: `Fuzz ${name}`, ...a }, systemActor, { memoryCost: 4096, timeCost: 1, parallelism: 1 });
  }
  const app = await startApp(t, url, { name: 'fuzz' });
  const tokens: Record<string, string | undefined> = { anonymous: undefined };
  for (const name of Object.keys(accounts)) {
    const res = await call(app.base, 'POST', '/api/v1/auth/login', { body: { email: `fuzz-${name}@example.test`, password } });
    if (res.status !== 200) throw new Error(`login ${name}: ${res.status} ${JSON.stringify(res.body)}`);
    tokens[name] = res.body.token;
  }
  const doc = (await call(app.base, 'GET', '/api/openapi.json')).body as Doc;
  // The fuzzer's unknown path sits at the site root; the API's own unknown paths are under /api/v1.
  const specs = fuzzer.swagger(toFuzzerInput(doc)).map((s) => (s.request.path === '/ROOT/INVALID/PATH' ? { ...s, request: { ...s.request, path: '/api/v1/ROOT/INVALID/PATH' } } : s));
  // Signing out would end the caller's own session halfway through the run.
  const runnable = specs.filter((s) => !(s.request.path === '/api/v1/auth/logout' && s.request.method === 'post'));

  /** The operation a request is for, if any: its own template, or (for a method the path lacks,
   * as PUT /customers/shipment-status) another template the concrete path matches, here
   * PUT /customers/{id} with "shipment-status" as the id. */
  const templates = Object.keys(doc.paths).map((p) => ({ p, re: new RegExp(`^${p.replace(/\{[^}]+\}/g, '[^/]+')}$`) }));
  const operationOf = (spec: FuzzSpec, target: string): Json | undefined => {
    const own = doc.paths[spec.request.path]?.[spec.request.method];
    if (own || spec.name !== 'METHOD') return own;
    const path = target.split('?')[0]!;
    const other = templates.find(({ p, re }) => p !== spec.request.path && re.test(path) && doc.paths[p]![spec.request.method]);
    return other && doc.paths[other.p]![spec.request.method];
  };

  const urlOf = (spec: FuzzSpec) => {
    let path = spec.request.path;
    for (const [k, v] of Object.entries(spec.request.pathParams ?? {})) path = path.replace(`{${k}}`, encodeURIComponent(typeof v === 'object' ? JSON.stringify(v) : String(v)));
    // Unknown-path and unknown-method requests come with the template itself: give it an id.
    if (!spec.request.pathParams) path = path.replace(/\{[^}]+\}/g, '1');
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(spec.request.queryParams ?? {})) query.append(k, typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));
    return query.size ? `${path}?${query}` : path;
  };

  /** What is wrong with an answer, or undefined. */
  function problem(spec: FuzzSpec, target: string, res: Answer): string | undefined {
    if (res.status === 0) return `no answer (${res.error})`;
    if (res.status >= 500) return `server error ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`;
    const op = operationOf(spec, target);
    if (!op) return spec.expect.status.includes(res.status) ? undefined : `status ${res.status} where ${spec.expect.status.join('/')} is expected for a path or method the document does not have`;
    const declared = op.responses?.[String(res.status)] as Json | undefined;
    if (!declared) return `status ${res.status} is not declared (declared: ${Object.keys(op.responses).join(', ')})`;
    const type = (res.headers?.get('content-type') ?? '').split(';')[0]!.trim();
    if (declared.content && type && !declared.content[type]) return `content type ${type} is not declared for ${res.status}`;
    if (res.status >= 400 && (typeof res.body !== 'object' || res.body === null || res.body.status !== res.status || typeof res.body.message !== 'string')) {
      return `error body is not {status, message}: ${JSON.stringify(res.body).slice(0, 200)}`;
    }
    return undefined;
  }

  for (const role of ['admin', 'staff', 'customer', 'anonymous']) {
    t.test(`fuzz as ${role}`, async (t) => {
      const failures = new Map<string, string>();
      const statuses = new Map<number, number>();
      let next = 0;
      const worker = async () => {
        while (next < runnable.length) {
          const spec = runnable[next++]!;
          const target = urlOf(spec);
          const res = await call(app.base, spec.request.method.toUpperCase(), target, { token: tokens[role], body: spec.request.body });
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          const wrong = problem(spec, target, res);
          // One failure per operation and kind of mistake, with one example request.
          if (wrong) failures.set(`${spec.request.method.toUpperCase()} ${spec.request.path}: ${wrong.replace(/:.*$/s, '')}`, `${spec.name} ${target} ${JSON.stringify(spec.request.body ?? null).slice(0, 200)} → ${wrong}`);
        }
      };
      await Promise.all(Array.from({ length: 4 }, worker));
      t.comment(`${role}: ${runnable.length} requests; statuses ${[...statuses].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}×${n}`).join(' ')}`);
      for (const [key, example] of failures) t.fail(key, { diagnostic: true, example });
      t.equal(failures.size, 0, `${role}: every answer is declared by the document`);
    });
  }

  t.test('a client following the document\'s examples and links places, pays, ships, delivers and refunds an order', async (t) => {
    const token = tokens.admin;
    const example = (path: string) => doc.paths[path]!.post!.requestBody.content['application/json'].example;
    const receipt = await call(app.base, 'POST', '/api/v1/inventory/receipts', { token, body: example('/api/v1/inventory/receipts') });
    t.equal(receipt.status, 201, 'stock received with the receipt example');
    let res = await call(app.base, 'POST', '/api/v1/orders/', { token, body: example('/api/v1/orders/') });
    t.equal(res.status, 201, `order placed with the document's example: ${JSON.stringify(res.body).slice(0, 200)}`);
    let from = { path: '/api/v1/orders/', method: 'post', status: '201' };
    for (const name of ['PayOrder', 'CreateShipment', 'ShipShipment', 'TransitShipment', 'DeliverShipment', 'RefundOrder']) {
      const link = doc.paths[from.path]![from.method]!.responses[from.status].links?.[name] as Json | undefined;
      if (!t.ok(link, `${from.method.toUpperCase()} ${from.path} ${from.status} links to ${name}`)) return;
      const step = followLink(doc, link!, res.body);
      res = await call(app.base, step.method.toUpperCase(), step.url, { token, body: step.body });
      t.equal(res.status, Number(Object.keys(step.op.responses).find((s) => s.startsWith('2'))), `${name}: ${step.method.toUpperCase()} ${step.url} → ${res.status} ${res.status >= 300 ? JSON.stringify(res.body).slice(0, 300) : ''}`);
      if (res.status >= 300) return;
      from = { path: step.path, method: step.method, status: String(res.status) };
    }
    t.equal(res.body.orderStatus, 'REFUNDED', 'the order ends refunded');
  });

  t.test('stock:verify is clean after the fuzz', async (t) => {
    await app.kill('SIGTERM');
    const verify = await stockVerifyCli(url);
    t.equal(verify.code, 0, verify.output);
  });
}

/** Resolves a link's operation, parameters and body against the answer it comes from. */
function followLink(doc: Doc, link: Json, body: Json) {
  const value = (v: unknown): unknown => {
    if (typeof v === 'string' && v.startsWith('$response.body#')) {
      return v.slice('$response.body#/'.length).split('/').reduce<unknown>((o, k) => (o as Json | undefined)?.[k], body);
    }
    if (Array.isArray(v)) return v.map(value);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, value(x)]));
    return v;
  };
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if ((op as Json).operationId !== link.operationId) continue;
      let url = path;
      for (const [k, v] of Object.entries((link.parameters ?? {}) as Json)) url = url.replace(`{${k}}`, String(value(v)));
      return { path, method, op: op as Json, url, body: link.requestBody === undefined ? undefined : value(link.requestBody) };
    }
  }
  throw new Error(`no operation ${link.operationId}`);
}
