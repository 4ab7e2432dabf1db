// Issue 7.5, access: every route the app registers × every kind of caller (visitor, customer,
// staff of store A, staff of store B, admin) × whose resource it is. The policy is one table
// (access-policy.ts) keyed by "METHOD /url pattern"; a route the app has and the table lacks
// fails the first test, so nothing new slips in unclassified. Each cell sends a valid request
// (fresh fixtures for writes, so a success is a real success and a refusal is a real access
// refusal, not a validation error) and checks the exact answer: the success status (and
// redirect), or the refusal the app uses consistently — pages: 303 to /login?next=… for a
// visitor's GET (401 + HX-Redirect for htmx), 401 for a visitor's POST, 403 for a wrong role or
// store, 404 where the resource is hidden; the API: 401/403/404 as JSON {status, message}.
// A refused GET is refused as HEAD as well. Refused cells and GETs must not change any row
// (test-only row triggers count writes); allowed writes must. Lists and pages that show other
// resources are checked for what they reveal of the owner's rows.
import t from 'tap';
import { buildWorld, classify, reusableFixtures, runCell, WHO } from './access-helpers.ts';
import { buildPolicy } from './access-policy.ts';

const w = await buildWorld(t, { login: { maxPerAccount: 1000, maxPerIp: 100_000, windowSeconds: 900 } });
const { POLICY } = await buildPolicy(w);

t.test('every route the app registers is in the policy table, and every entry is a route', async (t) => {
  const registered = new Set(w.routes.map(classify));
  t.same([...registered].filter((k) => !(k in POLICY)), [], 'routes without a policy (add them to POLICY in access-policy.ts)');
  t.same(Object.keys(POLICY).filter((k) => !registered.has(k)), [], 'policy entries for routes that do not exist');
  t.ok(registered.size > 150, `${registered.size} routes classified`);
});

// Reads first: list cells then see only the read-only fixtures, and no write can mask a leak.
const keys = Object.keys(POLICY);
const order = [...keys.filter((k) => k.startsWith('GET ')), ...keys.filter((k) => !k.startsWith('GET '))];
let cells = 0;
const started = Date.now();
/** (route × owner × variant) groups where no caller succeeded: their refusals cannot be told
 * apart from a bad request, so the list must hold only the known business refusals. */
const unproven: string[] = [];
for (const key of order) {
  const rule = POLICY[key]!;
  t.test(key, async (t) => {
    for (const owner of rule.owners ?? ['-']) {
      for (const variant of rule.variants ?? ['']) {
        const fixtures = reusableFixtures(w.make);
        let succeeded = false;
        for (const who of WHO) {
          cells++;
          const { got, want, url, body, wrote } = await runCell(w, key, rule, who, owner, variant, fixtures);
          succeeded ||= rule.verdict(who, owner, variant) === 'ok' && got.status === want.status;
          t.same(got, want, `${who} × ${owner}${variant ? ` × ${variant}` : ''}`, {
            url, tables: wrote, body: got.status >= 400 || got.status !== want.status ? body.slice(0, 300) : undefined,
          });
        }
        if (!succeeded) unproven.push(`${key} × ${owner}${variant ? ` × ${variant}` : ''}`);
      }
    }
  });
}

t.test('every group of cells has a caller for whom the same request succeeds', async (t) => {
  t.same(unproven, [
    // Another customer's order in the storefront: only its owner, who is not among the callers,
    // may open or cancel it; the "mine" groups prove the same request works.
    'GET /account/orders/:id × A/other', 'GET /account/orders/:id × B/other',
    'POST /account/orders/:id/cancel × A/other', 'POST /account/orders/:id/cancel × B/other',
    // A customer with a sign-in account, which nobody may delete (409; "other" proves the request).
    'DELETE /api/v1/customers/:id × mine',
  ]);
});

t.test('matrix size', async (t) => {
  t.comment(`${cells} cells: ${keys.length} routes (HEAD mirrors GET) × ${WHO.length} callers × their owners and variants, in ${Math.round((Date.now() - started) / 1000)} s`);
  t.ok(cells > 1400);
});

t.test('a refusal names the right reason for the caller', async (t) => {
  // Customer-only pages once told staff and even admins that "only administrators" may open them.
  const { orderId } = await w.make.order('A', 'mine');
  for (const who of ['staffA', 'admin'] as const) {
    const res = await w.clients[who].get(`/account/orders/${orderId}`);
    t.equal(res.statusCode, 403);
    t.notMatch(res.body, 'Only administrators', `${who} is not told that only administrators may open it`);
    t.match(res.body, 'customer accounts');
  }
  const staffOnAdminPage = await w.clients.staffA.get('/users');
  t.match(staffOnAdminPage.body, 'Only administrators can open this page.');
  const customerInBackOffice = await w.clients.customer.get('/orders');
  t.match(customerInBackOffice.body, 'The back office is for store staff.');
});

t.test('the public API documentation page loads its own assets', async (t) => {
  // /api/docs (no trailing slash) once linked /docs/static/…, outside the app: a blank page.
  for (const url of ['/api/docs', '/api/docs/']) {
    const page = await w.app.inject({ url });
    t.equal(page.statusCode, 200, url);
    const links = [...page.body.matchAll(/(?:href|src)="([^"]+)"/g)].map((m) => new URL(m[1]!, `http://x${url}`).pathname);
    t.ok(links.length >= 5, `${url} links its assets`);
    for (const link of links) t.equal((await w.app.inject({ url: link })).statusCode, 200, `${url} → ${link}`);
  }
});
