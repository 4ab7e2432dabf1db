// /api/v1/shipments: list (viewer scope in SQL), get, create from a PAID order's lines, and the
// status actions ship | transit | deliver. Customers may read their own shipments.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { ApiListQuery, ListOf, IdParam, errorResponses, optionalBody } from '../schemas.ts';
import { sendCsv, wantsCsv } from '../../lib/csv.ts';
import { allPages } from '../../lib/list.ts';
import { badRequest, forbidden, notFound } from '../../lib/errors.ts';
import { canAccessStore } from '../../lib/access.ts';
import { checkIdempotencyKey, idempotent } from '../../lib/idempotency.ts';
import { shipmentStatuses } from '../../db/schema/index.ts';
import { listShipments, getShipment, parseShipmentFilters, shipmentStore, type ShipmentDetail, type ShipmentListRow } from '../../modules/shipments/repository.ts';
import { createShipment, advanceShipment, shipmentActions, type ShipmentAction } from '../../modules/shipments/service.ts';
import { csvColumns } from '../../modules/shipments/routes.ts';

const Status = Type.Union(shipmentStatuses.map((s) => Type.Literal(s)));
const Time = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);
const ShipmentSummary = Type.Object({
  shipmentId: Type.Integer(), orderId: Type.Integer(), storeId: Type.Integer(), storeName: Type.String(), customerId: Type.Integer(),
  deliveryAddress: Type.String(), shipmentStatus: Status, createdAt: Type.String({ format: 'date-time' }),
  shippedAt: Time, inTransitAt: Time, deliveredAt: Time, units: Type.Integer(), version: Type.Integer(),
}, { title: 'ShipmentSummary' });
const Shipment = Type.Object({
  ...ShipmentSummary.properties,
  items: Type.Array(Type.Object({ lineItemId: Type.Integer(), productId: Type.Integer(), sku: Type.String(), productName: Type.String(), quantity: Type.Integer() })),
}, { title: 'Shipment' });

const iso = (v: string | null) => (v ? new Date(v).toISOString() : null);
const summary = (r: ShipmentListRow | ShipmentDetail) => ({
  shipmentId: r.shipmentId, orderId: r.orderId, storeId: r.storeId, storeName: r.storeName, customerId: r.customerId,
  deliveryAddress: r.deliveryAddress, shipmentStatus: r.shipmentStatus, createdAt: iso(r.createdAt)!, shippedAt: iso(r.shippedAt),
  inTransitAt: iso(r.inTransitAt), deliveredAt: iso(r.deliveredAt), units: r.units, version: r.version,
});
const detail = (d: ShipmentDetail) => ({ ...summary(d), items: d.items.map(({ lineItemId, productId, sku, productName, quantity }) => ({ lineItemId, productId, sku, productName, quantity })) });

export default async function shipmentsApi(app: FastifyInstance) {
  const timeZone = app.config.timeZone;

  async function visible(req: FastifyRequest, id: number): Promise<ShipmentDetail> {
    const found = await getShipment(app.db, req.user!, id);
    if (found) return found;
    const store = await shipmentStore(app.db, id);
    if (store !== null && req.user!.role === 'staff' && !canAccessStore(req.user, store)) throw forbidden('This shipment belongs to a store you do not work at.');
    throw notFound(`Shipment #${id}`);
  }

  app.get('/', {
    schema: {
      tags: ['shipments'], summary: 'List shipments',
      querystring: Type.Object({
        ...ApiListQuery, status: Type.Optional(Status), storeId: Type.Optional(Type.Integer({ minimum: 1 })), customerId: Type.Optional(Type.Integer({ minimum: 1 })),
        orderId: Type.Optional(Type.Integer({ minimum: 1 })), from: Type.Optional(Type.String({ format: 'date' })), to: Type.Optional(Type.String({ format: 'date' })),
      }, { additionalProperties: false }),
      response: { 200: ListOf(ShipmentSummary, 'ShipmentList'), ...errorResponses(400, 401) },
    },
  }, async function apiListShipments(req: FastifyRequest<{ Querystring: Record<string, unknown> & { sort?: string; order?: 'asc' | 'desc'; cursor?: string; limit?: number; format?: string } }>, reply: FastifyReply) {
    const { filters, errors } = parseShipmentFilters(req.query);
    if (Object.keys(errors).length) throw badRequest(Object.values(errors).join(' '), Object.entries(errors).map(([field, message]) => ({ field, message })));
    const { sort, order, cursor, limit } = req.query;
    if (wantsCsv(req.query as { format?: string }, req.headers.accept)) {
      return sendCsv(reply, 'shipments.csv', csvColumns, allPages((c) => listShipments(app.db, req.user!, filters, { sort, order, cursor: c, limit: 1000 }, timeZone)));
    }
    const page = await listShipments(app.db, req.user!, filters, { sort, order, cursor, limit }, timeZone);
    return { items: page.items.map(summary), nextCursor: page.nextCursor };
  });

  app.get('/:id', {
    schema: { tags: ['shipments'], summary: 'One shipment with its lines', params: IdParam, response: { 200: Shipment, ...errorResponses(401, 403, 404) } },
  }, async function apiGetShipment(req: FastifyRequest<{ Params: { id: number } }>) {
    return detail(await visible(req, req.params.id));
  });

  app.post('/', {
    schema: {
      tags: ['shipments'], summary: 'Create a shipment from unshipped lines of a PAID order (whole lines; all of them when items is omitted)',
      headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String()) }),
      body: Type.Object({
        orderId: Type.Integer({ minimum: 1 }),
        items: Type.Optional(Type.Array(Type.Object({ productId: Type.Integer({ minimum: 1 }), quantity: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false }), { minItems: 1, maxItems: 100 })),
        deliveryAddress: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
      }, { additionalProperties: false }),
      response: { 201: Shipment, ...errorResponses(400, 401, 403, 404, 409, 422) },
    },
  }, async function apiCreateShipment(req: FastifyRequest<{ Body: { orderId: number; items?: Array<{ productId: number; quantity?: number }>; deliveryAddress?: string } }>, reply) {
    const key = checkIdempotencyKey(req.headers['idempotency-key']);
    const answer = await idempotent(app.db, { userId: req.user!.id, key, route: 'POST /api/v1/shipments', request: req.body }, async (tx) => {
      const created = await createShipment(tx, req.body, req.user!, req.actor());
      const full = await getShipment(tx, req.user!, created.shipmentId);
      return { statusCode: 201, body: detail(full!) };
    });
    return reply.code(answer.statusCode).send(answer.body);
  });

  app.post('/:id/actions/:action', {
    // Every field of the body is optional, so a POST without a body means `{}`.
    preValidation: optionalBody,
    schema: {
      tags: ['shipments'], summary: 'Advance a shipment: ship (dispatch, takes stock out), transit, deliver',
      params: Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2147483647 }), action: Type.Union(shipmentActions.map((a) => Type.Literal(a))) }),
      body: Type.Object({ version: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false }),
      response: { 200: Shipment, ...errorResponses(400, 401, 403, 404, 409) },
    },
  }, async function apiShipmentAction(req: FastifyRequest<{ Params: { id: number; action: ShipmentAction }; Body?: { version?: number } }>) {
    await visible(req, req.params.id);
    await app.db.transaction((tx) => advanceShipment(tx, req.params.id, req.params.action, req.user!, req.actor(), req.body?.version));
    return detail((await getShipment(app.db, req.user!, req.params.id))!);
  });
}
