// Issue 13, security findings 2 and 12: `next` after sign-in only ever leads to a path on this
// site, whatever characters it carries, and never causes a server error. A browser reads the
// Location the WHATWG way (dropping tabs and newlines, treating `\` as `/`), so the checks below
// resolve each answer the same way and compare origins.
import t, { type Test } from 'tap';
import fc from 'fast-check';
import { buildTestApp, Client, makeUser } from './helper.ts';
import { safeNext } from '../src/plugins/guards.ts';

const { app } = await buildTestApp(t, { login: { maxPerAccount: 1000, maxPerIp: 100_000, windowSeconds: 900 } });
const staff = await makeUser(app, 'staff');
const ORIGIN = 'http://app.test';

/** What makes a Location safe: a path of ours, in plain printable ASCII. */
function assertSafe(t: Test, location: unknown, label: string) {
  t.type(location, 'string', `${label}: a Location`);
  const loc = String(location);
  t.ok(/^\/(?![/\\])/.test(loc), `${label}: a path, not scheme-relative (${JSON.stringify(loc)})`);
  t.ok(/^[\x21-\x7e]*$/.test(loc), `${label}: printable ASCII only (${JSON.stringify(loc)})`);
  t.equal(new URL(loc, ORIGIN).origin, ORIGIN, `${label}: a browser stays on this site`);
}

const OPEN_REDIRECTS: Record<string, string> = {
  'tab then /': '/\t/evil.example/x',
  'tab then \\': '/\t\\evil.example',
  'CR': '/\r/evil.example',
  'LF': '/\n/evil.example',
  'CRLF header injection': '/x\r\nSet-Cookie: a=b',
  'VT': '/\v/evil.example',
  'FF': '/\f/evil.example',
  'U+2028': '/\u2028/evil.example',
  'U+2029': '/\u2029/evil.example',
  'U+3000': '/\u3000/evil.example',
  'NUL': '/\0/evil.example',
  'U+0085 (C1)': '/\u0085/evil.example',
  'NBSP': '/\u00a0/evil.example',
  'zero-width space': '/\u200b/evil.example',
  'BOM': '/\ufeff/evil.example',
  'DEL': '/\x7f/evil.example',
  'leading space': ' //evil.example',
  'leading tab': '\t//evil.example',
  'scheme-relative': '//evil.example',
  'triple slash': '///evil.example',
  'backslash first': '/\\evil.example',
  'two backslashes': '\\\\evil.example',
  'slash backslash slash': '/\\/evil.example',
  'absolute': 'https://evil.example/',
  'same scheme, no slashes': 'http:evil.example',
  'javascript': 'javascript:alert(1)',
  'dot segment to //': '/.//evil.example',
  'dot-dot segment to //': '/..//evil.example',
  'encoded dot segments': '/%2e%2e//evil.example',
  'relative word': 'evil.example',
  'empty': '',
  'fullwidth solidus': '\uff0f\uff0fevil.example',
};

t.test('after a correct password, `next` never leads off the site and never fails', async (t) => {
  for (const [label, next] of Object.entries(OPEN_REDIRECTS)) {
    const c = new Client(app);
    const form = await c.get(`/login?next=${encodeURIComponent(next)}`);
    t.equal(form.statusCode, 200, `${label}: the form renders`);
    const res = await c.post('/login', { email: staff.email, password: staff.password, next });
    t.equal(res.statusCode, 303, `${label}: signed in and redirected, not ${res.statusCode}`);
    assertSafe(t, res.headers.location, label);
    t.equal(res.headers.location, '/dashboard', `${label}: falls back to the home page`);
  }
});

t.test('an htmx sign-in gets the same safe answer', async (t) => {
  const c = new Client(app);
  await c.get('/login');
  const res = await c.post('/login', { email: staff.email, password: staff.password, next: '/\t/evil.example/x' }, { headers: { 'hx-request': 'true' } });
  t.equal(res.statusCode, 303);
  t.equal(res.headers.location, '/dashboard');
});

t.test('paths of this site still come back intact', async (t) => {
  for (const next of ['/dashboard?x=1', '/orders?status=PAID&sort=createdAt#top', '/customers/12', '/%09/odd-but-a-path', '/caf%C3%A9']) {
    const c = new Client(app);
    await c.get(`/login?next=${encodeURIComponent(next)}`);
    const res = await c.post('/login', { email: staff.email, password: staff.password, next });
    t.equal(res.headers.location, next, `${next} is kept`);
    assertSafe(t, res.headers.location, next);
  }
});

t.test('the login redirect of a guarded page encodes where the visitor was going', async (t) => {
  const page = await app.inject({ url: '/customers?q=%0d%0a%09x', headers: { accept: 'text/html' } });
  t.equal(page.statusCode, 303);
  assertSafe(t, page.headers.location, 'guard redirect');
  const htmx = await app.inject({ url: '/customers?q=%09', headers: { accept: 'text/html', 'hx-request': 'true' } });
  t.equal(htmx.statusCode, 401);
  assertSafe(t, htmx.headers['hx-redirect'], 'guard hx-redirect');
});

t.test('safeNext, for any string: a same-site path in printable ASCII, or the fallback', async (t) => {
  const prefixes = fc.constantFrom('', '/', '//', '/\\', '\\', '/./', '/../', 'http:', 'https://', '/\t', '/\n');
  const checked = fc.tuple(prefixes, fc.string({ unit: 'binary', maxLength: 30 }), fc.string({ unit: 'grapheme-ascii', maxLength: 30 }));
  fc.assert(fc.property(checked, ([p, a, b]) => {
    const out = safeNext(p + a + b, '/home');
    return /^\/(?![/\\])[\x21-\x7e]*$/.test(out) && new URL(out, ORIGIN).origin === ORIGIN;
  }), { numRuns: 5000 });
  t.equal(safeNext(['/x'], '/home'), '/home', 'not a string');
  t.equal(safeNext(undefined, '/home'), '/home');
});
