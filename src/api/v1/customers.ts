// /api/v1/customers: list, create, read, update (PUT/PATCH with optimistic locking), delete, the
// customer's orders and shipments, and customers by shipment status. Admins and staff manage
// every customer (staff see order figures of their own stores only); a customer may read only
// their own record, orders and shipments.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import Type, { type Static } from 'typebox';
import type { CurrentUser } from '../../lib/access.ts';
import { forbidden, notFound } from '../../lib/errors.ts';
import { VersionConflict } from '../../lib/versioned.ts';
import { wantsCsv } from '../../lib/csv.ts';
import { ListOf, IdParam, errorResponses } from '../schemas.ts';
import {
  ApiCustomer, ApiCustomerOrder, ApiCustomerShipment, ShipmentStatusCount, CustomerApiListQuery, CustomerOrdersQuery,
  CustomerShipmentsQuery, CustomerCreateBody, CustomerPutBody, CustomerPatchBody, CustomerDeleteQuery, CustomerConflictBody,
} from '../../modules/customers/schema.ts';
import { listCustomers, findCustomer, shipmentStatusSummary, orderScope, type CustomerRow } from '../../modules/customers/repository.ts';
import { customerOrders, customerShipments } from '../../modules/customers/history.ts';
import { createCustomer, updateCustomer, deleteCustomer } from '../../modules/customers/service.ts';
import { sendCustomersCsv, sendCustomerOrdersCsv, sendCustomerShipmentsCsv } from '../../modules/customers/export.ts';

const tags = ['customers'];
type Id = { Params: Static<typeof IdParam> };

const toApi = (c: CustomerRow) => ({
  customerId: c.customerId, emailAddress: c.emailAddress, fullName: c.fullName, createdAt: c.createdAt.toISOString(),
  orderCount: c.orderCount, lastOrderAt: c.lastOrderAt ? c.lastOrderAt.toISOString() : null, version: c.version,
});

function assertStaff(user: CurrentUser) {
  if (user.role === 'customer') throw forbidden('Customers can read only their own customer record through the API.');
}

/** Staff and admins read any customer; a customer only their own (403 otherwise, found or not). */
function assertCanRead(user: CurrentUser, id: number) {
  if (user.role === 'customer' && user.customerId !== id) throw forbidden('You can read only your own customer record.');
}

