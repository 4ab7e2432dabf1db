// Back-office products: list (list-page.ts), create, edit with optimistic locking, detail with
// stock per store, deactivate / reactivate and delete. Staff and admins both manage the
// catalogue; stock figures are limited to a staff member's stores in the SQL.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { notFound } from '../../lib/errors.ts';
import { parseForm, type FieldErrors, type FormResult } from '../../lib/form.ts';
import { VersionConflict } from '../../lib/versioned.ts';
import { findProduct, stockByStore, stockScope, type ProductRecord } from './repository.ts';
import { createProduct, deleteProduct, ProductInUseError, setProductActive, SkuTakenError, updateProduct } from './service.ts';
import { ProductForm, type ProductInput } from './schema.ts';
import productListPage from './list-page.ts';

type IdRequest = FastifyRequest<{ Params: { id: string } }>;

function productId(req: IdRequest): number {
  const id = Number(req.params.id);
  if (!/^\d{1,10}$/.test(req.params.id) || id < 1 || id > 2147483647) throw notFound('The product');
  return id;
}

const toInput = (v: ProductForm): ProductInput => ({
  sku: v.sku, productName: v.productName, unitPrice: v.unitPrice,
  brand: v.brand ?? null, colour: v.colour ?? null, size: v.size ?? null, rating: v.rating ?? null,
});

/** A stored product as form values (strings, as the inputs show them). */
const toValues = (p: ProductRecord): Record<string, unknown> => ({
  sku: p.sku, productName: p.productName, unitPrice: p.unitPrice, brand: p.brand ?? '', colour: p.colour ?? '',
  size: p.size ?? '', rating: p.rating ?? '', active: p.active, version: p.version,
});

/** parseForm converts "2.5" to 2 for integer fields (TypeBox's Convert truncates), so whole
 * numbers are checked on the raw text first: a rating of 2.5 is an error, not a 2. */
function parseProductForm(body: unknown): FormResult<ProductForm> {
  const form = parseForm(ProductForm, body);
  const raw = (body ?? {}) as Record<string, unknown>;
  const errors: FieldErrors = form.ok ? {} : { ...form.errors };
  if (typeof raw.rating === 'string' && raw.rating.trim() !== '' && !/^\d+$/.test(raw.rating.trim())) errors.rating = 'Choose a rating from 1 to 5.';
  if (typeof raw.version === 'string' && raw.version.trim() !== '' && !/^\d+$/.test(raw.version.trim())) errors.version = 'The form is out of date: reload it.';
  if (form.ok && !Object.keys(errors).length) return form;
  const { _csrf, ...values } = raw;
  return { ok: false, values: form.ok ? values : form.values, errors };
}

interface FormPage { values: Record<string, unknown>; errors?: FieldErrors; product?: ProductRecord; message?: string; attempted?: Record<string, unknown> }

async function renderForm(reply: FastifyReply, page: FormPage, status = 200) {
  const template = page.product ? 'products/edit' : 'products/new';
  const title = page.product ? `Edit ${page.product.sku}` : 'New product';
  return reply.page(template, { title, errors: {}, ...page }, { fragment: 'products/_form', status });
}

export default async function productsRoutes(app: FastifyInstance) {
  await app.register(productListPage);

  app.get('/products/new', async function newProductPage(_req, reply) {
    return renderForm(reply, { values: { active: true } });
  });

  app.post('/products', async function createProductAction(req, reply) {
    const form = parseProductForm(req.body);
    if (!form.ok) return renderForm(reply, { values: form.values, errors: form.errors }, 422);
    try {
      const active = form.value.active === 'on' || form.value.active === 'true';
      const product = await createProduct(app.db, { ...toInput(form.value), active }, req.actor());
      return reply.seeOther(`/products/${product.productId}`, `Product ${product.sku} created.`);
    } catch (err) {
      if (!(err instanceof SkuTakenError)) throw err;
      return renderForm(reply, { values: form.value, errors: { sku: err.message } }, 422);
    }
  });

  app.get('/products/:id', async function showProductPage(req: IdRequest, reply) {
    return renderShow(app, req, reply, productId(req));
  });

  app.get('/products/:id/edit', async function editProductPage(req: IdRequest, reply) {
    const id = productId(req);
    const product = await findProduct(app.db, id, 'all');
    if (!product) throw notFound(`Product #${id}`);
    return renderForm(reply, { product, values: toValues(product) });
  });

  app.post('/products/:id', async function updateProductAction(req: IdRequest, reply) {
    const id = productId(req);
    const product = await findProduct(app.db, id, 'all');
    if (!product) throw notFound(`Product #${id}`);
    const form = parseProductForm(req.body);
    if (!form.ok) return renderForm(reply, { product, values: { ...form.values, version: form.values.version ?? product.version }, errors: form.errors }, 422);
    if (form.value.version === undefined) {
      return renderForm(reply, { product, values: form.value, errors: { version: 'The form is out of date: reload it.' } }, 422);
    }
    try {
      const saved = await updateProduct(app.db, id, form.value.version, toInput(form.value), req.actor());
      return reply.seeOther(`/products/${id}`, `Product ${saved.sku} saved.`);
    } catch (err) {
      if (err instanceof SkuTakenError) return renderForm(reply, { product, values: form.value, errors: { sku: err.message } }, 422);
      if (!(err instanceof VersionConflict)) throw err;
      // Show what is stored now (and will be overwritten by saving again), with the user's
      // attempt beside it.
      const current = err.current as ProductRecord;
      return renderForm(reply, { product: current, values: toValues(current), attempted: form.value, message: err.message }, 409);
    }
  });

  app.post('/products/:id/deactivate', async function deactivateProduct(req: IdRequest, reply) {
    const product = await setProductActive(app.db, productId(req), false, req.actor());
    return reply.seeOther(`/products/${product.productId}`, `Product ${product.sku} deactivated: it is hidden from the shop and cannot be ordered.`);
  });

  app.post('/products/:id/reactivate', async function reactivateProduct(req: IdRequest, reply) {
    const product = await setProductActive(app.db, productId(req), true, req.actor());
    return reply.seeOther(`/products/${product.productId}`, `Product ${product.sku} reactivated: it is back in the shop.`);
  });

  app.post('/products/:id/delete', async function deleteProductAction(req: IdRequest, reply) {
    const id = productId(req);
    try {
      const product = await deleteProduct(app.db, id, req.actor());
      return reply.seeOther('/products', `Product ${product.sku} deleted.`);
    } catch (err) {
      if (!(err instanceof ProductInUseError)) throw err;
      return renderShow(app, req, reply, id, { message: err.message, status: 409 });
    }
  });
}

async function renderShow(app: FastifyInstance, req: FastifyRequest, reply: FastifyReply, id: number, opts: { message?: string; status?: number } = {}) {
  const scope = stockScope(req.user);
  const [product, stock] = await Promise.all([findProduct(app.db, id, scope), stockByStore(app.db, id, scope)]);
  if (!product) throw notFound(`Product #${id}`);
  return reply.page('products/show', {
    title: `${product.productName} (${product.sku})`, product, stock, message: opts.message,
    staffScope: req.user?.role === 'staff', isAdmin: req.user?.role === 'admin',
  }, { status: opts.status });
}
