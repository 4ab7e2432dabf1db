// Bad input to every JSON API route (/api/v1/**, taken from the app's own route list, bodies and
// query strings generated from each route's schema), as each role: anonymous (no or a bogus
// token), customer, staff of store A, admin. Every answer: no 5xx; no stack frames, error names,
// SQL or file paths; errors in the documented shape {status, message}; a refusal (4xx) writes
// nothing; without a valid token, 401 whatever the request. A new API route is fuzzed without
// touching this file. FUZZ_RUNS=50 for a deeper pass.
import t from 'tap';
import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { queryRows } from '../src/db/client.ts';
import { apiLogin, buildTestApp } from './helper.ts';
import { DEBUG, RUNS, SEED, answerProblems, seedFor, changedTables, describe, fingerprinter, pct, recordRoutes, type Fingerprint } from './fuzz-helpers.ts';
import { buildWorld, FUZZ_CONFIG, ROLES, type RoleName } from './fuzz-world.ts';
import { VERSION, apiCaseArb, badAuthorization, type ApiCase } from './fuzz-api-values.ts';

const recorder = recordRoutes();
const { app } = await buildTestApp(t, FUZZ_CONFIG);
await app.ready();
recorder.stop();
const world = await buildWorld(app);
const fingerprint = await fingerprinter(app.db);
const apiRoutes = recorder.routes.filter((r) => r.url.startsWith('/api/v1/'));
t.comment(`fuzz-api: FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS}, ${apiRoutes.length} routes`);

t.test('the API routes are found from the app, with their schemas', async (t) => {
  // A floor, not a list: the count grows with the API and every route found is fuzzed below.
  t.ok(apiRoutes.length >= 40, `${apiRoutes.length} API routes`);
  t.ok(apiRoutes.some((r) => r.method === 'POST' && r.url === '/api/v1/orders' && r.schema?.body), 'POST /api/v1/orders with its body schema');
  const noSchema = apiRoutes.filter((r) => ['POST', 'PUT', 'PATCH'].includes(r.method) && !r.schema?.body && !/\/auth\/logout$/.test(r.url));
  t.same(noSchema.map((r) => `${r.method} ${r.url}`), [], 'every API write declares its body schema');
});

const VERSIONED: Array<[RegExp, string, string]> = [
  [/^\/api\/v1\/customers\/(\d+)/, 'customers', 'customer_id'], [/^\/api\/v1\/products\/(\d+)/, 'products', 'product_id'],
  [/^\/api\/v1\/stores\/(\d+)/, 'stores', 'store_id'], [/^\/api\/v1\/users\/(\d+)/, 'users', 'user_id'],
  [/^\/api\/v1\/orders\/(\d+)/, 'orders', 'order_id'], [/^\/api\/v1\/shipments\/(\d+)/, 'shipments', 'shipment_id'],
];

async function currentVersion(path: string): Promise<number> {
  for (const [re, table, key] of VERSIONED) {
    const id = re.exec(path)?.[1];
    if (!id || id.length > 9) continue;
    const rows = await queryRows<{ v: number }>(app.db, sql`select version as v from ${sql.identifier(table)} where ${sql.identifier(key)} = ${Number(id)}`);
    return rows[0]?.v ?? 1;
  }
  return 1;
}

/** Replaces the VERSION sentinel (anywhere in the document) with the record's current version. */
async function withVersion(value: unknown, path: string): Promise<unknown> {
  const text = JSON.stringify(value);
  if (!text?.includes('\\u0002version')) return value;
  const v = await currentVersion(path);
  return JSON.parse(text.replaceAll('"\\u0002version"', String(v)));
}

async function send(role: RoleName, c: ApiCase, authorization: string | undefined) {
  const version = c.query.some(([, v]) => v === VERSION) ? String(await currentVersion(c.path)) : '';
  const query = c.query.map(([k, v]) => `${pct(k)}=${pct(v === VERSION ? version : v)}`).join('&');
  const headers: Record<string, string> = { ...c.headers };
  if (authorization !== undefined) headers.authorization = authorization;
  let payload: string | undefined;
  if (c.body.kind === 'json') {
    payload = JSON.stringify(await withVersion(c.body.value, c.path)) ?? 'null';
    headers['content-type'] = 'application/json';
  } else if (c.body.kind === 'raw') {
    payload = c.body.text;
    if (c.body.type) headers['content-type'] = c.body.type;
  }
  const res = await app.inject({ method: c.method as 'GET', url: `${c.path}${query ? `?${query}` : ''}`, payload, headers });
  return { res, sentQuery: query };
}

