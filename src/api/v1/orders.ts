// /api/v1/orders: list (filters, sort, keyset, CSV), place (Idempotency-Key), get, and the hand
// lifecycle actions. Customers list, read and place only their own orders (customerId forced)
// and may cancel their own OPEN ones; staff work on their stores' orders; admins on all.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { wantsCsv } from '../../lib/csv.ts';
import { own } from '../../lib/own.ts';
import { HttpError, unprocessable } from '../../lib/errors.ts';
import { checkIdempotencyKey, idempotent } from '../../lib/idempotency.ts';
import { ListOf, errorResponses, optionalBody } from '../schemas.ts';
import { placeOrder } from '../../modules/orders/place.ts';
import { apiOrder, loadOrderDetail } from '../../modules/orders/detail.ts';
import { listOrders } from '../../modules/orders/repository.ts';
import { sendOrdersCsv } from '../../modules/orders/export.ts';
import { retryWhenBusy, runOrderAction } from '../../modules/orders/service.ts';
import { assertFilterAccess, orderViewer, type OrderFilters } from '../../modules/orders/filters.ts';
import {
  ActionBody, ActionParams, OrderApiListQuery, OrderConflictBody, OrderDetailBody, OrderIdParam, OrderSummary, PlaceOrderBody,
  PlacedOrderBody, SORT_ALIASES, type OrderSort,
} from '../../modules/orders/schema.ts';

const tags = ['orders'];
export const API_PLACE_ROUTE = 'POST /api/v1/orders';

type ListRequest = FastifyRequest<{ Querystring: OrderApiListQuery }>;
type IdRequest = FastifyRequest<{ Params: { id: number } }>;
type PlaceRequest = FastifyRequest<{ Body: PlaceOrderBody }>;
type ActionRequest = FastifyRequest<{ Params: { id: number; action: 'pay' | 'cancel' | 'refund' }; Body: ActionBody | undefined }>;

/** Refund returns as the lifecycle takes them ({lineItemId: units}); a line listed twice is refused. */
function returnsOf(list: ActionBody['returns']): Record<number, number> | undefined {
  if (!list) return undefined;
  const out: Record<number, number> = {};
  list.forEach((r, i) => {
    if (out[r.lineItemId] !== undefined) throw unprocessable(`Line ${r.lineItemId} is listed twice in returns.`, [{ field: `returns.${i}.lineItemId`, message: 'is listed twice' }]);
    out[r.lineItemId] = r.quantity;
  });
  return out;
}

export default async function ordersApi(app: FastifyInstance) {
  const tz = app.config.timeZone;

  app.get('/', {
    schema: {
      tags, summary: 'List orders (filters: status, storeId, customerId, from, to, q; CSV with format=csv)',
      querystring: OrderApiListQuery, response: { 200: ListOf(OrderSummary, 'OrderList'), ...errorResponses(400, 401, 403) },
    },
  }, async function listOrdersApi(req: ListRequest, reply) {
    const user = req.user!;
    const { status, storeId, customerId, from, to, q, cursor, limit, order } = req.query;
    const filters: OrderFilters = { status, storeId, customerId, from, to, q: q?.trim() || undefined };
    if (from && to && from > to) throw new HttpError(400, 'The end date (to) is before the start date (from).', [{ field: 'to', message: 'is before from' }]);
    assertFilterAccess(user, filters);
    const sort = req.query.sort ? (own(SORT_ALIASES, req.query.sort) ?? req.query.sort) as OrderSort : undefined;
    const viewer = orderViewer(user);
    if (wantsCsv(req.query, req.headers.accept)) return sendOrdersCsv(reply, app.db, viewer, filters, { sort, order }, tz);
    const page = await listOrders(app.db, viewer, filters, { sort, order, cursor, limit }, tz);
    return {
      items: page.items.map((o) => ({
        orderId: o.orderId, orderTimestamp: o.orderTimestamp.toISOString(), orderStatus: o.orderStatus, customerId: o.customerId,
        customerName: o.customerName, storeId: o.storeId, storeName: o.storeName, total: o.total, version: o.version,
      })),
      nextCursor: page.nextCursor,
    };
  });

  app.post('/', {
    schema: {
      tags, summary: 'Place an order (OPEN): every line reserved at the store, or nothing',
      description: 'Send an `Idempotency-Key` header to retry safely: a replay returns the first answer and places nothing. 409 when stock is short, naming each short line with what is available.',
      body: PlaceOrderBody,
      headers: { type: 'object', properties: { 'idempotency-key': { type: 'string', description: '8-200 of A-Z a-z 0-9 _ . : -' } } },
      response: { 201: PlacedOrderBody, ...errorResponses(400, 401, 403, 409, 422) },
    },
  }, async function placeOrderApi(req: PlaceRequest, reply) {
    const user = req.user!;
    const key = checkIdempotencyKey(req.headers['idempotency-key']);
    let customerId = req.body.customerId;
    if (user.role === 'customer') {
      // Customers order for themselves; naming someone else is refused, not silently replaced.
      if (customerId !== undefined && customerId !== user.customerId) throw new HttpError(403, 'Customers can only place orders for themselves.');
      customerId = user.customerId ?? undefined;
    }
    if (customerId === undefined) throw unprocessable('customerId is required.', [{ field: 'customerId', message: 'is required' }]);
    const input = { customerId, storeId: req.body.storeId, items: req.body.items };
    const answer = await retryWhenBusy(() => idempotent(app.db, { userId: user.id, key, route: API_PLACE_ROUTE, request: input }, async (tx) => ({
      statusCode: 201, body: await placeOrder(tx, input, user, req.actor()),
    })));
    if (answer.replayed) reply.header('idempotent-replayed', 'true');
    reply.header('location', `/api/v1/orders/${(answer.body as { orderId: number }).orderId}`);
    return reply.code(answer.statusCode).send(answer.body);
  });

  app.get('/:id', {
    schema: { tags, summary: 'One order with its lines, status history, shipments and allowed actions', params: OrderIdParam, response: { 200: OrderDetailBody, ...errorResponses(400, 401, 403, 404) } },
  }, async function getOrderApi(req: IdRequest) {
    return apiOrder(await loadOrderDetail(app.db, req.params.id, req.user!));
  });

  app.post('/:id/actions/:action', {
    // Every field of the body is optional, so a POST without a body means `{}`.
    preValidation: optionalBody,
    schema: {
      tags, summary: 'Pay, cancel or refund an order',
      description: 'Send the `version` you based the action on: if the order changed since, nothing is done and the answer is 409 with the current order. Refunds take `returns` (units put back on hand per line). Customers may cancel their own OPEN orders.',
      params: ActionParams, body: ActionBody,
      response: { 200: OrderDetailBody, 409: OrderConflictBody, ...errorResponses(400, 401, 403, 404, 422) },
    },
  }, async function orderActionApi(req: ActionRequest, reply: FastifyReply) {
    const { id, action } = req.params;
    const body = req.body ?? {};
    try {
      await runOrderAction(app.db, { orderId: id, action, version: body.version, note: body.note, returns: returnsOf(body.returns) }, req.user!, req.actor());
    } catch (err) {
      if (err instanceof HttpError && err.statusCode === 409) {
        const current = apiOrder(await loadOrderDetail(app.db, id, req.user!));
        return reply.code(409).send({ status: 409, message: err.message, ...(err.errors?.length ? { errors: err.errors } : {}), current });
      }
      throw err;
    }
    return apiOrder(await loadOrderDetail(app.db, id, req.user!));
  });
}
