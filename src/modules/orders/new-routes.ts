// Placing an order from the back office: the form (customer, store, lines with availability),
// its htmx helpers (one more line, a line re-checked, datalist suggestions) and the POST, which
// places the order once per form: the hidden idempotency key makes a double submit land on the
// same order.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import type { CurrentUser } from '../../lib/access.ts';
import { canAccessStore } from '../../lib/access.ts';
import { forbidden, HttpError } from '../../lib/errors.ts';
import { checkIdempotencyKey, idempotent } from '../../lib/idempotency.ts';
import { StockShortError } from '../inventory/stock.ts';
import { lineProblems, placeOrder, type OrderLineInput } from './place.ts';
import { orderViewer } from './filters.ts';
import { storesFor } from './repository.ts';
import { retryWhenBusy } from './service.ts';
import {
  EMPTY_ROWS, checkLines, customerOptions, emptyLine, newKey, productOptions, readNewOrderForm, resolveCustomer,
  type LineValues, type NewOrderValues,
} from './new-form.ts';

export const WEB_PLACE_ROUTE = 'web:POST /orders';

type Store = { storeId: number; storeName: string };
type Body = { Body: Record<string, unknown> };

const LineQuery = Type.Object({
  key: Type.Optional(Type.String({ maxLength: 40 })),
  product: Type.Optional(Type.String({ maxLength: 200 })),
  quantity: Type.Optional(Type.String({ maxLength: 12 })),
  storeId: Type.Optional(Type.String({ maxLength: 12 })),
  customer: Type.Optional(Type.String({ maxLength: 254 })),
  customerId: Type.Optional(Type.String({ maxLength: 12 })),
  check: Type.Optional(Type.String({ maxLength: 1 })),
});
type LineQuery = { Querystring: { key?: string; product?: string; quantity?: string; storeId?: string; customer?: string; customerId?: string; check?: string } };

const storeIdOf = (text: string): number | undefined => (/^\d{1,10}$/.test(text) && Number(text) <= 2147483647 ? Number(text) : undefined);

function blankForm(stores: Store[], customer = ''): NewOrderValues {
  return {
    customer, storeId: stores.length === 1 ? String(stores[0]!.storeId) : '', idempotencyKey: newKey(),
    lines: Array.from({ length: EMPTY_ROWS }, (_, i) => emptyLine(String(i))), errors: {},
  };
}

/** The store field: one of the viewer's stores. Another store is refused outright (403). */
function chosenStore(user: CurrentUser, stores: Store[], values: NewOrderValues): Store | undefined {
  const id = storeIdOf(values.storeId);
  if (!values.storeId) { values.errors.storeId = 'Choose the store the order is placed at.'; return undefined; }
  if (id && !canAccessStore(user, id)) throw forbidden('You can only place orders at the stores you work at.');
  const store = stores.find((s) => s.storeId === id);
  if (!store) values.errors.storeId = 'Choose a store from the list.';
  return store;
}

const hasErrors = (v: NewOrderValues, lines: LineValues[]) =>
  Object.values(v.errors).some(Boolean) || lines.some((l) => l.errors.product || l.errors.quantity);

/** Places field errors of placeOrder (`items.3.quantity`, `customerId`) next to their inputs. */
function attachErrors(values: NewOrderValues, lines: LineValues[], errors: Array<Record<string, unknown>> = []) {
  for (const e of errors) {
    const field = String(e.field ?? '');
    const message = String(e.message ?? '');
    const m = /^items\.(\d+)\.(productId|quantity)$/.exec(field);
    const line = m ? lines[Number(m[1])] : undefined;
    if (line) line.errors[m![2] === 'productId' ? 'product' : 'quantity'] ??= message;
    else if (field === 'customerId') values.errors.customer ??= message;
    else if (field === 'storeId') values.errors.storeId ??= message;
    else values.errors.lines ??= message;
  }
}

