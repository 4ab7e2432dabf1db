// One order: the detail page (lines, totals, timeline, shipments), its lifecycle actions as POST
// forms carrying the version the user saw, "create shipment" from unshipped lines, and the
// printable invoice. A stale version or an action the status no longer allows re-renders the
// CURRENT order with the reason (409), so nothing is ever applied twice.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { HttpError, unprocessable } from '../../lib/errors.ts';
import { lastDeliveryAddress } from '../shipments/service.ts';
import { loadOrderDetail } from './detail.ts';
import { runOrderAction, shipOrderLines } from './service.ts';
import { API_ACTIONS, OrderIdParam } from './schema.ts';

type IdRequest = FastifyRequest<{ Params: { id: number } }>;
type ActionRequest = FastifyRequest<{ Params: { id: number; action: (typeof API_ACTIONS)[number] }; Body: Record<string, unknown> }>;
type ShipRequest = FastifyRequest<{ Params: { id: number }; Body: Record<string, unknown> }>;

const ActionParams = Type.Object({ id: OrderIdParam.properties.id, action: Type.Union(API_ACTIONS.map((a) => Type.Literal(a))) });

export interface ShipmentFormValues { lineItemIds?: number[]; deliveryAddress?: string; errors?: Record<string, string> }

const DONE: Record<(typeof API_ACTIONS)[number], (id: number) => string> = {
  pay: (id) => `Order #${id} marked paid.`,
  cancel: (id) => `Order #${id} cancelled; its reserved stock is available again.`,
  refund: (id) => `Order #${id} refunded.`,
};

const text = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');

/** The version field of a form: required, a positive whole number. */
function formVersion(body: Record<string, unknown>): number {
  const v = text(body.version);
  if (!/^\d{1,9}$/.test(v) || Number(v) < 1) throw unprocessable('This form is out of date: reload the order and try again.', [{ field: 'version', message: 'is missing' }]);
  return Number(v);
}

/** Refund form: `returns.<lineItemId>` = units going back on hand. Blank means 0. */
function formReturns(body: Record<string, unknown>): Record<number, number> {
  const out: Record<number, number> = {};
  for (const [k, raw] of Object.entries(body)) {
    const m = /^returns\.(\d{1,9})$/.exec(k);
    if (!m) continue;
    const v = text(raw);
    if (v === '') continue;
    if (!/^\d{1,9}$/.test(v)) throw unprocessable(`Line ${m[1]}: enter a whole number of units to restock (0 or more).`, [{ field: `returns.${m[1]}`, message: 'must be a whole number ≥ 0' }]);
    out[Number(m[1])] = Number(v);
  }
  return out;
}

export default async function showOrderRoutes(app: FastifyInstance) {
  /** The order page, or its status fragment for htmx (actions re-render in place). */
  async function renderOrder(req: FastifyRequest, reply: FastifyReply, orderId: number, extra: { status?: number; message?: string; shipment?: ShipmentFormValues } = {}) {
    const detail = await loadOrderDetail(app.db, orderId, req.user!);
    const canShip = detail.order.orderStatus === 'PAID' && detail.unshipped.length > 0 && req.user!.role !== 'customer';
    const address = canShip ? extra.shipment?.deliveryAddress ?? await lastDeliveryAddress(app.db, detail.order.customerId) ?? '' : '';
    return reply.page('orders/show', {
      title: `Order #${orderId}`, ...detail, canShip,
      shipment: { lineItemIds: extra.shipment?.lineItemIds ?? detail.unshipped.map((l) => l.lineItemId), deliveryAddress: address, errors: extra.shipment?.errors ?? {} },
      message: extra.message,
    }, { fragment: 'orders/_status', status: extra.status });
  }

  app.get('/orders/:id', { schema: { params: OrderIdParam } }, async function showOrder(req: IdRequest, reply) {
    return renderOrder(req, reply, req.params.id);
  });

  app.post('/orders/:id/actions/:action', { schema: { params: ActionParams } }, async function orderAction(req: ActionRequest, reply) {
    const { id, action } = req.params;
    const body = req.body ?? {};
    try {
      const version = formVersion(body);
      const returns = action === 'refund' ? formReturns(body) : undefined;
      const note = text(body.note).slice(0, 500) || undefined;
      const updated = await runOrderAction(app.db, { orderId: id, action, version, note, returns }, req.user!, req.actor());
      const done = `${DONE[action](id)}${action === 'refund' && returns && Object.values(returns).some((n) => n > 0) ? ' Returned units are back on hand.' : ''}`;
      if (!req.wantsFragment) return reply.seeOther(`/orders/${id}`, done);
      reply.flash('success', done);
      req.log.debug({ orderId: id, version: updated.version }, 'order action applied');
      return renderOrder(req, reply, id);
    } catch (err) {
      // Conflicts (stale version, status no longer allows it) and bad refund quantities show the
      // order as it is now, with the reason. Access errors (403/404) are pages of their own.
      if (err instanceof HttpError && (err.statusCode === 409 || err.statusCode === 422)) {
        return renderOrder(req, reply, id, { status: err.statusCode, message: err.message });
      }
      throw err;
    }
  });

  app.post('/orders/:id/shipments', { schema: { params: OrderIdParam } }, async function createOrderShipment(req: ShipRequest, reply) {
    const id = req.params.id;
    const body = req.body ?? {};
    const raw = [body.lineItemId ?? []].flat().map(text);
    const lineItemIds = raw.filter((v) => /^\d{1,9}$/.test(v)).map(Number);
    const deliveryAddress = text(body.deliveryAddress).slice(0, 1000);
    try {
      const version = formVersion(body);
      if (raw.length !== lineItemIds.length) throw unprocessable('Choose lines from the list.', [{ field: 'lineItemIds', message: 'Choose lines from the list.' }]);
      const shipment = await shipOrderLines(app.db, { orderId: id, version, lineItemIds, deliveryAddress: deliveryAddress || undefined }, req.user!, req.actor());
      return reply.seeOther(`/orders/${id}`, `Shipment #${shipment.shipmentId} created for ${lineItemIds.length} line${lineItemIds.length === 1 ? '' : 's'}.`);
    } catch (err) {
      if (err instanceof HttpError && (err.statusCode === 409 || err.statusCode === 422)) {
        const errors: Record<string, string> = {};
        for (const e of err.errors ?? []) {
          const field = String((e as { field?: unknown }).field ?? '');
          errors[field.startsWith('items') ? 'lineItemIds' : field] ??= String((e as { message?: unknown }).message ?? '');
        }
        return renderOrder(req, reply, id, { status: err.statusCode, message: err.message, shipment: { lineItemIds, deliveryAddress, errors } });
      }
      throw err;
    }
  });

  app.get('/orders/:id/invoice', { schema: { params: OrderIdParam } }, async function orderInvoice(req: IdRequest, reply) {
    const detail = await loadOrderDetail(app.db, req.params.id, req.user!);
    const addresses = [...new Set(detail.shipments.map((s) => s.deliveryAddress))];
    return reply.page('orders/invoice', { title: `Invoice #${detail.order.orderId}`, ...detail, addresses });
  });
}
