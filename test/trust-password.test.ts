// Issue 13, security findings 9 and 11: a password change voids the reset links still pending,
// and common passwords are refused wherever a password is set.
import t from 'tap';
import { buildTestApp, Client, lastMail, makeUser } from './helper.ts';

const { app, config } = await buildTestApp(t);

async function resetLinkFor(email: string): Promise<string> {
  const c = new Client(app);
  await c.get('/forgot-password');
  await c.post('/forgot-password', { email });
  const mail = (await lastMail(config)).replace(/=\r?\n/g, '').replace(/=3D/g, '=');
  return /reset-password\?token=([A-Za-z0-9_-]+)/.exec(mail)![1]!;
}

t.test('changing the password voids the reset link sent before', async (t) => {
  const u = await makeUser(app, 'customer');
  const token = await resetLinkFor(u.email);
  const c = new Client(app);
  await c.login(u.email, u.password);
  await c.get('/account/password');
  const changed = await c.post('/account/password', { current: u.password, password: 'lantern orchard quietly 41', confirm: 'lantern orchard quietly 41' });
  t.equal(changed.statusCode, 303);

  const r = new Client(app);
  t.equal((await r.get(`/reset-password?token=${token}`)).statusCode, 400, 'the link is refused on GET');
  await r.get('/forgot-password'); // a page with a form, for a CSRF token
  const post = await r.post('/reset-password', { token, password: 'attacker chosen words 99', confirm: 'attacker chosen words 99' });
  t.equal(post.statusCode, 400, 'and on POST');
  t.equal((await new Client(app).login(u.email, 'attacker chosen words 99')).statusCode, 401, 'the link changed nothing');
  t.equal((await new Client(app).login(u.email, 'lantern orchard quietly 41')).statusCode, 303);
});