export default async function newOrderRoutes(app: FastifyInstance) {
  function render(reply: FastifyReply, values: NewOrderValues, stores: Store[], opts: { status?: number; message?: string } = {}) {
    return reply.page('orders/new', { title: 'New order', values, stores, message: opts.message }, { fragment: 'orders/_new-form', status: opts.status });
  }

  app.get('/orders/new', { schema: { querystring: LineQuery } }, async function newOrderPage(req: FastifyRequest<LineQuery>, reply) {
    const stores = await storesFor(app.db, orderViewer(req.user!));
    const values = blankForm(stores, req.query.customerId ?? req.query.customer ?? '');
    if (req.query.storeId && stores.some((s) => String(s.storeId) === req.query.storeId)) values.storeId = req.query.storeId;
    return render(reply, values, stores);
  });

  app.post('/orders', async function createOrderPage(req: FastifyRequest<Body>, reply) {
    const user = req.user!;
    const body = req.body ?? {};
    const intent = body.intent === 'check' || body.intent === 'add' ? body.intent : 'place';
    const values = readNewOrderForm(body);
    const stores = await storesFor(app.db, orderViewer(user));
    const store = chosenStore(user, stores, values);
    const customer = (values.customer || intent === 'place') ? await resolveCustomer(app.db, values.customer) : undefined;
    if (typeof customer === 'string') values.errors.customer = customer;
    else values.customerMatch = customer;
    const lines = await checkLines(app.db, values, store?.storeId);
    const items: OrderLineInput[] = lines.map((l) => ({ productId: l.match?.productId ?? 0, quantity: Number(l.quantity) }));
    attachErrors(values, lines, lines.length ? lineProblems(items) as unknown as Array<Record<string, unknown>> : [{ field: 'items', message: 'Add at least one product.' }]);

    if (intent !== 'place') {
      // Checking availability or adding a row: show what is known, without nagging about the
      // fields not filled in yet.
      if (!values.customer) delete values.errors.customer;
      if (!lines.length) delete values.errors.lines;
      for (const l of lines) if (l.available !== undefined && l.match && Number(l.quantity) > l.available) l.errors.quantity ??= `Only ${l.available} available at ${store!.storeName}.`;
      if (intent === 'add' || !values.lines.length) values.lines.push(emptyLine(newKey().slice(0, 8)));
      return render(reply, values, stores, { status: hasErrors(values, lines) ? 422 : 200 });
    }
    if (hasErrors(values, lines)) {
      return render(reply, values, stores, { status: 422, message: 'The order was not placed: correct the fields marked below.' });
    }

    const input = { customerId: values.customerMatch!.customerId, storeId: store!.storeId, items };
    try {
      const key = checkIdempotencyKey(values.idempotencyKey);
      const answer = await retryWhenBusy(() => idempotent(app.db, { userId: user.id, key, route: WEB_PLACE_ROUTE, request: input }, async (tx) => {
        const placed = await placeOrder(tx, input, user, req.actor());
        return { statusCode: 201, body: { orderId: placed.orderId } };
      }));
      const { orderId } = answer.body as { orderId: number };
      return reply.seeOther(`/orders/${orderId}`, answer.replayed ? `This form had already placed order #${orderId}; here it is.` : `Order #${orderId} placed.`);
    } catch (err) {
      if (err instanceof StockShortError) {
        for (const s of err.shortages) {
          const line = lines.find((l) => l.match?.productId === s.productId);
          if (line) { line.available = s.available; line.errors.quantity = `Only ${s.available} available at ${s.storeName} (you asked for ${s.requested}).`; }
        }
        return render(reply, values, stores, { status: 409, message: `The order was not placed. ${err.message}` });
      }
      if (err instanceof HttpError && (err.statusCode === 422 || err.statusCode === 400)) {
        if (err.errors?.some((e) => (e as { field?: string }).field === 'Idempotency-Key')) {
          // The same form was used before for other lines: a fresh key lets a deliberate
          // second order through, with a warning.
          values.idempotencyKey = newKey();
          return render(reply, values, stores, { status: 422, message: 'This form was already used to place an order with different lines. Check the orders list; submitting again places a new order.' });
        }
        attachErrors(values, lines, err.errors as Array<Record<string, unknown>>);
        return render(reply, values, stores, { status: 422, message: `The order was not placed: ${err.message}` });
      }
      throw err;
    }
  });

  app.get('/orders/new/line', { schema: { querystring: LineQuery } }, async function orderLineFragment(req: FastifyRequest<LineQuery>, reply) {
    const { product = '', quantity = '', storeId = '' } = req.query;
    const key = /^[\w-]{1,40}$/.test(req.query.key ?? '') ? req.query.key! : newKey().slice(0, 8);
    const line: LineValues = { key, product: product.trim(), quantity: quantity.trim(), errors: {} };
    const id = storeIdOf(storeId);
    const store = id && canAccessStore(req.user, id) ? (await storesFor(app.db, orderViewer(req.user!))).find((s) => s.storeId === id) : undefined;
    if (line.product || line.quantity) {
      await checkLines(app.db, { customer: '', storeId, idempotencyKey: '', lines: [line], errors: {} }, store?.storeId);
      if (!line.product) delete line.errors.product;
      if (!line.quantity) delete line.errors.quantity;
      else if (!/^\d+$/.test(line.quantity) || Number(line.quantity) < 1) line.errors.quantity = 'Enter a whole number of 1 or more.';
      else if (line.available !== undefined && Number(line.quantity) > line.available) line.errors.quantity = `Only ${line.available} available at ${store!.storeName}.`;
    }
    // A re-check answers with the line's notes only (swapped out of band); "Add line" a new row.
    return reply.page(req.query.check ? 'orders/_line-notes' : 'orders/_line', { line, storeName: store?.storeName });
  });

  app.get('/orders/new/customers', { schema: { querystring: LineQuery } }, async function customerSuggestions(req: FastifyRequest<LineQuery>, reply) {
    const options = await customerOptions(app.db, req.query.customer ?? '');
    return reply.page('orders/_customer-options', { options });
  });

  app.get('/orders/new/products', { schema: { querystring: LineQuery } }, async function productSuggestions(req: FastifyRequest<LineQuery>, reply) {
    const id = storeIdOf(req.query.storeId ?? '');
    const options = await productOptions(app.db, req.query.product ?? '', id && canAccessStore(req.user, id) ? id : undefined);
    return reply.page('orders/_product-options', { options });
  });
}

