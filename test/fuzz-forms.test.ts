// Bad input to every form (every state-changing route of the server-rendered pages), as each
// role: random and hostile values (wrong types as JSON, huge and odd unicode text, numbers as
// text and text as numbers, SQL and markup, missing, repeated and extra fields, broken encodings,
// CSRF missing or forged), with real and hostile ids in the address. Every answer: no 5xx, no
// internals (stack frames, error names, SQL, file paths), no unescaped markup, no off-site
// redirect; a refusal (4xx) writes nothing; a success's next page escapes what was saved. Then
// every page is crawled with the markup records. FUZZ_RUNS=50 for a deeper pass; FUZZ_SEED replays.
import t from 'tap';
import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { queryRows } from '../src/db/client.ts';
import { buildTestApp } from './helper.ts';
import {
  DEBUG, RUNS, SEED, RAW_ENCODED, seedFor, answerProblems, changedTables, describe, encodePairs, fingerprinter, hostileJson, hostileText,
  pathArb, recordRoutes, type FormValue, type Fingerprint, type FuzzClient,
} from './fuzz-helpers.ts';
import { buildWorld, crawlPages, signIn, FUZZ_CONFIG, ROLES, type RoleName } from './fuzz-world.ts';
import { FORM_SPECS, MY_EMAIL, MY_PASSWORD, VERSION, fieldKey, type Fields } from './fuzz-forms-specs.ts';
import { multipartArb, type Upload } from './fuzz-upload.ts';

const recorder = recordRoutes();
const { app } = await buildTestApp(t, FUZZ_CONFIG);
await app.ready();
recorder.stop();
const routes = recorder.routes;
const world = await buildWorld(app);
const fingerprint = await fingerprinter(app.db);
t.comment(`fuzz-forms: FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS}`);

const formRoutes = routes.filter((r) => r.method !== 'GET' && !r.url.startsWith('/api/'));
const clients = {} as Record<RoleName, FuzzClient>;
for (const role of ROLES) clients[role] = await signIn(app, world, role);

t.test('every state-changing page route is classified, and no entry is stale', async (t) => {
  const live = new Set(formRoutes.map((r) => `${r.method} ${r.url}`));
  t.same([...live].filter((k) => !FORM_SPECS[k]), [], 'new form routes: add them to test/fuzz-forms-specs.ts');
  t.same(Object.keys(FORM_SPECS).filter((k) => !live.has(k)), [], 'entries for routes that no longer exist');
});

t.test('the forms on the pages post only fields the fuzz sends', async (t) => {
  const patterns = formRoutes.map((r) => ({ key: `${r.method} ${r.url}`, re: new RegExp(`^${r.url.replace(/:\w+/g, '[^/]+')}$`) }));
  for (const [key, spec] of Object.entries(FORM_SPECS)) {
    for (const [role, url] of spec.pages?.(world) ?? []) {
      const client = await signIn(app, world, role);
      const page = await client.get(url);
      t.equal(page.statusCode, 200, `${role} GET ${url}`);
      let found = false;
      for (const form of page.body.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
        if (!/method="post"/i.test(form[1]!)) continue;
        const action = (/\baction="([^"?]*)/.exec(form[1]!)?.[1] ?? '').replace(/&amp;/g, '&');
        const owner = patterns.find((p) => p.re.test(action));
        t.ok(owner, `${url}: the form posting to ${action} has a route`);
        if (owner?.key !== key) continue;
        found = true;
        const known = new Set(Object.keys(fc.sample(spec.valid(world, role), { numRuns: 1, seed: 1 })[0]!).map(fieldKey));
        const names = [...form[2]!.matchAll(/<(?:input|select|textarea|button)\b[^>]*\bname="([^"]+)"/g)].map((m) => fieldKey(m[1]!));
        t.same(names.filter((n) => n !== '_csrf' && !known.has(n)), [], `${key}: fields on ${url} the fuzz does not know`);
      }
      t.ok(found, `${url} holds a form for ${key}`);
    }
  }
});

// ---- Sending one case -----------------------------------------------------------------------------

interface Case { path: string; fields: Fields; mode: 'form' | 'json' | 'empty' | 'text'; json: Record<string, unknown>; csrf: 'ok' | 'missing' | 'forged'; htmx: boolean; upload?: Upload }

const VERSIONED: Array<[RegExp, string, string]> = [
  [/^\/stores\/(\d+)/, 'stores', 'store_id'], [/^\/customers\/(\d+)/, 'customers', 'customer_id'], [/^\/products\/(\d+)/, 'products', 'product_id'],
  [/^\/users\/(\d+)/, 'users', 'user_id'], [/^\/(?:account\/)?orders\/(\d+)/, 'orders', 'order_id'], [/^\/shipments\/(\d+)/, 'shipments', 'shipment_id'],
];

