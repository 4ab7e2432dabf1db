// Issue 13, security item 6: registration, its confirmation and forgot-password are limited per IP
// and over all IPs, in the database, so every process counts the same attempts.
import t from 'tap';
import { buildApp } from '../src/app.ts';
import { Client, createTestDatabase, mailCount, testConfig } from './helper.ts';

const database = await createTestDatabase(t);
const config = await testConfig({ trustProxy: true, formLimits: { perIp: 3, global: 5, windowSeconds: 900 } });
// Two processes on one database: the limits are the database's, not a process's memory.
const one = await buildApp(config, { database });
const two = await buildApp(config, { database });
t.teardown(async () => { await one.close(); await two.close(); });

let n = 0;
async function register(app: typeof one, ip: string) {
  const c = new Client(app);
  const from = { 'x-forwarded-for': ip };
  await c.get('/register', from);
  const email = `limit-${++n}@example.test`;
  return c.post('/register', { fullName: 'Limit', email, password: 'a long password 1', confirm: 'a long password 1' }, { headers: from });
}

t.test('registrations: per IP, then over all IPs, across processes', async (t) => {
  const mails = await mailCount(config);
  t.equal(mails, 0);
  const first = [await register(one, '10.0.0.1'), await register(two, '10.0.0.1'), await register(one, '10.0.0.1')];
  t.same(first.map((r) => r.statusCode), [303, 303, 303], 'three from one IP, on either process');
  const fourth = await register(two, '10.0.0.1');
  t.equal(fourth.statusCode, 429, 'the fourth from that IP is refused, on the other process too');
  t.match(fourth.body, 'Too many attempts from your network');
  t.match(fourth.body, 'value="Limit"', 'the form is shown again with its values');
  t.notMatch(fourth.body, 'a long password 1', 'but not the password');
  await Promise.all([one.settle(), two.settle()]);
  t.equal(await mailCount(config), mails + 3, 'no mail for the refused one');

  t.same([(await register(one, '10.0.0.2')).statusCode, (await register(two, '10.0.0.3')).statusCode], [303, 303],
    'other IPs go on (the refused attempt did not count against everyone)');
  const over = await register(one, '10.0.0.4');
  t.equal(over.statusCode, 429, 'the sixth overall is refused whatever its IP');
  t.match(over.body, 'receiving too many requests');
});

t.test('forgot-password and the confirmation form are limited per IP too', async (t) => {
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) {
    const c = new Client(one);
    const from = { 'x-forwarded-for': '10.1.0.1' };
    await c.get('/forgot-password', from);
    statuses.push((await c.post('/forgot-password', { email: `someone-${i}@example.test` }, { headers: from })).statusCode);
  }
  t.same(statuses, [303, 303, 303, 429]);

  const confirms: number[] = [];
  let last = '';
  for (let i = 0; i < 4; i++) {
    const c = new Client(two);
    const from = { 'x-forwarded-for': '10.2.0.1' };
    await c.get('/register', from);
    const res = await c.post('/register/confirm', { token: `guessed-token-${i}-xxxxxxxxxxxx`, password: 'guess guess 1' }, { headers: from });
    confirms.push(res.statusCode);
    last = res.body;
  }
  t.same(confirms, [400, 400, 400, 429], 'guessing at links is limited as well');
  t.match(last, 'Too many attempts from your network');
});
