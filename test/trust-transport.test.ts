// Issue 13, security finding 17: behind TLS (COOKIE_SECURE, the production default) the session
// cookie carries the __Host- prefix (Secure, Path=/, no Domain: a sibling subdomain cannot plant
// or shadow it) and HSTS is sent; in development over plain http both stay as they were.
import t from 'tap';
import { buildTestApp, Client, makeUser } from './helper.ts';

type Cookie = { name: string; value: string; secure?: boolean; path?: string; domain?: string; httpOnly?: boolean; sameSite?: string };

t.test('behind TLS: __Host- session cookie and HSTS', async (t) => {
  const { app } = await buildTestApp(t, { cookieSecure: true, trustProxy: true });
  const https = { 'x-forwarded-proto': 'https', accept: 'text/html' };
  const page = await app.inject({ url: '/login', headers: https });
  t.match(String(page.headers['strict-transport-security']), /max-age=\d{7,}/, 'HSTS for a year or so');
  const csrf = (page.cookies as Cookie[]).find((c) => c.name.endsWith('oi.csrf'));
  t.equal(csrf?.name, '__Host-oi.csrf', 'the CSRF cookie too');
  t.equal(csrf?.secure, true);
  t.equal(csrf?.path, '/');
  t.notOk(csrf?.domain);
  t.equal(csrf?.httpOnly, true);

  const u = await makeUser(app, 'staff');
  const token = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
  const cookieHeader = (page.cookies as Cookie[]).map((c) => `${c.name}=${c.value}`).join('; ');
  const login = await app.inject({ method: 'POST', url: '/login', headers: { ...https, cookie: cookieHeader, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: token, email: u.email, password: u.password }).toString() });
  t.equal(login.statusCode, 303);
  const signed = (login.cookies as Cookie[]).find((c) => c.name.endsWith('oi.sid'))!;
  t.equal(signed?.name, '__Host-oi.sid', 'the session cookie is named with the __Host- prefix');
  t.equal(signed.secure, true);
  t.equal(signed.path, '/');
  t.notOk(signed.domain, 'no Domain');
  t.equal(signed.httpOnly, true);
  const dash = await app.inject({ url: '/dashboard', headers: { ...https, cookie: `__Host-oi.sid=${signed.value}` } });
  t.equal(dash.statusCode, 200, 'and signs in');
  t.equal((await app.inject({ url: '/dashboard', headers: { ...https, cookie: `oi.sid=${signed.value}` } })).statusCode, 303, 'the unprefixed name is not read');
});

t.test('in development over http: the plain cookie, no HSTS', async (t) => {
  const { app } = await buildTestApp(t, { cookieSecure: false });
  const c = new Client(app);
  const page = await c.get('/login');
  t.notOk(page.headers['strict-transport-security'], 'no HSTS over http');
  t.ok(c.cookies.get('oi.csrf'), 'the CSRF cookie has its plain name');
  const u = await makeUser(app, 'staff');
  const login = await c.post('/login', { email: u.email, password: u.password });
  const session = (login.cookies as Cookie[]).find((x) => x.name.endsWith('oi.sid'));
  t.equal(session?.name, 'oi.sid');
  t.notOk(session?.secure, 'not Secure (http)');
});
