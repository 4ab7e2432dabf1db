// Errors keep the app's shape where the router never runs: a request Node's HTTP parser refuses
// (bad header bytes → 400, headers too large → 431) and a method the path does not have (405
// with Allow). The parser's refusals need a real listening server and raw bytes.
import t from 'tap';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { apiLogin, buildTestApp, makeUser, Client } from './helper.ts';

const { app } = await buildTestApp(t);
await app.listen({ port: 0, host: '127.0.0.1' });
const { port } = app.server.address() as AddressInfo;
const admin = await makeUser(app, 'admin');
const token = await apiLogin(app, admin.email, admin.password);

/** Writes raw bytes and reads the whole answer (the server closes the connection). */
function raw(bytes: string | Buffer): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', () => {});
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const [head = '', body = ''] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body });
    });
    socket.on('timeout', () => reject(new Error('no answer')));
    socket.setTimeout(5000);
    socket.write(bytes);
  });
}

t.test('a request the HTTP parser refuses gets the app\'s error body and security headers', async (t) => {
  const cases: Array<[string, string | Buffer, number]> = [
    ['a control character in a header', Buffer.from('POST /api/v1/inventory/counts HTTP/1.1\r\nHost: x\r\nL: tX\x19Z\r\nContent-Length: 0\r\n\r\n', 'latin1'), 400],
    ['a bogus bearer token byte', Buffer.from('GET /api/v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \x15\xd5\r\n\r\n', 'latin1'), 400],
    ['a broken request line', 'GARBAGE\r\n\r\n', 400],
    ['headers over 16 KB', `GET /api/v1/me HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
    ['headers over 16 KB on a page', `GET /customers HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
  ];
  for (const [name, bytes, status] of cases) {
    const res = await raw(bytes);
    t.equal(res.status, status, name);
    t.match(res.headers['content-type'], /^application\/json/, `${name}: JSON`);
    const body = JSON.parse(res.body);
    t.same(Object.keys(body).sort(), ['message', 'status'], `${name}: {status, message}`);
    t.equal(body.status, status);
    t.notMatch(body.message, /Client Error/);
    t.equal(res.headers['x-content-type-options'], 'nosniff', `${name}: nosniff`);
    t.equal(res.headers['cache-control'], 'no-store', `${name}: no-store`);
    t.match(res.headers['content-security-policy'], /default-src 'none'/, `${name}: CSP`);
    t.equal(res.headers['x-frame-options'], 'DENY');
    t.equal(Number(res.headers['content-length']), Buffer.byteLength(res.body), `${name}: length`);
  }
});

t.test('a method the path does not have is 405 with Allow', async (t) => {
  const auth = { authorization: `Bearer ${token}` };
  const api: Array<[string, string, string[]]> = [
    ['TRACE', '/api/v1/customers/', ['GET', 'HEAD', 'POST']],
    ['DELETE', '/api/v1/customers/', ['GET', 'HEAD', 'POST']],
    ['DELETE', '/api/v1/me', ['GET', 'HEAD']],
    ['PUT', '/api/v1/orders/1/actions/pay', ['POST']],
    ['POST', '/api/v1/customers/1', ['DELETE', 'GET', 'HEAD', 'PATCH', 'PUT']],
  ];
  for (const [method, url, allowed] of api) {
    const res = await app.inject({ method: method as 'GET', url, headers: auth });
    t.equal(res.statusCode, 405, `${method} ${url}`);
    t.same(res.headers.allow?.toString().split(', ').sort(), allowed, `${method} ${url}: Allow`);
    t.same(res.json(), { status: 405, message: `${method} is not allowed here. Use ${allowed.join(', ')}.` });
  }
  // Without a token too: the method is wrong whoever asks.
  t.equal((await app.inject({ method: 'TRACE', url: '/api/v1/customers/' })).statusCode, 405);
  // No path, no 405.
  t.equal((await app.inject({ method: 'TRACE', url: '/api/v1/nothing-here' })).statusCode, 404);

  const client = new Client(app);
  await client.login(admin.email, admin.password);
  const page = await app.inject({ method: 'DELETE', url: '/customers', headers: { cookie: [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; '), accept: 'text/html' } });
  t.equal(page.statusCode, 405);
  t.same(page.headers.allow?.toString().split(', ').sort(), ['GET', 'HEAD', 'POST']);
  t.match(page.headers['content-type'], /text\/html/);
  t.match(page.body, /DELETE is not allowed here/);
  const anonymous = await app.inject({ method: 'PUT', url: '/login' });
  t.equal(anonymous.statusCode, 405);
});
