// Look-ups by a name the client chooses (sort, order, format, status, kind, a vendored file…)
// must find only the app's own entries: Object.prototype's names (`__proto__`, `constructor`,
// `toString`…) once slipped past a plain-object map and reached SQL as an empty sort (500).
// Every GET route, API and pages, taken from the app's own route list, as each signed-in role.
import t from 'tap';
import { buildTestApp } from './helper.ts';
import { recordRoutes, poolFor, isStatic } from './fuzz-helpers.ts';
import { buildWorld, signIn, FUZZ_CONFIG } from './fuzz-world.ts';

const INHERITED = [...Object.getOwnPropertyNames(Object.prototype), 'length', 'prototype'];
// Every inherited name behaves alike in a map look-up (a function), but for __proto__ (an
// object): a handful stands for all of them on the many page requests.
const SOME = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__'];
// Maps are looked up by these; every other parameter gets the four names most likely to bite.
const KEYED = ['sort', 'order', 'format', 'status'];
const OTHERS = ['kind', 'reason', 'role', 'active', 'period', 'grain', 'chart', 'show', 'action', 'entity', 'storeId', 'year', 'from', 'to', 'brand', 'colour', 'size', 'type', 'by', 'view', 'q'];
const FEW = ['__proto__', 'constructor'];
const namesFor = (param: string, all = INHERITED) => (KEYED.includes(param) ? all : FEW);
/** One line per route and parameter, with the names that failed. */
function grouped(problems: Array<[string, string]>): string[] {
  const by = new Map<string, string[]>();
  for (const [k, name] of problems) by.set(k, [...(by.get(k) ?? []), name]);
  return [...by].map(([k, names]) => `${k}: ${names.join(' ')}`);
}

const recorder = recordRoutes();
const { app } = await buildTestApp(t, FUZZ_CONFIG);
await app.ready();
recorder.stop();
const world = await buildWorld(app);
const gets = recorder.routes.filter((r) => r.method === 'GET' && !isStatic(r.url) && !/\/(logout|reset|invite|tokens?)\b/.test(r.url));

function urlFor(route: { url: string; schema?: { params?: Record<string, unknown> } }): string {
  const params = [...route.url.matchAll(/:(\w+)/g)].map((m) => m[1]!);
  return params.reduce((u, p) => u.replace(`:${p}`, encodeURIComponent(String(poolFor(route.url, p, world.pools, route.schema?.params)[0]))), route.url);
}

const declared = (route: { schema?: { querystring?: Record<string, unknown> } }) =>
  Object.keys((route.schema?.querystring?.properties as Record<string, unknown> | undefined) ?? {});

t.test('no inherited property name as a query value gives a server error (API)', async (t) => {
  const problems: Array<[string, string]> = [];
  for (const role of ['admin', 'staff', 'customer'] as const) {
    const auth = { authorization: `Bearer ${world.roles[role].token}` };
    for (const route of gets.filter((r) => r.url.startsWith('/api/v1/'))) {
      const url = urlFor(route);
      for (const param of new Set([...declared(route), ...KEYED])) {
        for (const name of namesFor(param, param === 'sort' ? INHERITED : SOME)) {
          const res = await app.inject({ method: 'GET', url: `${url}?${param}=${encodeURIComponent(name)}`, headers: auth });
          // A list that sorts refuses a sort it does not have; nothing answers 5xx.
          const bad = res.statusCode >= 500 || (param === 'sort' && declared(route).includes('sort') && ![400, 403].includes(res.statusCode));
          if (bad) problems.push([`${role} ${url}?${param}= → ${res.statusCode}`, name]);
        }
      }
    }
  }
  t.same(grouped(problems), []);
});

t.test('no inherited property name as a query value gives a server error (pages)', async (t) => {
  const problems: Array<[string, string]> = [];
  for (const role of ['admin', 'staff'] as const) {
    const client = await signIn(app, world, role);
    // Lists and reports are where query values are looked up; a record's page reads its id.
    for (const route of gets.filter((r) => !r.url.startsWith('/api/') && !r.url.includes(':'))) {
      const url = urlFor(route);
      for (const param of new Set([...declared(route), ...KEYED, ...OTHERS])) {
        for (const name of namesFor(param, SOME)) {
          const res = await client.get(`${url}?${param}=${encodeURIComponent(name)}`);
          if (res.statusCode >= 500) problems.push([`${role} ${url}?${param}= → ${res.statusCode}`, name]);
        }
      }
    }
  }
  t.same(grouped(problems), []);
});

t.test('a sort the list does not have is refused on every list page', async (t) => {
  const client = await signIn(app, world, 'admin');
  const lists = ['/customers', '/products', '/stores', '/users', '/inventory', '/inventory/movements', '/inventory/reports/store-products',
    '/inventory/reports/delivered-units', '/imports', '/shipments', '/orders'];
  for (const url of lists) {
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const res = await client.get(`${url}?sort=${name}`);
      t.ok([400, 422].includes(res.statusCode), `${url}?sort=${name} → ${res.statusCode}`);
      t.notMatch(res.body, /Something went wrong/);
    }
  }
});

t.test('/vendor/ serves only its own files', async (t) => {
  for (const name of INHERITED) {
    const res = await app.inject({ method: 'GET', url: `/vendor/${encodeURIComponent(name)}` });
    t.equal(res.statusCode, 404, `/vendor/${name}`);
  }
  t.equal((await app.inject({ method: 'GET', url: '/vendor/htmx.min.js' })).statusCode, 200);
});
