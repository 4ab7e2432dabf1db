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

const REPORT_EXAMPLES = ['1234567890', 'password12', 'qwertyuiop', 'abababababab', 'Password1!'];

t.test('common passwords are refused at registration; a passphrase is accepted', async (t) => {
  for (const password of [...REPORT_EXAMPLES, 'iloveyou2024', 'Qwerty12345!']) {
    const c = new Client(app);
    await c.get('/register');
    const res = await c.post('/register', { fullName: 'Common', email: `common-${Date.now()}-${Math.random()}@example.test`, password, confirm: password });
    t.equal(res.statusCode, 422, `${password} is refused`);
    t.match(res.body, /too easy to guess|most common/, `${password}: the form says why`);
  }
  const c = new Client(app);
  await c.get('/register');
  const ok = await c.post('/register', { fullName: 'Good', email: `good-${Date.now()}@example.test`, password: 'lantern orchard quietly 41', confirm: 'lantern orchard quietly 41' });
  t.equal(ok.statusCode, 303, 'a passphrase is accepted');
  const fair = new Client(app);
  await fair.get('/register');
  t.equal((await fair.post('/register', { fullName: 'Fair', email: `fair-${Date.now()}@example.test`, password: 'Summer2024!', confirm: 'Summer2024!' })).statusCode, 303,
    'a customer may use a fair password (zxcvbn score 2)');
});

t.test('staff and admins need a stronger password, wherever it is set', async (t) => {
  const admin = await makeUser(app, 'admin');
  const token = (await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: admin.email, password: admin.password } })).json().token;
  const api = (password: string) => app.inject({ method: 'POST', url: '/api/v1/users', headers: { authorization: `Bearer ${token}` },
    payload: { email: `api-${Date.now()}-${Math.random()}@example.test`, fullName: 'Api Admin', role: 'admin', password } });
  t.equal((await api('Summer2024!')).statusCode, 422, 'the API refuses a fair password for an admin');
  t.equal((await api('Password1!')).statusCode, 422, 'and a common one');
  t.equal((await api('lantern orchard quietly 41')).statusCode, 201, 'and takes a strong one');

  const staff = await makeUser(app, 'staff');
  const c = new Client(app);
  await c.login(staff.email, staff.password);
  await c.get('/account/password');
  const weak = await c.post('/account/password', { current: staff.password, password: 'Summer2024!', confirm: 'Summer2024!' });
  t.equal(weak.statusCode, 422, 'staff cannot change to a fair password');
  t.match(weak.body, /too easy to guess/);

  // The reset link applies the account's own rule.
  const link = await resetLinkFor(admin.email);
  const r = new Client(app);
  await r.get(`/reset-password?token=${link}`);
  const reset = await r.post('/reset-password', { token: link, password: 'Summer2024!', confirm: 'Summer2024!' });
  t.equal(reset.statusCode, 422, 'an admin cannot reset to a fair password');
  t.equal((await r.post('/reset-password', { token: link, password: '1234567890', confirm: '1234567890' })).statusCode, 422);
});

t.test('every way of creating an account refuses a common password', async (t) => {
  const { createUser } = await import('../src/modules/users/service.ts');
  const { systemActor } = await import('../src/lib/audit.ts');
  const refused = await createUser(app.db, { email: `cli-${Date.now()}@example.test`, password: 'password12', role: 'customer' }, systemActor, config.argon2)
    .then(() => undefined, (err: { statusCode?: number }) => err.statusCode);
  t.equal(refused, 422, 'createUser (the CLI, the first-start accounts) refuses it');
});
