// Users in the back office (admin-only context: requireAdmin already ran): the list with filters
// and CSV, the detail page with the account's history, and the account actions (deactivate,
// reactivate, mail a password link). Create and edit forms live in form-routes.ts.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { allPages } from '../../lib/list.ts';
import { sendCsv, wantsCsv, type CsvColumn } from '../../lib/csv.ts';
import { HttpError, notFound } from '../../lib/errors.ts';
import { IdParam } from '../../lib/schemas.ts';
import { recentHistory } from '../audit/repository.ts';
import { allStoreNames } from '../stores/repository.ts';
import { UsersQuery } from './schema.ts';
import { findUser, listUsers, userExtras, type UserListRow, type UserExtras } from './repository.ts';
import { deactivateUser, reactivateUser } from './manage.ts';
import { sendPasswordLink } from './links.ts';
import userFormRoutes from './form-routes.ts';

type IdRequest = FastifyRequest<{ Params: { id: number } }>;
type Row = UserListRow & UserExtras;

const csvColumns: CsvColumn<Row>[] = [
  { header: 'id', value: (r) => r.id },
  { header: 'email', value: (r) => r.email },
  { header: 'fullName', value: (r) => r.fullName },
  { header: 'role', value: (r) => r.role },
  { header: 'active', value: (r) => String(r.active) },
  { header: 'storeIds', value: (r) => r.stores.map((s) => s.storeId).join(' ') },
  { header: 'stores', value: (r) => r.stores.map((s) => s.storeName).join('; ') },
  { header: 'lastLoginAt', value: (r) => (r.lastLoginAt ? new Date(r.lastLoginAt).toISOString() : '') },
  { header: 'createdAt', value: (r) => new Date(r.createdAt).toISOString() },
];

/** A filter form submitted with "Any" sends empty values: they mean no filter. */
export async function dropBlankQuery(req: FastifyRequest) {
  const q = req.query as Record<string, unknown>;
  for (const k of Object.keys(q)) if (q[k] === '') delete q[k];
}

export default async function usersRoutes(app: FastifyInstance) {
  async function withExtras(items: UserListRow[]): Promise<Row[]> {
    const extras = await userExtras(app.db, items.map((u) => u.id));
    return items.map((u) => ({ ...u, ...(extras.get(u.id) ?? { stores: [], lastLoginAt: null }) }));
  }

  app.get<{ Querystring: UsersQuery }>('/users', { schema: { querystring: UsersQuery }, preValidation: dropBlankQuery }, async function listUsersPage(req, reply) {
    const { q, role, active, storeId, sort, order } = req.query;
    const params = { q, role, active, storeId, sort, order };
    if (wantsCsv(req.query, req.headers.accept)) {
      const rows = allPages(async (cursor) => {
        const page = await listUsers(app.db, { ...params, cursor, limit: 200 });
        return { ...page, items: await withExtras(page.items) };
      });
      return sendCsv(reply, 'users.csv', csvColumns, rows);
    }
    const [page, stores] = await Promise.all([listUsers(app.db, req.query), allStoreNames(app.db)]);
    const items = await withExtras(page.items);
    return reply.page('users/index', { title: 'Users', page: { ...page, items }, params, stores }, { fragment: 'users/_rows' });
  });

  async function showUser(req: IdRequest, reply: FastifyReply, extra: { status?: number; message?: string } = {}) {
    const user = await findUser(app.db, req.params.id);
    if (!user) throw notFound(`User #${req.params.id}`);
    const [extras, history] = await Promise.all([
      userExtras(app.db, [user.id]),
      recentHistory(app.db, 'user', user.id, 15),
    ]);
    return reply.page('users/show', {
      title: user.fullName, account: user, ...extras.get(user.id), history, historyEntity: 'user', historyEntityId: user.id,
      isSelf: req.user!.id === user.id, message: extra.message,
    }, { status: extra.status });
  }

  app.get('/users/:id', { schema: { params: IdParam } }, async function showUserPage(req: IdRequest, reply) {
    return showUser(req, reply);
  });

  /** Runs an account action; a refusal (last admin, own account, deactivated) is shown on the
   * user's page with its message, and nothing is written. */
  async function act(req: IdRequest, reply: FastifyReply, work: () => Promise<string>) {
    try {
      const message = await work();
      return reply.seeOther(`/users/${req.params.id}`, message);
    } catch (err) {
      if (err instanceof HttpError && (err.statusCode === 409 || err.statusCode === 422)) {
        return showUser(req, reply, { status: err.statusCode, message: err.message });
      }
      throw err;
    }
  }

  app.post('/users/:id/deactivate', { schema: { params: IdParam } }, async function deactivateUserPage(req: IdRequest, reply) {
    return act(req, reply, async () => {
      const u = await deactivateUser(app.db, req.params.id, req.actor());
      return `${u.fullName} is deactivated and signed out everywhere.`;
    });
  });

  app.post('/users/:id/reactivate', { schema: { params: IdParam } }, async function reactivateUserPage(req: IdRequest, reply) {
    return act(req, reply, async () => {
      const u = await reactivateUser(app.db, req.params.id, req.actor());
      return `${u.fullName} can sign in again.`;
    });
  });

  app.post('/users/:id/password-link', { schema: { params: IdParam } }, async function sendPasswordLinkPage(req: IdRequest, reply) {
    return act(req, reply, async () => {
      const u = await findUser(app.db, req.params.id);
      if (!u) throw notFound(`User #${req.params.id}`);
      await sendPasswordLink(app.db, app.config, app.mailer, u.id, req.actor(), 'reset');
      return `A link to choose a new password was sent to ${u.email}.`;
    });
  });

  await app.register(userFormRoutes);
}
