// Issue 13: the registration link goes out through a real SMTP conversation (a tiny local server
// that accepts everything), after the answer, and the link it carries finishes the account.
import t from 'tap';
import net from 'node:net';
import { once } from 'node:events';
import { buildTestApp, Client } from './helper.ts';

/** Accepts every message over plain SMTP and keeps its text (dot-unstuffed). */
async function smtpSink() {
  const messages: string[] = [];
  const server = net.createServer((sock) => {
    sock.setEncoding('utf8');
    let buffer = '';
    let body: string[] | null = null;
    sock.write('220 sink ESMTP\r\n');
    sock.on('data', (chunk: string) => {
      buffer += chunk;
      for (let i = buffer.indexOf('\r\n'); i >= 0; i = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        if (body) {
          if (line === '.') { messages.push(body.join('\n')); body = null; sock.write('250 queued\r\n'); } else body.push(line.startsWith('..') ? line.slice(1) : line);
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'DATA') { body = []; sock.write('354 go on\r\n'); } else if (verb === 'QUIT') sock.end('221 bye\r\n');
        else sock.write('250 ok\r\n');
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { messages, port: (server.address() as net.AddressInfo).port, close: () => new Promise((resolve) => server.close(resolve)) };
}

t.test('the confirmation mail arrives over SMTP and its link finishes the account', async (t) => {
  const sink = await smtpSink();
  t.teardown(sink.close);
  const { app } = await buildTestApp(t, { smtpUrl: `smtp://127.0.0.1:${sink.port}` });
  const c = new Client(app);
  await c.get('/register');
  const email = `smtp-${Date.now()}@example.test`;
  const res = await c.post('/register', { fullName: 'Smtp Shopper', email, password: 'a long password 1', confirm: 'a long password 1' });
  t.equal(res.statusCode, 303);
  await app.settle();
  t.equal(sink.messages.length, 1, 'one message was delivered');
  const text = sink.messages[0]!.replace(/=\n/g, '').replace(/=3D/g, '=');
  t.match(text, new RegExp(`^To: ${email.replace(/[.]/g, '\\.')}`, 'mi'));
  const token = /register\/confirm\?token=([A-Za-z0-9_-]+)/.exec(text)?.[1];
  t.ok(token, 'with the link');
  await c.get(`/register/confirm?token=${token}`);
  const done = await c.post('/register/confirm', { token: token!, password: 'a long password 1' });
  t.equal(done.statusCode, 303);
  t.equal((await c.get('/account')).statusCode, 200, 'signed in');
});
