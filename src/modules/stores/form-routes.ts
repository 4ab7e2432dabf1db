// Creating, editing and deleting stores: admins only (staff get 403). Invalid forms re-render
// with a message per field (422); a stale edit re-renders with the current values (409).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseForm, type FieldErrors } from '../../lib/form.ts';
import { HttpError, notFound } from '../../lib/errors.ts';
import { VersionConflict } from '../../lib/versioned.ts';
import { requireAdmin } from '../../plugins/guards.ts';
import { IdParam } from '../../lib/schemas.ts';
import { StoreForm } from './schema.ts';
import { findStore, type StoreRow } from './repository.ts';
import { createStore, updateStore, deleteStore } from './service.ts';

type Body = { Body: Record<string, unknown> };
type IdRequest = FastifyRequest<{ Params: { id: number } }>;
type IdBodyRequest = FastifyRequest<{ Params: { id: number }; Body: Record<string, unknown> }>;

interface Options {
  showStore(req: IdRequest, reply: FastifyReply, extra?: { status?: number; message?: string }): Promise<FastifyReply>;
}

/** A store as form values: coordinates without the numeric column's trailing zeros. */
export function storeValues(s: StoreRow): Record<string, unknown> {
  return {
    storeName: s.storeName,
    webAddress: s.webAddress ?? '',
    physicalAddress: s.physicalAddress ?? '',
    latitude: s.latitude === null ? '' : String(Number(s.latitude)),
    longitude: s.longitude === null ? '' : String(Number(s.longitude)),
    version: s.version,
  };
}

/** Field errors carried by a service refusal (validation, duplicate name). */
function fieldErrors(err: HttpError): FieldErrors | null {
  if (!err.errors?.length) return null;
  const out: FieldErrors = {};
  for (const e of err.errors) if (typeof e.field === 'string' && typeof e.message === 'string') out[e.field] ??= e.message;
  return Object.keys(out).length ? out : null;
}

export default async function storeFormRoutes(app: FastifyInstance, opts: Options) {
  app.addHook('preHandler', requireAdmin);

  function renderForm(reply: FastifyReply, data: { store?: StoreRow; values: Record<string, unknown>; errors: FieldErrors; message?: string; attempted?: Record<string, unknown> }, status?: number) {
    const title = data.store ? `Edit ${data.store.storeName}` : 'New store';
    return reply.page('stores/form', { title, ...data }, { status });
  }

  app.get('/stores/new', async function newStorePage(_req, reply) {
    return renderForm(reply, { values: {}, errors: {} });
  });

  app.post('/stores', async function createStorePage(req: FastifyRequest<Body>, reply) {
    const form = parseForm(StoreForm, req.body);
    if (!form.ok) return renderForm(reply, { values: form.values, errors: form.errors }, 422);
    try {
      const store = await createStore(app.db, form.value, req.actor());
      return reply.seeOther(`/stores/${store.storeId}`, `Store ${store.storeName} created.`);
    } catch (err) {
      const errors = err instanceof HttpError && fieldErrors(err);
      if (!errors) throw err;
      return renderForm(reply, { values: form.value, errors }, 422);
    }
  });

  app.get('/stores/:id/edit', { schema: { params: IdParam } }, async function editStorePage(req: IdRequest, reply) {
    const store = await findStore(app.db, req.params.id);
    if (!store) throw notFound(`Store #${req.params.id}`);
    return renderForm(reply, { store, values: storeValues(store), errors: {} });
  });

  app.post('/stores/:id', { schema: { params: IdParam } }, async function updateStorePage(req: IdBodyRequest, reply) {
    const store = await findStore(app.db, req.params.id);
    if (!store) throw notFound(`Store #${req.params.id}`);
    const form = parseForm(StoreForm, req.body);
    const errors: FieldErrors = form.ok ? {} : { ...form.errors };
    if (form.ok && form.value.version === undefined) errors.version = 'The form is out of date: reload it.';
    if (!form.ok || Object.keys(errors).length) {
      const values = form.ok ? form.value : form.values;
      return renderForm(reply, { store, values, errors, message: errors.version }, 422);
    }
    try {
      const saved = await updateStore(app.db, store.storeId, form.value, form.value.version!, req.actor());
      return reply.seeOther(`/stores/${saved.storeId}`, `Store ${saved.storeName} saved.`);
    } catch (err) {
      if (err instanceof VersionConflict) {
        const current = err.current as StoreRow;
        return renderForm(reply, { store: current, values: storeValues(current), errors: {}, message: err.message, attempted: form.value }, 409);
      }
      const fields = err instanceof HttpError && fieldErrors(err);
      if (!fields) throw err;
      return renderForm(reply, { store, values: form.value, errors: fields }, 422);
    }
  });

  app.post('/stores/:id/delete', { schema: { params: IdParam } }, async function deleteStorePage(req: IdBodyRequest, reply) {
    try {
      const store = await deleteStore(app.db, req.params.id, req.actor());
      return reply.seeOther('/stores', `Store ${store.storeName} deleted.`);
    } catch (err) {
      // A refusal is shown on the store's page, which explains what still refers to the store.
      if (err instanceof HttpError && err.statusCode === 409) return opts.showStore(req, reply, { status: 409, message: err.message });
      throw err;
    }
  });
}