/** The record's current version for a VERSION field (so a well-formed edit can succeed). */
async function currentVersion(path: string): Promise<string> {
  for (const [re, table, key] of VERSIONED) {
    const id = re.exec(path)?.[1];
    if (!id || id.length > 9) continue;
    const rows = await queryRows<{ v: number }>(app.db, sql`select version as v from ${sql.identifier(table)} where ${sql.identifier(key)} = ${Number(id)}`);
    return String(rows[0]?.v ?? 1);
  }
  return '1';
}

async function resolve(fields: Fields, path: string, role: RoleName): Promise<Record<string, FormValue>> {
  const me = world.roles[role === 'anonymous' ? 'customer' : role];
  const out: Record<string, FormValue> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    out[k] = v === VERSION ? await currentVersion(path) : v === MY_EMAIL ? me.email : v === MY_PASSWORD ? me.password : v;
  }
  return out;
}

const asJson = (v: FormValue): unknown => (Array.isArray(v) ? v.map(asJson) : typeof v === 'string' ? v : v.raw);

async function send(client: FuzzClient, role: RoleName, c: Case) {
  const fields = await resolve(c.fields, c.path, role);
  const token = c.csrf === 'ok' ? client.csrf : c.csrf === 'forged' ? `${client.csrf.slice(0, -4)}AAAA` : undefined;
  const headers: Record<string, string> = c.htmx ? { 'hx-request': 'true' } : {};
  if (c.upload) {
    const { body, contentType, csrfInHeader } = c.upload;
    if (token && csrfInHeader) headers['x-csrf-token'] = token;
    const url = token && !csrfInHeader ? `${c.path}?_csrf=${encodeURIComponent(token)}` : c.path;
    return { fields, res: await client.send({ method: 'POST', url, payload: body, headers: { ...headers, ...(contentType ? { 'content-type': contentType } : {}) } }) };
  }
  const withToken = token === undefined ? fields : { _csrf: token, ...fields };
  if (c.mode === 'json') {
    const body = { ...Object.fromEntries(Object.entries(withToken).map(([k, v]) => [k, asJson(v)])), ...c.json };
    return { fields, res: await client.send({ method: 'POST', url: c.path, payload: JSON.stringify(body), headers: { ...headers, 'content-type': 'application/json' } }) };
  }
  if (c.mode === 'empty') {
    return { fields, res: await client.send({ method: 'POST', url: c.path, headers: { ...headers, ...(token ? { 'x-csrf-token': token } : {}) } }) };
  }
  const type = c.mode === 'text' ? 'text/plain' : 'application/x-www-form-urlencoded';
  return { fields, res: await client.send({ method: 'POST', url: c.path, payload: encodePairs(withToken), headers: { ...headers, 'content-type': type } }) };
}

// ---- The fuzz ------------------------------------------------------------------------------------

const EXTRA_NAMES = ['__proto__', 'constructor', 'prototype', 'role', 'customerId', 'userId', 'active', 'version', 'storeIds', 'a[b]', '_method', 'x'.repeat(300), '', 'id'];

/** The valid-ish fields, broken: each field kept, replaced, repeated, raw-encoded or dropped; extras added. */
function broken(valid: fc.Arbitrary<Fields>): fc.Arbitrary<Fields> {
  return valid.chain((v) => {
    const keys = Object.keys(v);
    const perField = keys.map((k) => fc.oneof(
      { weight: 12, arbitrary: fc.constant(v[k]) },
      { weight: 4, arbitrary: hostileText },
      { weight: 1, arbitrary: fc.tuple(hostileText, hostileText) },
      { weight: 1, arbitrary: fc.constantFrom(...RAW_ENCODED).map((raw) => ({ raw })) },
      { weight: 2, arbitrary: fc.constant(undefined) },
    ));
    return fc.tuple(fc.tuple(...perField), fc.dictionary(fc.constantFrom(...EXTRA_NAMES), hostileText, { maxKeys: 2 }), fc.nat(9))
      .map(([values, extra, intact]) => (intact < 4 ? v : { ...Object.fromEntries(keys.map((k, i) => [k, values[i] as FormValue | undefined])), ...extra }));
  });
}

const RISKY = /^\/(?:login|logout|register|register\/confirm|reset-password|account\/password)$/;
const statuses = new Map<string, number>();
let cached: Fingerprint | undefined;

