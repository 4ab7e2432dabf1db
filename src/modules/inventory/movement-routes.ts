// The movement forms of one stock row: receive, adjust, count, transfer (one product) and the
// reorder point, at /inventory/:storeId/:productId/:action. With htmx the form replaces the table
// row and a success swaps the updated row back in, with the flash out of band (page() adds it); without
// JavaScript it is a page of its own and a success redirects (303) to the list. /inventory/receive
// receives a product the store may not stock yet (store and SKU chosen on the form).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import Type, { type Static } from 'typebox';
import { assertStoreAccess, storeScope } from '../../lib/access.ts';
import type { Actor } from '../../lib/audit.ts';
import { HttpError, notFound } from '../../lib/errors.ts';
import type { FieldErrors } from '../../lib/form.ts';
import { parseWholeForm } from './form.ts';
import type { Db } from '../../db/client.ts';
import { findProductsBySku, findStockRow, storeOptions, type Scope, type StockRow } from './repository.ts';
import { adjustStock, countStock, receiveStock, setReorderPoint, transferStock } from './service.ts';
import { ADJUSTMENT_REASONS, AdjustForm, CountForm, NewReceiptForm, ReceiveForm, ReorderPointForm, TransferRowForm, signForReason, type AdjustmentReason } from './schema.ts';
import { RowParams } from './stock-routes.ts';
import { alreadyRecorded, postOnce, REUSED_MESSAGE, withFormKey } from './form-once.ts';

/** Each form: its heading, its schema, and the field a refusal without a field is shown on. */
export const ROW_ACTIONS = {
  receive: { title: 'Receive stock', form: ReceiveForm, field: 'quantity' },
  adjust: { title: 'Adjust stock', form: AdjustForm, field: 'quantity' },
  count: { title: 'Count stock', form: CountForm, field: 'countedQuantity' },
  transfer: { title: 'Transfer to another store', form: TransferRowForm, field: 'quantity' },
  'reorder-point': { title: 'Set the reorder point', form: ReorderPointForm, field: 'reorderPoint' },
} as const;
type Action = keyof typeof ROW_ACTIONS;

const ActionParams = Type.Object({ ...RowParams.properties, action: Type.Union(Object.keys(ROW_ACTIONS).map((a) => Type.Literal(a))) });
type ActionParams = RowParams & { action: Action };
type Body = Record<string, unknown>;
type Outcome = { ok: true; row: StockRow; message: string } | { ok: false; values: Body; errors: FieldErrors };

const signed = (n: number) => (n > 0 ? `+${n}` : String(n));
/** What was typed, to show the form again (without the CSRF token). */
const formValues = (body: unknown): Body => {
  const { _csrf: _token, ...values } = (body && typeof body === 'object' ? body : {}) as Body;
  return values;
};

