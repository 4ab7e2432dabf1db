// Issue 13, security finding 10: no secret reaches the server log. The request log wrote
// `?token=…` of reset and invite links in clear; a failed query's parameters (a session id, a
// token hash) would go with its error.
import t from 'tap';
import { Writable } from 'node:stream';
import { apiLogin, Client, createTestDatabase, lastMail, makeUser, testConfig } from './helper.ts';
import { buildApp } from '../src/app.ts';

const lines: string[] = [];
const logStream = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
const database = await createTestDatabase(t);
const config = await testConfig({ logLevel: 'debug' });
const app = await buildApp(config, { database, logStream });
t.teardown(() => app.close());
const logText = () => lines.join('');

t.test('reset links, sign-in and API tokens leave no secret in the request log', async (t) => {
  const u = await makeUser(app, 'staff');
  const c = new Client(app);
  await c.get('/forgot-password');
  await c.post('/forgot-password', { email: u.email });
  await app.settle?.(); // the mail goes out after the answer
  const mail = (await lastMail(config)).replace(/=\r?\n/g, '').replace(/=3D/g, '=');
  const token = /reset-password\?token=([A-Za-z0-9_-]+)/.exec(mail)![1]!;

  t.equal((await c.get(`/reset-password?token=${token}`)).statusCode, 200);
  t.equal((await c.get(`/reset-password?lang=en&token=${token}&x=1`)).statusCode, 200);
  t.equal((await c.post('/reset-password', { token, password: 'harbour lantern quietly 8', confirm: 'harbour lantern quietly 8' })).statusCode, 303);
  await c.login(u.email, 'harbour lantern quietly 8');
  const bearer = await apiLogin(app, u.email, 'harbour lantern quietly 8');
  t.equal((await app.inject({ url: '/api/v1/me?access_token=abc', headers: { authorization: `Bearer ${bearer}` } })).statusCode, 200);
  await app.inject({ url: `/customers?q=${encodeURIComponent('private search words')}`, headers: { cookie: `oi.sid=${c.cookies.get('oi.sid')}` } });

  const log = logText();
  t.match(log, /"url":"\/reset-password\?token=/, 'the request log still names the path and the query field');
  t.notMatch(log, token, 'the reset token is not in the log');
  t.notMatch(log, bearer, 'nor the bearer token');
  t.notMatch(log, 'harbour lantern quietly', 'nor the password');
  t.notMatch(log, decodeURIComponent(c.cookies.get('oi.sid')!).split('.')[0]!, 'nor the session id');
  t.notMatch(log, /private(%20|\+| )search/, 'nor what was searched for');
  t.match(log, /lang=[^&"]*&token=[^&"]*&x=/, 'each query field keeps its name');
});

t.test('a failed query is logged without its parameters', async (t) => {
  const sid = 'secret-session-id-for-the-log-test';
  const err = await new Promise<Error | undefined>((resolve) =>
    app.sessionStore.set(sid, { userId: 987_654_321, cookie: { expires: new Date(Date.now() + 60_000) } } as never, resolve));
  t.ok(err, 'the save fails (no such user)');
  app.log.error({ err }, 'session save failed');
  const entry = lines.at(-1)!;
  t.match(entry, 'session save failed');
  t.match(entry, /Failed query/, 'the statement is still there');
  t.notMatch(entry, sid, 'its parameters are not');
});
