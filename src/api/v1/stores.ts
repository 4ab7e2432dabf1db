// /api/v1/stores. The list of stores is public information for every signed-in caller (customers
// need it to choose where to order; sales channels to route orders), so list and get are open to
// all roles and show every store; creating, changing and deleting stores is for admins only.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import Type, { type Static } from 'typebox';
import { ApiListQuery, IdParam, ListOf, errorResponses } from '../schemas.ts';
import { allPages } from '../../lib/list.ts';
import { sendCsv, wantsCsv, type CsvColumn } from '../../lib/csv.ts';
import { assertRole } from '../../lib/access.ts';
import { notFound } from '../../lib/errors.ts';
import { VersionConflict } from '../../lib/versioned.ts';
import { LATITUDE_MESSAGE, LONGITUDE_MESSAGE } from '../../modules/stores/schema.ts';
import { findStore, listStores, type StoreRow } from '../../modules/stores/repository.ts';
import { createStore, deleteStore, updateStore } from '../../modules/stores/service.ts';

const Nullable = <T extends import('typebox').TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const ApiStore = Type.Object({
  storeId: Type.Integer(),
  storeName: Type.String(),
  webAddress: Nullable(Type.String()),
  physicalAddress: Nullable(Type.String()),
  latitude: Nullable(Type.Number()),
  longitude: Nullable(Type.Number()),
  version: Type.Integer(),
}, { title: 'Store' });

const fields = {
  storeName: Type.String({ minLength: 1, maxLength: 120 }),
  webAddress: Type.Optional(Nullable(Type.String({ maxLength: 500, pattern: '^https?://[^\\s]+$' }))),
  physicalAddress: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
  latitude: Type.Optional(Nullable(Type.Number({ minimum: -90, maximum: 90, description: LATITUDE_MESSAGE }))),
  longitude: Type.Optional(Nullable(Type.Number({ minimum: -180, maximum: 180, description: LONGITUDE_MESSAGE }))),
};

const StoreCreate = Type.Object(fields, { additionalProperties: false, title: 'StoreCreate', description: 'A web address or a physical address (or both); coordinates come as a pair.' });
const StorePut = Type.Object({ ...fields, version: Type.Integer({ minimum: 1 }) }, { additionalProperties: false, title: 'StoreReplace' });
const StorePatch = Type.Object({ ...Type.Partial(Type.Object(fields)).properties, version: Type.Integer({ minimum: 1 }) }, { additionalProperties: false, title: 'StoreUpdate' });
// 409 is also a taken name (no `current`, field errors instead): the schema must allow both, or
// serialising that answer fails with a 500.
const StoreConflict = Type.Object({
  status: Type.Integer(), message: Type.String(), current: Type.Optional(ApiStore),
  errors: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }))),
}, { title: 'StoreConflict' });

const StoresQuery = Type.Object(ApiListQuery);
type StoresQuery = Static<typeof StoresQuery>;

export function toApiStore(s: StoreRow): Static<typeof ApiStore> {
  return {
    storeId: s.storeId, storeName: s.storeName, webAddress: s.webAddress, physicalAddress: s.physicalAddress,
    latitude: s.latitude === null ? null : Number(s.latitude), longitude: s.longitude === null ? null : Number(s.longitude), version: s.version,
  };
}

const csvColumns: CsvColumn<StoreRow>[] = [
  { header: 'storeId', value: (s) => s.storeId },
  { header: 'storeName', value: (s) => s.storeName },
  { header: 'webAddress', value: (s) => s.webAddress ?? '' },
  { header: 'physicalAddress', value: (s) => s.physicalAddress ?? '' },
  { header: 'latitude', value: (s) => (s.latitude === null ? '' : Number(s.latitude)) },
  { header: 'longitude', value: (s) => (s.longitude === null ? '' : Number(s.longitude)) },
  { header: 'version', value: (s) => s.version },
];

type IdReq = FastifyRequest<{ Params: { id: number } }>;

async function adminOnly(req: FastifyRequest) {
  assertRole(req.user, 'admin');
}

