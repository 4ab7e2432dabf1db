// Transfers of several products at once (/inventory/transfers/new) and the page of one transfer,
// both sides of it (/inventory/transfers/:transferId). The form has numbered lines (sku_N,
// quantity_N); "More lines" re-renders it with five more, so it works without JavaScript.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { storeScope } from '../../lib/access.ts';
import type { FieldErrors } from '../../lib/form.ts';
import { parseWholeForm } from './form.ts';
import { notFound, type HttpError } from '../../lib/errors.ts';
import { findProductsBySku, storeOptions } from './repository.ts';
import { transferMovements } from './movements.ts';
import { transferStock } from './service.ts';
import { MAX_MOVE, MAX_TRANSFER_LINES, TransferHeadForm } from './schema.ts';
import { refused } from './movement-routes.ts';
import { alreadyRecorded, postOnce, REUSED_MESSAGE, withFormKey } from './form-once.ts';

type Body = Record<string, unknown>;
interface Line { n: number; sku: string; quantity: number }

const STEP = 5;
const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '');

/** How many line inputs to show: what was posted (plus five on "More lines"), within bounds. */
function lineCount(body: Body): number {
  const posted = Number(body.lines);
  const n = Number.isInteger(posted) && posted > 0 ? posted : STEP;
  return Math.min(MAX_TRANSFER_LINES, body.more !== undefined ? n + STEP : n);
}

/** The filled-in lines with their errors; a line with neither SKU nor quantity is skipped. */
function readLines(body: Body, count: number): { lines: Line[]; errors: FieldErrors } {
  const lines: Line[] = [];
  const errors: FieldErrors = {};
  for (let n = 0; n < count; n++) {
    const sku = text(body[`sku_${n}`]);
    const qty = text(body[`quantity_${n}`]);
    if (!sku && !qty) continue;
    if (!sku) errors[`sku_${n}`] = 'Enter the SKU of the product.';
    const quantity = /^\d{1,7}$/.test(qty) ? Number(qty) : NaN;
    if (!(quantity >= 1 && quantity <= MAX_MOVE)) errors[`quantity_${n}`] = `Enter a whole number of units from 1 to ${MAX_MOVE.toLocaleString('en')}.`;
    lines.push({ n, sku, quantity });
  }
  if (!lines.length) errors.sku_0 = 'Add at least one product to transfer.';
  return { lines, errors };
}

/** A refusal of the service as errors next to what it names: the head fields, a line (items.N
 * from the service's checks) or a product (shortages). Its message is shown above the form
 * unless a field already says it. */
function transferErrors(err: HttpError, lines: Line[], lineOf: Map<number, number>): FieldErrors {
  const errors: FieldErrors = {};
  for (const e of (err.errors ?? []) as Array<Record<string, unknown>>) {
    const field = String(e.field ?? '');
    const item = /^items\.(\d+)\.(productId|quantity)$/.exec(field);
    const n = item ? lines[Number(item[1])]?.n : lineOf.get(Number(e.productId));
    if (['fromStoreId', 'toStoreId', 'reference'].includes(field)) errors[field] = String(e.message);
    else if (n === undefined) continue;
    else if (item) errors[`${item[2] === 'productId' ? 'sku' : 'quantity'}_${n}`] = String(e.message);
    else if (typeof e.available === 'number') errors[`quantity_${n}`] = `Only ${e.available} available at the source store.`;
  }
  return errors;
}

export default async function transferRoutes(app: FastifyInstance) {
  async function renderForm(req: FastifyRequest, reply: FastifyReply, values: Body, errors: FieldErrors, status = 200, message?: string) {
    const [from, to] = await Promise.all([storeOptions(app.db, storeScope(req.user)), storeOptions(app.db, 'all')]);
    return reply.page('inventory/transfer-new', {
      title: 'New transfer', fromStores: from, toStores: to, values: withFormKey(values), errors, message, lines: lineCount(values),
    }, { status });
  }

  app.get('/inventory/transfers/new', async function newTransfer(req: FastifyRequest<{ Querystring: Body }>, reply) {
    return renderForm(req, reply, { ...req.query, lines: STEP }, {});
  });

  app.post('/inventory/transfers/new', async function createTransfer(req: FastifyRequest<{ Body: Body }>, reply) {
    const body = req.body ?? {};
    if (body.more !== undefined) return renderForm(req, reply, body, {});
    const head = parseWholeForm(TransferHeadForm, body);
    const { lines, errors } = readLines(body, lineCount(body));
    if (!head.ok) Object.assign(errors, head.errors);
    const products = await findProductsBySku(app.db, lines.filter((l) => l.sku).map((l) => l.sku));
    const lineOf = new Map<number, number>();
    for (const line of lines) {
      const product = products.get(line.sku);
      if (line.sku && !product) errors[`sku_${line.n}`] = 'No product has this SKU.';
      else if (product && lineOf.has(product.productId)) errors[`sku_${line.n}`] = `This product is already on line ${lineOf.get(product.productId)! + 1}: put it on one line.`;
      else if (product) lineOf.set(product.productId, line.n);
    }
    if (!head.ok || Object.keys(errors).length) return renderForm(req, reply, body, errors, 422);
    const items = lines.map((l) => ({ productId: products.get(l.sku)!.productId, quantity: l.quantity }));
    try {
      const result = await postOnce<never>(app.db, req.user!.id, 'web:POST /inventory/transfers/new', body, async (tx) => {
        const t = await transferStock(tx, { ...head.value, items }, req.actor(), storeScope(req.user));
        const units = items.reduce((sum, i) => sum + i.quantity, 0);
        return { ok: true, posted: { location: `/inventory/transfers/${t.transferId}`, message: `Transferred ${units} units of ${items.length} product${items.length === 1 ? '' : 's'}.` } };
      });
      if (result.kind !== 'posted') return renderForm(req, reply, { ...body, idempotencyKey: undefined }, {}, 422, REUSED_MESSAGE);
      return reply.seeOther(result.posted.location, result.replayed ? alreadyRecorded(result.posted.message) : result.posted.message);
    } catch (err) {
      if (!refused(err)) throw err;
      const errors = transferErrors(err, lines, lineOf);
      // Said once: next to the field it names, or above the form when no field does.
      return renderForm(req, reply, body, errors, err.statusCode, Object.values(errors).includes(err.message) ? undefined : err.message);
    }
  });

  app.get('/inventory/transfers/:transferId', { schema: { params: Type.Object({ transferId: Type.String({ format: 'uuid' }) }) } },
    async function showTransfer(req: FastifyRequest<{ Params: { transferId: string } }>, reply) {
      const movements = await transferMovements(app.db, storeScope(req.user), req.params.transferId);
      const out = movements.filter((m) => m.kind === 'transfer_out');
      const into = movements.filter((m) => m.kind === 'transfer_in');
      if (!out.length || !into.length) throw notFound('The transfer');
      return reply.page('inventory/transfer', { title: 'Transfer', transferId: req.params.transferId, out, into, first: out[0] });
    });
}
