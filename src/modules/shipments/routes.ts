// Shipment pages: the list with filters and CSV, a shipment with its lines and the one next
// step its status allows, the status actions (post-redirect-get; htmx swaps the status panel),
// and a printable packing slip. Creating a shipment starts from the order page.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ListQuery } from '../../lib/list.ts';
import { sendCsv, wantsCsv } from '../../lib/csv.ts';
import { allPages } from '../../lib/list.ts';
import { notFound, forbidden, HttpError } from '../../lib/errors.ts';
import { canAccessStore } from '../../lib/access.ts';
import { parseForm } from '../../lib/form.ts';
import Type from 'typebox';
import Value from 'typebox/value';
import { shipmentStatuses } from '../../db/schema/index.ts';
import { listShipments, getShipment, parseShipmentFilters, shipmentStore, SHIPMENT_SORTS, type ShipmentListRow } from './repository.ts';
import { advanceShipment, shipmentActionFor, shipmentActions, SHIPMENT_TRANSITIONS, type ShipmentAction } from './service.ts';

type Query = { Querystring: Record<string, string | undefined> };
type Id = { Params: { id: string } };

const ActionForm = Type.Object({ version: Type.Integer({ minimum: 1, errorMessage: 'The page is out of date: reload it.' }) });

export const csvColumns = [
  { header: 'shipment_id', value: (r: ShipmentListRow) => r.shipmentId },
  { header: 'order_id', value: (r: ShipmentListRow) => r.orderId },
  { header: 'store', value: (r: ShipmentListRow) => r.storeName },
  { header: 'customer', value: (r: ShipmentListRow) => r.customerName },
  { header: 'delivery_address', value: (r: ShipmentListRow) => r.deliveryAddress },
  { header: 'status', value: (r: ShipmentListRow) => r.shipmentStatus },
  { header: 'lines', value: (r: ShipmentListRow) => r.lines },
  { header: 'units', value: (r: ShipmentListRow) => r.units },
  { header: 'created_at', value: (r: ShipmentListRow) => new Date(r.createdAt).toISOString() },
  { header: 'shipped_at', value: (r: ShipmentListRow) => (r.shippedAt ? new Date(r.shippedAt).toISOString() : '') },
  { header: 'delivered_at', value: (r: ShipmentListRow) => (r.deliveredAt ? new Date(r.deliveredAt).toISOString() : '') },
];

function parseId(raw: string): number {
  if (!/^\d{1,10}$/.test(raw) || Number(raw) < 1 || Number(raw) > 2147483647) throw notFound('The shipment');
  return Number(raw);
}

export default async function shipmentsRoutes(app: FastifyInstance) {
  const timeZone = app.config.timeZone;

  app.get('/shipments', async function listShipmentsPage(req: FastifyRequest<Query>, reply) {
    const query = req.query;
    const { filters, errors } = parseShipmentFilters(query);
    const listQuery = Value.Convert(ListQuery, { ...query }) as Record<string, unknown>;
    for (const k of ['limit', 'cursor', 'sort', 'order', 'format'] as const) if (listQuery[k] === '') delete listQuery[k];
    if (!Value.Check(ListQuery, listQuery)) errors.list = 'The sort, order or page size is not valid.';
    const list = Value.Check(ListQuery, listQuery) ? listQuery as { sort?: string; order?: 'asc' | 'desc'; cursor?: string; limit?: number } : {};
    const params = { ...filters, sort: list.sort, order: list.order };
    if (Object.keys(errors).length) {
      return reply.page('shipments/index', { title: 'Shipments', params, errors, page: { items: [], nextCursor: null, prevCursor: null }, sorts: SHIPMENT_SORTS, statuses: shipmentStatuses }, { fragment: 'shipments/_rows', status: 400 });
    }
    if (wantsCsv(query as { format?: string })) {
      return sendCsv(reply, 'shipments.csv', csvColumns, allPages((cursor) => listShipments(app.db, req.user!, filters, { ...list, cursor, limit: 1000 }, timeZone)));
    }
    const page = await listShipments(app.db, req.user!, filters, list, timeZone);
    return reply.page('shipments/index', { title: 'Shipments', params: { ...params, sort: page.sort, order: page.order }, errors, page, statuses: shipmentStatuses }, { fragment: 'shipments/_rows' });
  });

  async function loadVisible(req: FastifyRequest, id: number) {
    const shipment = await getShipment(app.db, req.user!, id);
    if (shipment) return shipment;
    const store = await shipmentStore(app.db, id);
    if (store !== null && !canAccessStore(req.user, store)) throw forbidden('This shipment belongs to a store you do not work at.');
    throw notFound(`Shipment #${id}`);
  }

  async function showShipment(req: FastifyRequest, reply: FastifyReply, id: number, extra: Record<string, unknown> = {}, status?: number) {
    const shipment = await loadVisible(req, id);
    const next = shipmentActionFor(shipment.shipmentStatus);
    return reply.page('shipments/show', {
      title: `Shipment ${shipment.shipmentId}`, shipment, next, transition: next ? SHIPMENT_TRANSITIONS[next] : null, ...extra,
    }, { fragment: 'shipments/_status', status });
  }

  app.get('/shipments/:id', async function showShipmentPage(req: FastifyRequest<Id>, reply) {
    return showShipment(req, reply, parseId(req.params.id));
  });

  app.post('/shipments/:id/actions/:action', async function shipmentAction(req: FastifyRequest<{ Params: { id: string; action: string }; Body: Record<string, unknown> }>, reply) {
    const id = parseId(req.params.id);
    const action = req.params.action as ShipmentAction;
    if (!shipmentActions.includes(action)) throw notFound('That action');
    await loadVisible(req, id);
    const form = parseForm(ActionForm, req.body);
    if (!form.ok) return showShipment(req, reply, id, { message: form.errors.version }, 422);
    try {
      await app.db.transaction((tx) => advanceShipment(tx, id, action, req.user!, req.actor(), form.value.version));
    } catch (err) {
      if (err instanceof HttpError && err.statusCode === 409) return showShipment(req, reply, id, { message: err.message }, 409);
      throw err;
    }
    reply.flash('success', `Shipment ${id}: ${SHIPMENT_TRANSITIONS[action].to}.`);
    if (req.wantsFragment) return showShipment(req, reply, id);
    return reply.code(303).redirect(`/shipments/${id}`);
  });

  app.get('/shipments/:id/packing-slip', async function packingSlip(req: FastifyRequest<Id>, reply) {
    const shipment = await loadVisible(req, parseId(req.params.id));
    return reply.page('shipments/packing-slip', { title: `Packing slip ${shipment.shipmentId}`, shipment });
  });
}
