// Issue 13, security findings 4 and 7: one sign-in budget per account whatever the spelling of
// its email (PostgreSQL and JavaScript lower-case `İ` differently), and guesses sent in parallel
// cannot check more passwords than the limit allows, on the web form and the API alike.
import t from 'tap';
import { sql } from 'drizzle-orm';
import { buildTestApp, Client, makeUser } from './helper.ts';
import { queryRows } from '../src/db/client.ts';

const LIMIT = 5;
const { app } = await buildTestApp(t, { login: { maxPerAccount: LIMIT, maxPerIp: 8, windowSeconds: 900 } });
let ipCounter = 0;
const freshIp = () => `10.13.${Math.floor(++ipCounter / 250)}.${(ipCounter % 250) + 1}`;

const failedChecks = async (userId: number) =>
  (await queryRows<{ n: number }>(app.db, sql`select count(*)::int as n from audit_events where action = 'login_failed' and entity_id = ${String(userId)}`))[0]!.n;

/** The web form, from its own address each time (so only the account's budget applies). */
async function webLogin(email: string, password: string, ip = freshIp()) {
  const c = new Client(app);
  const page = await app.inject({ url: '/login', remoteAddress: ip, headers: { accept: 'text/html' } });
  for (const ck of page.cookies as Array<{ name: string; value: string }>) c.cookies.set(ck.name, ck.value);
  const token = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
  const body = new URLSearchParams({ _csrf: token, email, password }).toString();
  const cookie = [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  return app.inject({ method: 'POST', url: '/login', payload: body, remoteAddress: ip, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' } });
}
const apiLogin = (email: string, password: string, ip = freshIp()) =>
  app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password }, remoteAddress: ip });

t.test('the dotted capital I spelling of an email is the same account: no second budget, no sign-in', async (t) => {
  const admin = await makeUser(app, 'admin', { email: `pt-admin-${Date.now()}@example.test` });
  const variant = admin.email.replace('admin', 'adm\u0130n');
  t.not(variant, admin.email);
  for (let i = 0; i < LIMIT; i++) t.equal((await webLogin(admin.email, `wrong-${i}`)).statusCode, 401);
  t.equal((await webLogin(admin.email, admin.password)).statusCode, 429, 'the account is locked');
  const web = await webLogin(variant, admin.password);
  t.not(web.statusCode, 303, `the variant does not sign in on the web form (${web.statusCode})`);
  t.notMatch(String(web.headers.location), /dashboard/);
  const api = await apiLogin(variant, admin.password);
  t.not(api.statusCode, 200, `nor on the API (${api.statusCode})`);

  // A fresh account: guesses under the variant never check its password.
  const other = await makeUser(app, 'staff', { email: `pt-staffi-${Date.now()}@example.test` });
  const spelled = other.email.replace('staffi', 'staff\u0130');
  const before = await failedChecks(other.id);
  for (let i = 0; i < LIMIT * 2; i++) {
    await webLogin(spelled, `wrong-${i}`);
    await apiLogin(spelled, `wrong-${i}`);
  }
  t.equal(await failedChecks(other.id), before, 'no password of the account was checked under the variant');
  t.not((await webLogin(spelled, other.password)).statusCode, 303, 'nor does the right one sign in');
  t.not((await apiLogin(spelled, other.password)).statusCode, 200);
  t.equal((await webLogin(other.email, other.password)).statusCode, 303, 'the account itself signs in as usual');
});

t.test('parallel wrong guesses check at most the limit of passwords (web form)', async (t) => {
  const staff = await makeUser(app, 'staff');
  const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => webLogin(staff.email, `wrong-${i}`)));
  const codes = answers.map((r) => r.statusCode);
  t.equal(codes.filter((c) => c === 401).length, LIMIT, `exactly ${LIMIT} passwords checked (${codes.join(' ')})`);
  t.equal(codes.filter((c) => c === 429).length, 20 - LIMIT);
  t.equal(await failedChecks(staff.id), LIMIT, 'audit agrees');
  t.equal((await webLogin(staff.email, staff.password)).statusCode, 429, 'and the right password is refused until the window passes');
});

t.test('parallel wrong guesses check at most the limit of passwords (API)', async (t) => {
  const staff = await makeUser(app, 'staff');
  const codes = (await Promise.all(Array.from({ length: 20 }, (_, i) => apiLogin(staff.email, `wrong-${i}`)))).map((r) => r.statusCode);
  t.equal(codes.filter((c) => c === 401).length, LIMIT, `exactly ${LIMIT} passwords checked (${codes.join(' ')})`);
  t.equal(codes.filter((c) => c === 429).length, 20 - LIMIT);
});

t.test('parallel guesses from one address over many accounts stop at the address limit', async (t) => {
  const ip = freshIp();
  const codes = (await Promise.all(Array.from({ length: 20 }, (_, i) => apiLogin(`spray-${i}@example.test`, 'wrong password', ip)))).map((r) => r.statusCode);
  t.equal(codes.filter((c) => c === 401).length, 8, `the address limit holds (${codes.join(' ')})`);
});

t.test('successes do not use up the address budget, and clear the account count', async (t) => {
  const ip = freshIp();
  const u = await makeUser(app, 'customer');
  for (let i = 0; i < 12; i++) t.equal((await apiLogin(u.email, u.password, ip)).statusCode, 200, `sign-in ${i + 1} from one address`);
  for (let i = 0; i < LIMIT - 1; i++) await apiLogin(u.email, 'wrong password');
  t.equal((await apiLogin(u.email, u.password)).statusCode, 200);
  for (let i = 0; i < LIMIT - 1; i++) await apiLogin(u.email, 'wrong password');
  t.equal((await apiLogin(u.email, u.password)).statusCode, 200, 'failures before a success do not add up with later ones');
});
