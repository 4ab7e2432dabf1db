// /api/v1/users: account management for admins only. A user is {id, email, fullName, role,
// active, storeIds} plus customerId and version; `password` is accepted on create and never
// returned. Without a password, the new user is mailed a link to choose one. DELETE deactivates
// (accounts are kept for the audit trail), ending the user's sessions and tokens at once.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import Type, { type Static } from 'typebox';
import { IdParam, ListOf, errorResponses } from '../schemas.ts';
import { allPages } from '../../lib/list.ts';
import { sendCsv, wantsCsv, type CsvColumn } from '../../lib/csv.ts';
import { assertRole } from '../../lib/access.ts';
import { notFound } from '../../lib/errors.ts';
import { VersionConflict } from '../../lib/versioned.ts';
import { PASSWORD_MAX, PASSWORD_MIN } from '../../lib/password.ts';
import { UsersQuery } from '../../modules/users/schema.ts';
import { findUser, listUsers, storeIdsOf, type UserDetail, type UserListRow } from '../../modules/users/repository.ts';
import { createAccount, deactivateUser, updateUser, type UserChanges } from '../../modules/users/manage.ts';

const Role = Type.Union([Type.Literal('admin'), Type.Literal('staff'), Type.Literal('customer')]);
const StoreIds = Type.Array(Type.Integer({ minimum: 1, maximum: 2147483647 }), { maxItems: 500, uniqueItems: true });

export const ApiAccount = Type.Object({
  id: Type.Integer(),
  email: Type.String(),
  fullName: Type.String(),
  role: Role,
  active: Type.Boolean(),
  storeIds: Type.Array(Type.Integer()),
  customerId: Type.Union([Type.Integer(), Type.Null()]),
  version: Type.Integer(),
}, { title: 'Account' });

const UserCreate = Type.Object({
  email: Type.String({ format: 'email', maxLength: 254 }),
  fullName: Type.String({ minLength: 1, maxLength: 200 }),
  role: Type.Union([Type.Literal('admin'), Type.Literal('staff')], { description: 'Customer accounts come from registration (they need a customer record).' }),
  storeIds: Type.Optional(StoreIds),
  password: Type.Optional(Type.String({ minLength: PASSWORD_MIN, maxLength: PASSWORD_MAX, writeOnly: true, description: 'Write-only. Omit it to email the user a link to choose their password.' })),
}, { additionalProperties: false, title: 'AccountCreate' });

const UserUpdate = Type.Object({
  email: Type.Optional(Type.String({ format: 'email', maxLength: 254 })),
  fullName: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  role: Type.Optional(Role),
  storeIds: Type.Optional(StoreIds),
  active: Type.Optional(Type.Boolean()),
  version: Type.Integer({ minimum: 1 }),
}, { additionalProperties: false, title: 'AccountUpdate' });

const AccountConflict = Type.Object({
  status: Type.Integer(), message: Type.String(), current: Type.Optional(ApiAccount),
  errors: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }))),
}, { title: 'AccountConflict' });

export const toApiAccount = (u: UserDetail | UserListRow, storeIds?: number[]): Static<typeof ApiAccount> => ({
  id: u.id, email: u.email, fullName: u.fullName, role: u.role, active: u.active,
  storeIds: storeIds ?? u.storeIds, customerId: u.customerId, version: u.version,
});

const csvColumns: CsvColumn<UserListRow>[] = [
  { header: 'id', value: (u) => u.id },
  { header: 'email', value: (u) => u.email },
  { header: 'fullName', value: (u) => u.fullName },
  { header: 'role', value: (u) => u.role },
  { header: 'active', value: (u) => String(u.active) },
  { header: 'storeIds', value: (u) => u.storeIds.join(' ') },
  { header: 'customerId', value: (u) => u.customerId ?? '' },
  { header: 'createdAt', value: (u) => new Date(u.createdAt).toISOString() },
];

type IdReq = FastifyRequest<{ Params: { id: number } }>;

