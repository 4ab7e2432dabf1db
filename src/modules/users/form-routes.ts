// Creating and editing staff and administrators. Invalid forms re-render with a message per field
// (422); an edit based on an old version re-renders with the current values (409). Passwords are
// never echoed back into a form.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseForm, type FieldErrors } from '../../lib/form.ts';
import { HttpError, notFound } from '../../lib/errors.ts';
import { VersionConflict } from '../../lib/versioned.ts';
import { passwordProblem } from '../../lib/password.ts';
import { IdParam } from '../../lib/schemas.ts';
import { allStoreNames } from '../stores/repository.ts';
import { UserCreateForm, UserEditForm, withStoreIdArray } from './schema.ts';
import { findUser, type UserDetail } from './repository.ts';
import { createAccount, updateUser } from './manage.ts';

type Body = { Body: Record<string, unknown> };
type IdRequest = FastifyRequest<{ Params: { id: number } }>;
type IdBodyRequest = FastifyRequest<{ Params: { id: number }; Body: Record<string, unknown> }>;

interface FormData {
  account?: UserDetail;
  values: Record<string, unknown>;
  errors: FieldErrors;
  message?: string;
  attempted?: Record<string, unknown>;
}

const editValues = (u: UserDetail) => ({ email: u.email, fullName: u.fullName, role: u.role, storeIds: u.storeIds, version: u.version });

/** Field errors carried by a service refusal; a refusal without fields becomes the form message. */
function refusal(err: unknown): { errors: FieldErrors; message?: string } | null {
  if (!(err instanceof HttpError) || (err.statusCode !== 409 && err.statusCode !== 422)) return null;
  const errors: FieldErrors = {};
  for (const e of err.errors ?? []) if (typeof e.field === 'string' && typeof e.message === 'string') errors[e.field] ??= e.message;
  return { errors, message: Object.keys(errors).length ? undefined : err.message };
}

const withoutPassword = (v: Record<string, unknown>) => {
  const { password: _p, ...rest } = v;
  return rest;
};

export default async function userFormRoutes(app: FastifyInstance) {
  async function renderForm(reply: FastifyReply, template: 'users/new' | 'users/edit', data: FormData, status?: number) {
    const stores = await allStoreNames(app.db);
    const title = data.account ? `Edit ${data.account.fullName}` : 'New user';
    const chosen = new Set((([] as unknown[]).concat(data.values.storeIds ?? [])).map(Number));
    return reply.page(template, { title, ...data, stores, chosen }, { status });
  }

  app.get('/users/new', async function newUserPage(_req, reply) {
    return renderForm(reply, 'users/new', { values: { role: 'staff', passwordMode: 'email' }, errors: {} });
  });

  app.post('/users', async function createUserPage(req: FastifyRequest<Body>, reply) {
    const form = parseForm(UserCreateForm, withStoreIdArray(req.body));
    const errors: FieldErrors = form.ok ? {} : { ...form.errors };
    if (form.ok && form.value.passwordMode === 'set') {
      const problem = form.value.password ? passwordProblem(form.value.password, form.value.email, form.value.role) : 'Enter the initial password, or choose to email a link.';
      if (problem) errors.password = problem;
    }
    const values = withoutPassword(form.ok ? form.value : form.values);
    if (!form.ok || Object.keys(errors).length) return renderForm(reply, 'users/new', { values, errors }, 422);
    const v = form.value;
    try {
      const { user, invited } = await createAccount(app.db, app.config, app.mailer, {
        email: v.email, fullName: v.fullName, role: v.role, storeIds: v.storeIds ?? [],
        password: v.passwordMode === 'set' ? v.password : undefined,
      }, req.actor());
      return reply.seeOther(`/users/${user.id}`, invited
        ? `${user.fullName} was created; a link to choose a password was sent to ${user.email}.`
        : `${user.fullName} was created with the password you chose.`);
    } catch (err) {
      const r = refusal(err);
      if (!r) throw err;
      return renderForm(reply, 'users/new', { values, ...r }, 422);
    }
  });

  app.get('/users/:id/edit', { schema: { params: IdParam } }, async function editUserPage(req: IdRequest, reply) {
    const account = await findUser(app.db, req.params.id);
    if (!account) throw notFound(`User #${req.params.id}`);
    return renderForm(reply, 'users/edit', { account, values: editValues(account), errors: {} });
  });

  app.post('/users/:id', { schema: { params: IdParam } }, async function updateUserPage(req: IdBodyRequest, reply) {
    const account = await findUser(app.db, req.params.id);
    if (!account) throw notFound(`User #${req.params.id}`);
    const form = parseForm(UserEditForm, withStoreIdArray(req.body));
    if (!form.ok) return renderForm(reply, 'users/edit', { account, values: form.values, errors: form.errors, message: form.errors.version }, 422);
    const v = form.value;
    try {
      const saved = await updateUser(app.db, account.id, { email: v.email, fullName: v.fullName, role: v.role, storeIds: v.storeIds ?? [] }, v.version, req.actor());
      return reply.seeOther(`/users/${saved.id}`, `${saved.fullName} saved.`);
    } catch (err) {
      if (err instanceof VersionConflict) {
        const current = err.current as UserDetail;
        return renderForm(reply, 'users/edit', { account: current, values: editValues(current), errors: {}, message: err.message, attempted: v }, 409);
      }
      const r = refusal(err);
      if (!r) throw err;
      return renderForm(reply, 'users/edit', { account, values: v, ...r }, 422);
    }
  });
}