/** Validates the form of `action` and runs it; refusals come back as field errors (or throw). */
async function perform(db: Db, action: Action, row: StockRow, body: unknown, actor: Actor, scope: Scope): Promise<Outcome> {
  const at = { storeId: row.storeId, productId: row.productId };
  const what = `${row.sku} at ${row.storeName}`;
  switch (action) {
    case 'receive': {
      const f = parseWholeForm(ReceiveForm, body);
      if (!f.ok) return f;
      const r = await receiveStock(db, { ...at, ...f.value }, actor, scope);
      return { ok: true, row: r.row, message: `Received ${f.value.quantity} of ${what}. On hand: ${r.row.onHand}.` };
    }
    case 'adjust': {
      const f = parseWholeForm(AdjustForm, body);
      if (!f.ok) return f;
      const reason = f.value.reason as AdjustmentReason;
      const sign = signForReason(reason, f.value.quantity);
      if (!sign.ok) return { ok: false, values: formValues(body), errors: { quantity: sign.message } };
      const r = await adjustStock(db, { ...at, ...f.value, quantity: sign.quantity }, actor, scope);
      return { ok: true, row: r.row, message: `Adjusted ${what} by ${signed(sign.quantity)} (${ADJUSTMENT_REASONS[reason].label.toLowerCase()}). On hand: ${r.row.onHand}.` };
    }
    case 'count': {
      const f = parseWholeForm(CountForm, body);
      if (!f.ok) return f;
      const r = await countStock(db, { ...at, ...f.value }, actor, scope);
      const diff = r.movement.quantity;
      return { ok: true, row: r.row, message: diff === 0 ? `Count recorded: ${what} matches the records (${r.row.onHand}).` : `Count recorded: ${what} is now ${r.row.onHand} (${signed(diff)}).` };
    }
    case 'transfer': {
      const f = parseWholeForm(TransferRowForm, body);
      if (!f.ok) return f;
      const t = await transferStock(db, { fromStoreId: row.storeId, toStoreId: f.value.toStoreId, items: [{ productId: row.productId, quantity: f.value.quantity }], reference: f.value.reference }, actor, scope);
      const to = t.movements.find((m) => m.kind === 'transfer_in')!;
      const updated = (await findStockRow(db, scope, row.storeId, row.productId))!;
      return { ok: true, row: updated, message: `Transferred ${f.value.quantity} of ${row.sku} from ${row.storeName} to ${to.storeName}.` };
    }
    case 'reorder-point': {
      const f = parseWholeForm(ReorderPointForm, body);
      if (!f.ok) return f;
      const updated = await setReorderPoint(db, { ...at, ...f.value }, actor, scope);
      return { ok: true, row: updated, message: `Reorder point of ${what} set to ${updated.reorderPoint}.` };
    }
  }
}

/** A refusal from the service as form errors: its field errors, or the message on the form's
 * main field (a shortage names products, not fields). */
export function refusalErrors(err: HttpError, mainField: string, fields: string[]): FieldErrors {
  const errors: FieldErrors = {};
  for (const e of err.errors ?? []) {
    const field = typeof e.field === 'string' ? e.field : undefined;
    if (field && fields.includes(field)) errors[field] = String(e.message);
  }
  if (!Object.keys(errors).length) errors[mainField] = err.message;
  return errors;
}

/** A refusal the form shows (bad input, too little stock); anything else is an error page. */
export const refused = (err: unknown): err is HttpError => err instanceof HttpError && (err.statusCode === 409 || err.statusCode === 422);