export default async function usersApi(app: FastifyInstance) {
  const tags = ['users'];
  // After bearerAuth (registered on the parent): every route here is for admins.
  app.addHook('preHandler', async function adminsOnly(req) {
    assertRole(req.user, 'admin');
  });

  async function withStoreIds(items: UserListRow[]) {
    const map = await storeIdsOf(app.db, items.map((u) => u.id));
    return items.map((u) => ({ ...u, storeIds: map.get(u.id) ?? [] }));
  }

  app.get<{ Querystring: UsersQuery }>('/', {
    schema: {
      tags, summary: 'List users (admin)', description: 'Filters: role, active, storeId; `q` searches email and name. Sort by email (default), fullName, role, createdAt or id. `format=csv` streams CSV.',
      querystring: UsersQuery, response: { 200: ListOf(ApiAccount, 'AccountList'), ...errorResponses(400, 401, 403) },
    },
  }, async function listUsersApi(req, reply) {
    const { q, role, active, storeId, sort, order } = req.query;
    const filters = { q, role, active, storeId, sort, order };
    if (wantsCsv(req.query, req.headers.accept)) {
      return sendCsv(reply, 'users.csv', csvColumns, allPages(async (cursor) => {
        const page = await listUsers(app.db, { ...filters, cursor, limit: 200 });
        return { ...page, items: await withStoreIds(page.items) };
      }));
    }
    const page = await listUsers(app.db, req.query);
    return { items: (await withStoreIds(page.items)).map((u) => toApiAccount(u)), nextCursor: page.nextCursor };
  });

  app.get('/:id', {
    schema: { tags, summary: 'Get a user (admin)', params: IdParam, response: { 200: ApiAccount, ...errorResponses(400, 401, 403, 404) } },
  }, async function getUserApi(req: IdReq) {
    const user = await findUser(app.db, req.params.id);
    if (!user) throw notFound(`User #${req.params.id}`);
    return toApiAccount(user);
  });

  app.post<{ Body: Static<typeof UserCreate> }>('/', {
    schema: { tags, summary: 'Create a staff member or administrator (admin)', body: UserCreate, response: { 201: ApiAccount, ...errorResponses(400, 401, 403, 409, 422) } },
  }, async function createUserApi(req, reply) {
    const { user } = await createAccount(app.db, app.config, app.mailer, req.body, req.actor());
    return reply.code(201).header('location', `/api/v1/users/${user.id}`).send(toApiAccount(user));
  });

  async function update(req: FastifyRequest<{ Params: { id: number }; Body: Static<typeof UserUpdate> }>, reply: FastifyReply) {
    const { version, ...changes } = req.body;
    try {
      return toApiAccount(await updateUser(app.db, req.params.id, changes as UserChanges, version, req.actor()));
    } catch (err) {
      if (err instanceof VersionConflict) {
        return reply.code(409).send({ status: 409, message: err.message, current: toApiAccount(err.current as UserDetail) });
      }
      throw err;
    }
  }

  const updateSchema = (summary: string) => ({
    tags, summary, description: 'Send the fields to change and the `version` you read; 409 with the current user when it changed since. The last active administrator cannot be demoted or deactivated; nobody can change their own role or deactivate themselves.',
    params: IdParam, body: UserUpdate, response: { 200: ApiAccount, 409: AccountConflict, ...errorResponses(400, 401, 403, 404, 422) },
  });
  app.patch('/:id', { schema: updateSchema('Update a user (admin)') }, async function updateUserApi(req: FastifyRequest<{ Params: { id: number }; Body: Static<typeof UserUpdate> }>, reply) {
    return update(req, reply);
  });
  app.put('/:id', { schema: updateSchema('Update a user (admin; same as PATCH)') }, async function replaceUserApi(req: FastifyRequest<{ Params: { id: number }; Body: Static<typeof UserUpdate> }>, reply) {
    return update(req, reply);
  });

  app.delete('/:id', {
    schema: { tags, summary: 'Deactivate a user (admin)', description: 'The account is kept (audit trail) but can no longer sign in; its sessions and tokens end at once.', params: IdParam, response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404, 409) } },
  }, async function deactivateUserApi(req: IdReq, reply) {
    await deactivateUser(app.db, req.params.id, req.actor());
    return reply.code(204).send();
  });
}