/** The documented error body: JSON with the status and a message. */
function errorShapeProblem(res: Awaited<ReturnType<typeof app.inject>>): string | undefined {
  if (res.statusCode < 400) return undefined;
  if (!String(res.headers['content-type'] ?? '').includes('application/json')) return `error answered as ${res.headers['content-type']}, not JSON`;
  try {
    const body = res.json() as { status?: unknown; message?: unknown };
    if (body.status !== res.statusCode || typeof body.message !== 'string' || !body.message) return `error body is not {status, message}: ${res.body.slice(0, 200)}`;
  } catch {
    return `error body is not JSON: ${res.body.slice(0, 200)}`;
  }
  return undefined;
}

const tokens: Record<RoleName, string | undefined> = { anonymous: undefined, customer: world.roles.customer.token, staff: world.roles.staff.token, admin: world.roles.admin.token };
let cached: Fingerprint | undefined;

for (const route of apiRoutes) {
  const key = `${route.method} ${route.url}`;
  t.test(key, async (t) => {
    const problems = new Map<string, string>();
    const seen: Record<string, number> = {};
    for (const role of ROLES) {
      const arb = fc.tuple(apiCaseArb(route, world, role), badAuthorization);
      await fc.assert(fc.asyncProperty(arb, async ([c, bogus]) => {
        const authorization = role === 'anonymous' ? bogus : `Bearer ${tokens[role]}`;
        const before = cached ?? await fingerprint();
        const { res, sentQuery } = await send(role, c, authorization);
        // Work the app does after answering belongs to this request.
        await app.settle();
        seen[`${role}:${res.statusCode}`] = (seen[`${role}:${res.statusCode}`] ?? 0) + 1;
        if (DEBUG) t.comment(`${role} ${route.method} ${c.path}?${sentQuery.slice(0, 100)} ${describe(c.body).slice(0, 150)} → ${res.statusCode} ${res.body.slice(0, 160)}`);
        const found = answerProblems(res);
        const shape = errorShapeProblem(res);
        if (shape) found.push(shape);
        // Without a valid token every call is a 401, whatever it sends (SPEC), unless the address
        // itself cannot be routed.
        if (role === 'anonymous' && !route.public && res.statusCode !== 401 && !/"This address is not valid\."/.test(res.body)) {
          found.push(`anonymous call answered ${res.statusCode}, not 401`);
        }
        if (res.statusCode >= 400 && res.statusCode < 500) {
          cached = await fingerprint();
          const changed = changedTables(before, cached);
          if (changed.length) found.push(`refused (${res.statusCode}) but wrote to ${changed.join(', ')}`);
        } else {
          cached = undefined;
        }
        // Signing out revokes the token: take a new one (the API's own login).
        if (role !== 'anonymous' && (res.statusCode === 401 || (/\/auth\/logout$/.test(route.url) && res.statusCode < 300))) {
          const r = world.roles[role];
          tokens[role] = await apiLogin(app, r.email, r.password);
          cached = undefined;
        }
        for (const p of found) {
          const id = `${role} ${p.replace(/:[\s\S]*$/, '').replace(/\d+/g, 'N')}`;
          if (!problems.has(id)) problems.set(id, `${role} ${route.method} ${c.path}?${sentQuery.slice(0, 200)} → ${res.statusCode}: ${p}\n    request: ${describe({ body: c.body, headers: c.headers, authorization: role === 'anonymous' ? bogus : '(role token)' })}\n    answer: ${res.body.slice(0, 300)}`);
        }
      }), { numRuns: RUNS, seed: seedFor(key, role), endOnFailure: true });
    }
    for (const p of problems.values()) t.fail(p);
    t.comment(Object.entries(seen).sort().map(([k, n]) => `${k}×${n}`).join(' '));
    if (!problems.size) t.pass(`${key}: no problems`);
  });
}
