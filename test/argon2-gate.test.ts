// Issue 13, security item 6: argon2 work for anonymous requests goes through a small gate, so a
// burst of sign-in or registration attempts cannot take libuv's thread pool from signed-in users.
import t from 'tap';
import { createGate, anonymousHashing, GATE_BUSY } from '../src/lib/argon2-gate.ts';
import { HttpError } from '../src/lib/errors.ts';
import { buildTestApp, Client, makeUser } from './helper.ts';

/** Work that runs until released, noting how many run at once. */
function held() {
  let running = 0;
  let most = 0;
  const releases: Array<() => void> = [];
  const work = (value: number) => async () => {
    running++;
    most = Math.max(most, running);
    await new Promise<void>((resolve) => releases.push(resolve));
    running--;
    return value;
  };
  const tick = () => new Promise((resolve) => setImmediate(resolve));
  return { work, releases, tick, most: () => most, running: () => running };
}

t.test('at most `concurrency` run at once, at most `queue` wait, the rest are refused at once', async (t) => {
  const gate = createGate({ concurrency: 1, queue: 2 });
  const h = held();
  const runs = [1, 2, 3].map((n) => gate.run(h.work(n)));
  await h.tick();
  t.equal(h.running(), 1, 'one runs');
  t.equal(gate.waiting, 2, 'two wait');
  t.ok(gate.full);
  const refused = await gate.run(h.work(4)).then(() => null, (err: unknown) => err);
  t.ok(refused instanceof HttpError, 'the fourth is refused');
  t.equal((refused as HttpError).statusCode, 429);
  t.equal((refused as HttpError).message, GATE_BUSY);
  while (h.releases.length || gate.active) {
    h.releases.shift()?.();
    await h.tick();
  }
  t.same(await Promise.all(runs), [1, 2, 3], 'the queued ones run in turn');
  t.equal(h.most(), 1, 'never two at once');
  t.equal(gate.active, 0);
  t.notOk(gate.full, 'and the gate is open again');
});

t.test('a failing task frees its slot; work already accepted may queue past the bound', async (t) => {
  const gate = createGate({ concurrency: 2, queue: 0 });
  await t.rejects(gate.run(async () => { throw new Error('boom'); }), /boom/);
  t.equal(gate.active, 0, 'the failure released its slot');
  const h = held();
  const two = [gate.run(h.work(1)), gate.run(h.work(2))];
  await h.tick();
  t.equal(h.running(), 2, 'two slots');
  await t.rejects(gate.run(h.work(3)), new HttpError(429, GATE_BUSY), 'no queue at all');
  const accepted = gate.run(h.work(4), { mustRun: true });
  await h.tick();
  t.equal(gate.waiting, 1, 'mustRun waits instead of being refused');
  while (h.releases.length || gate.active) {
    h.releases.shift()?.();
    await h.tick();
  }
  t.same(await Promise.all([...two, accepted]), [1, 2, 4]);
  t.equal(h.most(), 2);
});

t.test('anonymous sign-ins wait for the gate, and are refused when it is full; signed-in users are not', async (t) => {
  const limits = { concurrency: 1, queue: 1 };
  const { app } = await buildTestApp(t, { anonymousHashing: limits });
  const staff = await makeUser(app, 'staff');
  const signedIn = new Client(app);
  await signedIn.login(staff.email, staff.password);

  // Occupy the process's gate: one task running, one waiting.
  const gate = anonymousHashing(limits);
  const h = held();
  const occupied = [gate.run(h.work(1)), gate.run(h.work(2))];
  await h.tick();
  t.ok(gate.full);

  const anon = new Client(app);
  await anon.get('/login');
  const refused = await anon.post('/login', { email: staff.email, password: staff.password });
  t.equal(refused.statusCode, 429, 'an anonymous sign-in is refused while the gate is full');
  t.match(refused.body, GATE_BUSY);
  const api = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: staff.email, password: staff.password } });
  t.equal(api.statusCode, 429, 'so is an API sign-in');
  await anon.get('/register');
  const reg = await anon.post('/register', { fullName: 'Busy', email: 'busy@example.test', password: 'a long password 1', confirm: 'a long password 1' });
  t.equal(reg.statusCode, 429, 'and a registration');
  t.match(reg.body, GATE_BUSY);

  // A signed-in user's own argon2 work (changing the password) does not queue behind them.
  t.equal((await signedIn.get('/dashboard')).statusCode, 200);
  await signedIn.get('/account/password');
  const changed = await signedIn.post('/account/password', { current: staff.password, password: 'a changed password 3', confirm: 'a changed password 3' });
  t.equal(changed.statusCode, 303, 'a signed-in password change goes through');

  while (h.releases.length || gate.active) {
    h.releases.shift()?.();
    await h.tick();
  }
  await Promise.all(occupied);
  const ok = await anon.post('/login', { email: staff.email, password: 'a changed password 3' });
  t.equal(ok.statusCode, 303, 'once the gate is free, signing in works');
});