for (const route of formRoutes) {
  const key = `${route.method} ${route.url}`;
  const spec = FORM_SPECS[key];
  if (!spec) continue;
  t.test(key, async (t) => {
    const problems = new Map<string, string>();
    const seen: Record<string, number> = {};
    for (const role of ROLES) {
      const valid = spec.valid(world, role);
      const names = Object.keys(fc.sample(valid, { numRuns: 1, seed: 1 })[0]!);
      const arb = fc.record({
        path: pathArb(route, world.pools), fields: broken(valid),
        mode: fc.oneof({ weight: 16, arbitrary: fc.constant('form' as const) }, { weight: 3, arbitrary: fc.constant('json' as const) },
          { weight: 1, arbitrary: fc.constant('empty' as const) }, { weight: 1, arbitrary: fc.constant('text' as const) }),
        json: fc.dictionary(fc.constantFrom(...names, 'extra'), hostileJson, { maxKeys: 3 }),
        csrf: fc.oneof({ weight: 18, arbitrary: fc.constant('ok' as const) }, { weight: 1, arbitrary: fc.constant('missing' as const) }, { weight: 1, arbitrary: fc.constant('forged' as const) }),
        htmx: fc.boolean(),
        upload: spec.multipart ? multipartArb.map((u): Upload | undefined => u) : fc.constant(undefined),
      });
      await fc.assert(fc.asyncProperty(arb, async (c) => {
        const client = clients[role];
        const before = cached ?? await fingerprint();
        const { res, fields } = await send(client, role, c);
        // Work the app does after answering (the password-reset mail) belongs to this request.
        await app.settle();
        seen[`${role}:${res.statusCode}`] = (seen[`${role}:${res.statusCode}`] ?? 0) + 1;
        if (DEBUG) t.comment(`${role} POST ${c.path} ${c.mode} ${describe(fields).slice(0, 200)} → ${res.statusCode} ${res.headers.location ?? res.body.match(/class="field-error">[^<]*|role="alert"[^>]*>[^<]*/g)?.join(' | ').slice(0, 200) ?? ''}`);
        const found = answerProblems(res);
        const location = String(res.headers.location ?? '');
        if (res.statusCode >= 300 && res.statusCode < 400 && (!location.startsWith('/') || /^\/[/\\]/.test(location))) found.push(`redirects off-site to ${location}`);
        if (res.statusCode >= 400 && res.statusCode < 500) {
          cached = await fingerprint();
          const changed = changedTables(before, cached);
          if (changed.length) found.push(`refused (${res.statusCode}) but wrote to ${changed.join(', ')}`);
        } else {
          cached = undefined;
          if (/^\/imports\/\d+\/apply$/.test(c.path)) await importSettled();
          // The next page shows what was saved (and the flash): it must escape it too.
          if (location.startsWith('/') && !location.startsWith('//')) {
            const next = await client.get(location);
            await app.settle();
            for (const p of answerProblems(next)) found.push(`after the redirect, GET ${location} → ${next.statusCode}: ${p}`);
          }
          if (RISKY.test(c.path)) await keepSignedIn(role, c.path, res.statusCode, fields);
        }
        // A signed-in role that is suddenly anonymous lost its session somehow: sign in again.
        if (res.statusCode === 401 && role !== 'anonymous') { await keepSignedIn(role, c.path, res.statusCode, fields); cached = undefined; }
        for (const p of found) {
          const id = `${role} ${p.replace(/…[\s\S]*$/, '').replace(/\d+/g, 'N')}`;
          if (!problems.has(id)) problems.set(id, `${role} POST ${c.path} → ${res.statusCode}: ${p}\n    request: ${describe({ ...c, fields, upload: c.upload?.summary })}`);
        }
      }), { numRuns: RUNS, seed: seedFor(key, role), endOnFailure: true });
    }
    for (const p of problems.values()) t.fail(p);
    t.comment(Object.entries(seen).sort().map(([k, n]) => `${k}×${n}`).join(' '));
    for (const [k, n] of Object.entries(seen)) statuses.set(`${key} ${k}`, n);
    if (!problems.size) t.pass(`${key}: no problems`);
  });
}

/** Sign-in, registration, logout and password changes move the session: start a fresh one. */
async function keepSignedIn(role: RoleName, path: string, status: number, fields: Record<string, FormValue>) {
  if (path === '/account/password' && status === 303 && role !== 'anonymous' && typeof fields.password === 'string') {
    world.roles[role].password = fields.password.trim();
  }
  clients[role] = await signIn(app, world, role);
}

/** An apply runs on after its answer, in a transaction that holds its job's row: wait until no
 * job row is locked, so its writes are not blamed on the next request. */
async function importSettled() {
  for (let i = 0; i < 500; i++) {
    const [busy] = await queryRows<{ n: number }>(app.db, sql`select (select count(*) from import_jobs)::int
      - (select count(*) from (select job_id from import_jobs for share skip locked) free)::int as n`);
    if (!busy!.n) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

t.test('every page escapes the markup stored in any text field', async (t) => {
  const problems = await crawlPages(app, world, routes);
  for (const p of new Set(problems)) t.fail(p);
  if (!problems.length) t.pass('no page showed markup unescaped, leaked internals or failed');
});
