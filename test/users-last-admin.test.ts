// The last active administrator can be neither demoted nor deactivated, even when two admins try
// to remove each other at the same moment (run this file against PostgreSQL too: with PGlite the
// transactions queue anyway, on a server they really overlap).
import t from 'tap';
import { sql } from 'drizzle-orm';
import { buildTestApp, Client, makeUser, apiLogin } from './helper.ts';
import { queryRows } from '../src/db/client.ts';
import { stores } from '../src/db/schema/index.ts';
import { systemActor, type Actor } from '../src/lib/audit.ts';
import { HttpError } from '../src/lib/errors.ts';
import { updateUser, deactivateUser, LAST_ADMIN } from '../src/modules/users/manage.ts';

const { app } = await buildTestApp(t);
const [store] = await app.db.insert(stores).values({ storeName: 'Only', physicalAddress: '1 Only Road' }).returning();
const a = await makeUser(app, 'admin');
const b = await makeUser(app, 'admin');
const actorOf = (u: { id: number; email: string }): Actor => ({ userId: u.id, email: u.email });

const activeAdmins = async () => (await queryRows<{ id: number }>(app.db, sql`select user_id as id from users where role = 'admin' and active order by user_id`)).map((r) => r.id);
const auditCount = async () => (await queryRows<{ n: number }>(app.db, sql`select count(*)::int as n from audit_events where entity = 'user'`))[0]!.n;
/** Puts both accounts back to active admins for the next round. */
const restore = () => app.db.execute(sql`update users set role = 'admin', active = true where user_id in (${a.id}, ${b.id})`)
  .then(() => app.db.execute(sql`delete from user_stores where user_id in (${a.id}, ${b.id})`));

function outcome(results: PromiseSettledResult<unknown>[]) {
  const ok = results.filter((r) => r.status === 'fulfilled').length;
  const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  return { ok, refused };
}

t.test('sequentially: the last admin cannot be demoted or deactivated', async (t) => {
  await deactivateUser(app.db, b.id, actorOf(a));
  t.same(await activeAdmins(), [a.id]);
  const before = await auditCount();
  for (const change of [{ role: 'staff' as const, storeIds: [store!.storeId] }, { active: false }]) {
    const err = await updateUser(app.db, a.id, change, undefined, systemActor).catch((e) => e);
    t.ok(err instanceof HttpError && err.statusCode === 409, JSON.stringify(change));
    t.equal(err.message, LAST_ADMIN);
  }
  t.same(await activeAdmins(), [a.id]);
  t.equal(await auditCount(), before, 'nothing written');
  const promoted = await updateUser(app.db, b.id, { active: true }, undefined, actorOf(a));
  t.equal(promoted.active, true);
  await restore();
});

t.test('two admins demoting each other at once: exactly one wins', async (t) => {
  for (let round = 0; round < 5; round++) {
    const results = await Promise.allSettled([
      updateUser(app.db, b.id, { role: 'staff', storeIds: [store!.storeId] }, undefined, actorOf(a)),
      updateUser(app.db, a.id, { role: 'staff', storeIds: [store!.storeId] }, undefined, actorOf(b)),
    ]);
    const { ok, refused } = outcome(results);
    t.equal(ok, 1, `round ${round}: one demotion went through`);
    t.equal(refused.length, 1);
    t.equal((refused[0]?.reason as Error)?.message, LAST_ADMIN);
    t.equal((await activeAdmins()).length, 1, 'one active admin remains');
    await restore();
  }
});

t.test('two admins deactivating each other at once (and a demotion racing a deactivation)', async (t) => {
  for (let round = 0; round < 5; round++) {
    const results = await Promise.allSettled([
      deactivateUser(app.db, b.id, actorOf(a)),
      round % 2 ? deactivateUser(app.db, a.id, actorOf(b)) : updateUser(app.db, a.id, { role: 'staff', storeIds: [store!.storeId] }, undefined, actorOf(b)),
    ]);
    const { ok, refused } = outcome(results);
    t.equal(ok, 1, `round ${round}`);
    t.equal((refused[0]?.reason as Error)?.message, LAST_ADMIN);
    t.equal((await activeAdmins()).length, 1);
    await restore();
  }
});

t.test('through the pages and the API at the same time', async (t) => {
  const ca = new Client(app);
  await ca.login(a.email, a.password);
  await ca.get(`/users/${b.id}`);
  const tokenB = await apiLogin(app, b.email, b.password);
  const [page, api] = await Promise.all([
    ca.post(`/users/${b.id}/deactivate`),
    app.inject({ method: 'DELETE', url: `/api/v1/users/${a.id}`, headers: { authorization: `Bearer ${tokenB}` } }),
  ]);
  const statuses = [page.statusCode, api.statusCode].sort();
  // The winner answers 303 (page) or 204 (API). The loser is refused with 409, or, if the
  // winner's commit already took away its admin session or token, with 401/403/303.
  t.ok(statuses.includes(303) !== statuses.includes(204), `exactly one succeeded: ${statuses}`);
  t.equal((await activeAdmins()).length, 1);
  await restore();
});
