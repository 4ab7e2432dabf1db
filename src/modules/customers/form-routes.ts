// Create, edit and delete customers from the back office. Post-redirect-get on success; an
// invalid form comes back with a message per field (422); a stale edit comes back with the
// current values (409); a refused delete shows the detail page with the reason (409).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { parseForm, type FieldErrors } from '../../lib/form.ts';
import { HttpError, notFound } from '../../lib/errors.ts';
import { VersionConflict } from '../../lib/versioned.ts';
import { IdParam } from '../../lib/schemas.ts';
import { CustomerForm, CustomerFields } from './schema.ts';
import { createCustomer, updateCustomer, deleteCustomer, type CustomerRecord } from './service.ts';
import { findCustomer } from './repository.ts';
import { renderCustomerPage } from './show-page.ts';

type Body = { Body: Record<string, unknown> };
type IdRequest = FastifyRequest<{ Params: { id: number } }>;
type IdBodyRequest = FastifyRequest<{ Params: { id: number }; Body: Record<string, unknown> }>;

const CustomerEditForm = Type.Object({
  ...CustomerFields,
  version: Type.Integer({ minimum: 1, errorMessage: 'The form is out of date: reload it.' }),
});
const DeleteForm = Type.Object({ version: Type.Optional(Type.Integer({ minimum: 1 })) });

interface FormPage {
  /** The customer being edited (absent when creating). */
  customer?: { customerId: number; fullName: string; accountEmail?: string | null };
  values: Record<string, unknown>;
  errors?: FieldErrors;
  message?: string;
  /** On a conflict: what the user tried to save, shown next to the current values. */
  attempted?: Record<string, unknown>;
}

function renderForm(reply: FastifyReply, data: FormPage, status?: number) {
  const title = data.customer ? `Edit ${data.customer.fullName}` : 'New customer';
  return reply.page('customers/form', { title, errors: {}, ...data }, { status });
}

/** Field errors thrown by the service (email taken, 409; whitespace-only name, 422). */
function fieldErrorsOf(err: unknown): FieldErrors | null {
  if (!(err instanceof HttpError) || !err.errors?.length || (err.statusCode !== 409 && err.statusCode !== 422)) return null;
  return Object.fromEntries(err.errors.map((e) => [String(e.field), String(e.message)]));
}

export default async function customerFormRoutes(app: FastifyInstance) {
  app.get('/customers/new', async function newCustomerPage(_req, reply) {
    return renderForm(reply, { values: {} });
  });

  app.post('/customers', async function createCustomerAction(req: FastifyRequest<Body>, reply) {
    const form = parseForm(CustomerForm, req.body);
    if (!form.ok) return renderForm(reply, { values: form.values, errors: form.errors }, 422);
    const { version: _v, ...input } = form.value;
    try {
      const created = await createCustomer(app.db, input, req.actor());
      return reply.seeOther(`/customers/${created.customerId}`, `Customer ${created.fullName} created.`);
    } catch (err) {
      const errors = fieldErrorsOf(err);
      if (errors) return renderForm(reply, { values: form.value, errors }, 422);
      throw err;
    }
  });

  app.get('/customers/:id/edit', { schema: { params: IdParam } }, async function editCustomerPage(req: IdRequest, reply) {
    const customer = await findCustomer(app.db, req.params.id, 'all');
    if (!customer) throw notFound(`Customer #${req.params.id}`);
    const { customerId, fullName, emailAddress, version } = customer;
    return renderForm(reply, { customer, values: { customerId, fullName, emailAddress, version } });
  });

  app.post('/customers/:id/edit', { schema: { params: IdParam } }, async function updateCustomerAction(req: IdBodyRequest, reply) {
    const id = req.params.id;
    const form = parseForm(CustomerEditForm, req.body);
    if (!form.ok) {
      const current = await findCustomer(app.db, id, 'all');
      if (!current) throw notFound(`Customer #${req.params.id}`);
      return renderForm(reply, { customer: current, values: form.values, errors: form.errors }, 422);
    }
    const { version, ...changes } = form.value;
    try {
      const { customer, changed } = await updateCustomer(app.db, id, version, changes, req.actor());
      return reply.seeOther(`/customers/${id}`, changed ? `Customer ${customer.fullName} saved.` : 'Nothing changed.');
    } catch (err) {
      if (err instanceof VersionConflict) {
        // The form now carries the current version: saving again overwrites knowingly.
        const current = err.current as CustomerRecord;
        return renderForm(reply, {
          customer: current, message: err.message, attempted: changes,
          values: { fullName: current.fullName, emailAddress: current.emailAddress, version: current.version },
        }, 409);
      }
      const errors = fieldErrorsOf(err);
      if (errors) {
        const current = await findCustomer(app.db, id, 'all');
        return renderForm(reply, { customer: current ?? { customerId: id, fullName: changes.fullName }, values: form.value, errors }, 422);
      }
      throw err;
    }
  });

  app.post('/customers/:id/delete', { schema: { params: IdParam } }, async function deleteCustomerAction(req: IdBodyRequest, reply) {
    const id = req.params.id;
    const form = parseForm(DeleteForm, req.body);
    const version = form.ok ? form.value.version : undefined;
    try {
      const deleted = await deleteCustomer(app.db, id, version, req.actor());
      return reply.seeOther('/customers', `Customer ${deleted.fullName} deleted.`);
    } catch (err) {
      // Refused (orders, account) or changed meanwhile: the detail page, as it is now, says why.
      if (err instanceof HttpError && err.statusCode === 409) return renderCustomerPage(app, req.user!, reply, id, { message: err.message, status: 409 });
      throw err;
    }
  });
}