export default async function customersApi(app: FastifyInstance) {
  async function loadApiCustomer(user: CurrentUser, id: number) {
    const found = await findCustomer(app.db, id, orderScope(user));
    if (!found) throw notFound(`Customer #${id}`);
    return toApi(found);
  }

  /** Runs an update; a stale version answers 409 with the record as it is now. */
  async function applyUpdate(req: FastifyRequest, reply: FastifyReply, id: number, version: number, changes: { fullName?: string; emailAddress?: string }) {
    const user = req.user!;
    try {
      await updateCustomer(app.db, id, version, changes, req.actor());
    } catch (err) {
      if (!(err instanceof VersionConflict)) throw err;
      return reply.code(409).send({ status: 409, message: err.message, current: await loadApiCustomer(user, id) });
    }
    return loadApiCustomer(user, id);
  }

  app.get('/', {
    schema: {
      tags, summary: 'List customers (search by name or email; CSV with format=csv)',
      querystring: CustomerApiListQuery,
      response: { 200: ListOf(ApiCustomer, 'CustomerList'), ...errorResponses(400, 401, 403) },
    },
  }, async function apiListCustomers(req: FastifyRequest<{ Querystring: Static<typeof CustomerApiListQuery> }>, reply) {
    assertStaff(req.user!);
    const scope = orderScope(req.user);
    if (wantsCsv(req.query, req.headers.accept)) return sendCustomersCsv(reply, app.db, req.query, scope);
    const page = await listCustomers(app.db, req.query, scope);
    return { items: page.items.map(toApi), nextCursor: page.nextCursor };
  });

  app.post('/', {
    schema: {
      tags, summary: 'Create a customer', body: CustomerCreateBody,
      response: { 201: ApiCustomer, ...errorResponses(400, 401, 403, 409, 422) },
    },
  }, async function apiCreateCustomer(req: FastifyRequest<{ Body: Static<typeof CustomerCreateBody> }>, reply) {
    assertStaff(req.user!);
    const created = await createCustomer(app.db, req.body, req.actor());
    reply.header('location', `/api/v1/customers/${created.customerId}`);
    return reply.code(201).send(await loadApiCustomer(req.user!, created.customerId));
  });

  app.get('/shipment-status', {
    schema: {
      tags, summary: 'Distinct customers per shipment status (staff: their stores)',
      response: { 200: Type.Array(ShipmentStatusCount, { title: 'CustomerShipmentStatusList' }), ...errorResponses(401, 403) },
    },
  }, async function apiShipmentStatus(req) {
    assertStaff(req.user!);
    return shipmentStatusSummary(app.db, orderScope(req.user));
  });

  app.get('/:id', {
    schema: { tags, summary: 'One customer', params: IdParam, response: { 200: ApiCustomer, ...errorResponses(400, 401, 403, 404) } },
  }, async function apiGetCustomer(req: FastifyRequest<Id>) {
    assertCanRead(req.user!, req.params.id);
    return loadApiCustomer(req.user!, req.params.id);
  });

  app.put('/:id', {
    schema: {
      tags, summary: 'Replace a customer\'s fields (send the version you read)', params: IdParam, body: CustomerPutBody,
      response: { 200: ApiCustomer, 409: CustomerConflictBody, ...errorResponses(400, 401, 403, 404, 422) },
    },
  }, async function apiPutCustomer(req: FastifyRequest<Id & { Body: Static<typeof CustomerPutBody> }>, reply) {
    assertStaff(req.user!);
    const { version, fullName, emailAddress } = req.body;
    return applyUpdate(req, reply, req.params.id, version, { fullName, emailAddress });
  });

  app.patch('/:id', {
    schema: {
      tags, summary: 'Change some of a customer\'s fields (send the version you read)', params: IdParam, body: CustomerPatchBody,
      response: { 200: ApiCustomer, 409: CustomerConflictBody, ...errorResponses(400, 401, 403, 404, 422) },
    },
  }, async function apiPatchCustomer(req: FastifyRequest<Id & { Body: Static<typeof CustomerPatchBody> }>, reply) {
    assertStaff(req.user!);
    const { version, ...changes } = req.body;
    return applyUpdate(req, reply, req.params.id, version, changes);
  });

  app.delete('/:id', {
    schema: {
      tags, summary: 'Delete a customer without orders, shipments or sign-in account', params: IdParam, querystring: CustomerDeleteQuery,
      response: { 204: { type: 'null' }, ...errorResponses(400, 401, 403, 404, 409) },
    },
  }, async function apiDeleteCustomer(req: FastifyRequest<Id & { Querystring: Static<typeof CustomerDeleteQuery> }>, reply) {
    assertStaff(req.user!);
    await deleteCustomer(app.db, req.params.id, req.query.version, req.actor());
    return reply.code(204).send();
  });

  app.get('/:id/orders', {
    schema: {
      tags, summary: 'The customer\'s orders (staff: at their stores), newest first', params: IdParam, querystring: CustomerOrdersQuery,
      response: { 200: ListOf(ApiCustomerOrder, 'CustomerOrderList'), ...errorResponses(400, 401, 403, 404) },
    },
  }, async function apiCustomerOrders(req: FastifyRequest<Id & { Querystring: Static<typeof CustomerOrdersQuery> }>, reply) {
    const { id } = req.params;
    assertCanRead(req.user!, id);
    await loadApiCustomer(req.user!, id);
    const scope = orderScope(req.user);
    if (wantsCsv(req.query, req.headers.accept)) return sendCustomerOrdersCsv(reply, app.db, id, req.query, scope);
    const page = await customerOrders(app.db, id, scope, req.query);
    return { items: page.items.map((o) => ({ ...o, orderTimestamp: o.orderTimestamp.toISOString() })), nextCursor: page.nextCursor };
  });

  app.get('/:id/shipments', {
    schema: {
      tags, summary: 'The customer\'s shipments (staff: from their stores), newest first', params: IdParam, querystring: CustomerShipmentsQuery,
      response: { 200: ListOf(ApiCustomerShipment, 'CustomerShipmentList'), ...errorResponses(400, 401, 403, 404) },
    },
  }, async function apiCustomerShipments(req: FastifyRequest<Id & { Querystring: Static<typeof CustomerShipmentsQuery> }>, reply) {
    const { id } = req.params;
    assertCanRead(req.user!, id);
    await loadApiCustomer(req.user!, id);
    const scope = orderScope(req.user);
    if (wantsCsv(req.query, req.headers.accept)) return sendCustomerShipmentsCsv(reply, app.db, id, req.query, scope);
    const page = await customerShipments(app.db, id, scope, req.query);
    return { items: page.items.map((s) => ({ ...s, createdAt: s.createdAt.toISOString() })), nextCursor: page.nextCursor };
  });
}