export default async function movementRoutes(app: FastifyInstance) {
  async function renderForm(reply: FastifyReply, action: Action, row: StockRow, values: Body, errors: FieldErrors, status = 200, message?: string) {
    const stores = action === 'transfer' ? (await storeOptions(app.db, 'all')).filter((s) => s.storeId !== row.storeId) : [];
    return reply.page('inventory/action', {
      title: `${ROW_ACTIONS[action].title}: ${row.sku} at ${row.storeName}`, heading: ROW_ACTIONS[action].title,
      action, row, values: withFormKey(values), errors, stores, reasons: ADJUSTMENT_REASONS, message,
    }, { fragment: 'inventory/_action-row', status });
  }

  async function loadRow(req: FastifyRequest<{ Params: ActionParams }>) {
    assertStoreAccess(req.user, req.params.storeId);
    const row = await findStockRow(app.db, storeScope(req.user), req.params.storeId, req.params.productId);
    if (!row) throw notFound('This stock row');
    return row;
  }

  app.get('/inventory/:storeId/:productId/:action', { schema: { params: ActionParams } },
    async function showMovementForm(req: FastifyRequest<{ Params: ActionParams }>, reply) {
      const row = await loadRow(req);
      const values = req.params.action === 'reorder-point' ? { reorderPoint: row.reorderPoint } : {};
      return renderForm(reply, req.params.action, row, values, {});
    });

  app.post('/inventory/:storeId/:productId/:action', { schema: { params: ActionParams } },
    async function postMovement(req: FastifyRequest<{ Params: ActionParams; Body: Body }>, reply) {
      const { action } = req.params;
      const row = await loadRow(req);
      const body = req.body ?? {};
      const scope = storeScope(req.user);
      const location = `/inventory?storeId=${row.storeId}&q=${encodeURIComponent(row.sku)}`;
      let result;
      try {
        result = await postOnce<{ values: Body; errors: FieldErrors }>(app.db, req.user!.id, `web:POST /inventory/${row.storeId}/${row.productId}/${action}`, body, async (tx) => {
          const outcome = await perform(tx, action, row, body, req.actor(), scope);
          return outcome.ok ? { ok: true, posted: { location, message: outcome.message } } : outcome;
        });
      } catch (err) {
        if (!refused(err)) throw err;
        // Show the numbers as they are now: the refusal may come from someone else's change.
        const current = (await findStockRow(app.db, 'all', row.storeId, row.productId)) ?? row;
        const fields = Object.keys(ROW_ACTIONS[action].form.properties);
        return renderForm(reply, action, current, body, refusalErrors(err, ROW_ACTIONS[action].field, fields), err.statusCode);
      }
      if (result.kind === 'invalid') return renderForm(reply, action, row, { ...result.invalid.values, idempotencyKey: body.idempotencyKey }, result.invalid.errors, 422);
      if (result.kind === 'reused') return renderForm(reply, action, row, { ...body, idempotencyKey: undefined }, {}, 422, REUSED_MESSAGE);
      const message = result.replayed ? alreadyRecorded(result.posted.message) : result.posted.message;
      if (req.wantsFragment) {
        reply.flash('success', message);
        return reply.page('inventory/_row', { row: (await findStockRow(app.db, scope, row.storeId, row.productId)) ?? row });
      }
      return reply.seeOther(result.posted.location, message);
    });

  app.get('/inventory/receive', async function showReceiveForm(req: FastifyRequest<{ Querystring: Body }>, reply) {
    const stores = await storeOptions(app.db, storeScope(req.user));
    return reply.page('inventory/receive', { title: 'Receive stock', stores, values: withFormKey(req.query ?? {}), errors: {} });
  });

  app.post('/inventory/receive', async function postReceipt(req: FastifyRequest<{ Body: Body }>, reply) {
    const scope = storeScope(req.user);
    const body = req.body ?? {};
    const render = async (values: Body, errors: FieldErrors, status: number, message?: string) =>
      reply.page('inventory/receive', { title: 'Receive stock', stores: await storeOptions(app.db, scope), values: withFormKey(values), errors, message }, { status });
    const f = parseWholeForm(NewReceiptForm, body);
    if (!f.ok) return render({ ...f.values, idempotencyKey: body.idempotencyKey }, f.errors, 422);
    assertStoreAccess(req.user, f.value.storeId);
    const product = (await findProductsBySku(app.db, [f.value.sku])).get(f.value.sku);
    if (!product) return render(body, { sku: 'No product has this SKU.' }, 422);
    try {
      const result = await postOnce<never>(app.db, req.user!.id, 'web:POST /inventory/receive', body, async (tx) => {
        const r = await receiveStock(tx, { storeId: f.value.storeId, productId: product.productId, quantity: f.value.quantity, reference: f.value.reference }, req.actor(), scope);
        return { ok: true, posted: { location: `/inventory?storeId=${r.row.storeId}&q=${encodeURIComponent(r.row.sku)}`, message: `Received ${f.value.quantity} of ${r.row.sku} at ${r.row.storeName}. On hand: ${r.row.onHand}.` } };
      });
      if (result.kind !== 'posted') return render({ ...body, idempotencyKey: undefined }, {}, 422, REUSED_MESSAGE);
      return reply.seeOther(result.posted.location, result.replayed ? alreadyRecorded(result.posted.message) : result.posted.message);
    } catch (err) {
      if (!refused(err)) throw err;
      return render(body, refusalErrors(err, 'quantity', ['storeId', 'quantity', 'reference']), err.statusCode);
    }
  });
}