export default async function storesApi(app: FastifyInstance) {
  const tags = ['stores'];

  app.get<{ Querystring: StoresQuery }>('/', {
    schema: {
      tags, summary: 'List stores', description: 'Sort by storeName (default), storeId, webAddress or physicalAddress; `q` searches names and addresses. `format=csv` streams CSV.',
      querystring: StoresQuery, response: { 200: ListOf(ApiStore, 'StoreList'), ...errorResponses(400, 401) },
    },
  }, async function listStoresApi(req, reply) {
    const { q, sort, order } = req.query;
    if (wantsCsv(req.query, req.headers.accept)) {
      return sendCsv(reply, 'stores.csv', csvColumns, allPages((cursor) => listStores(app.db, { q, sort, order, cursor, limit: 200 }, 'all')));
    }
    const page = await listStores(app.db, req.query, 'all');
    return { items: page.items.map(toApiStore), nextCursor: page.nextCursor };
  });

  app.get('/:id', {
    schema: { tags, summary: 'Get a store', params: IdParam, response: { 200: ApiStore, ...errorResponses(400, 401, 404) } },
  }, async function getStoreApi(req: IdReq) {
    const store = await findStore(app.db, req.params.id);
    if (!store) throw notFound(`Store #${req.params.id}`);
    return toApiStore(store);
  });

  app.post<{ Body: Static<typeof StoreCreate> }>('/', {
    preHandler: adminOnly,
    schema: { tags, summary: 'Create a store (admin)', body: StoreCreate, response: { 201: ApiStore, ...errorResponses(400, 401, 403, 409, 422) } },
  }, async function createStoreApi(req, reply) {
    const store = await createStore(app.db, req.body, req.actor());
    return reply.code(201).header('location', `/api/v1/stores/${store.storeId}`).send(toApiStore(store));
  });

  /** PUT replaces every field (absent optional fields become null); PATCH changes the given ones. */
  async function update(req: FastifyRequest<{ Params: { id: number }; Body: Record<string, unknown> & { version: number } }>, reply: FastifyReply, replace: boolean) {
    const current = await findStore(app.db, req.params.id);
    if (!current) throw notFound(`Store #${req.params.id}`);
    const { version, ...body } = req.body;
    const base = replace ? { webAddress: null, physicalAddress: null, latitude: null, longitude: null } : toApiStore(current);
    const input = { ...base, ...body } as Parameters<typeof updateStore>[2];
    try {
      return toApiStore(await updateStore(app.db, current.storeId, input, version, req.actor()));
    } catch (err) {
      if (err instanceof VersionConflict) {
        return reply.code(409).send({ status: 409, message: err.message, current: toApiStore(err.current as StoreRow) });
      }
      throw err;
    }
  }

  app.put('/:id', {
    preHandler: adminOnly,
    schema: { tags, summary: 'Replace a store (admin)', description: '`version` is the version you read; 409 with the current store when it changed since.', params: IdParam, body: StorePut, response: { 200: ApiStore, 409: StoreConflict, ...errorResponses(400, 401, 403, 404, 422) } },
  }, async function replaceStoreApi(req: FastifyRequest<{ Params: { id: number }; Body: Record<string, unknown> & { version: number } }>, reply) {
    return update(req, reply, true);
  });

  app.patch('/:id', {
    preHandler: adminOnly,
    schema: { tags, summary: 'Update a store (admin)', description: 'Send the fields to change and the `version` you read; 409 with the current store when it changed since.', params: IdParam, body: StorePatch, response: { 200: ApiStore, 409: StoreConflict, ...errorResponses(400, 401, 403, 404, 422) } },
  }, async function updateStoreApi(req: FastifyRequest<{ Params: { id: number }; Body: Record<string, unknown> & { version: number } }>, reply) {
    return update(req, reply, false);
  });

  app.delete('/:id', {
    preHandler: adminOnly,
    schema: { tags, summary: 'Delete a store (admin)', description: 'Refused (409) while the store has stock records, orders, shipments or assigned staff.', params: IdParam, response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404, 409) } },
  }, async function deleteStoreApi(req: IdReq, reply) {
    await deleteStore(app.db, req.params.id, req.actor());
    return reply.code(204).send();
  });
}
