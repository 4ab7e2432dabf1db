// /api/v1/products: the catalogue for sales channels. Every signed-in role reads (customers only
// active products, and per store only availability); admins and staff write. Same repository,
// service and rules as the back office.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import { ListOf, IdParam, errorResponses } from '../schemas.ts';
import { assertRole } from '../../lib/access.ts';
import { badRequest, notFound } from '../../lib/errors.ts';
import { sendCsv, wantsCsv } from '../../lib/csv.ts';
import { VersionConflict } from '../../lib/versioned.ts';
import {
  brandCounts, findProduct, listProducts, stockByStore, stockScope, type ProductRow,
} from '../../modules/products/repository.ts';
import { createProduct, deleteProduct, updateProduct } from '../../modules/products/service.ts';
import { PRODUCT_CSV_COLUMNS, sendProductsCsv } from '../../modules/products/export.ts';
import { priceRangeError, type ProductInput } from '../../modules/products/schema.ts';
import {
  ApiBrandList, ApiProduct, ApiProductBody, ApiProductConflict, ApiProductDetail, ApiProductQuery, ApiProductUpdate,
} from '../../modules/products/api-schemas.ts';

type Query = Static<typeof ApiProductQuery>;
type Body = Static<typeof ApiProductBody>;
type Update = Static<typeof ApiProductUpdate>;
type IdReq = FastifyRequest<{ Params: { id: number } }>;

const tags = ['products'];
const isCustomer = (req: FastifyRequest) => req.user?.role === 'customer';

function assertWriter(req: FastifyRequest) {
  assertRole(req.user, 'admin', 'staff');
}

/** Trims text and turns empty optional text into null. */
const text = (v: string | null | undefined) => (v == null || v.trim() === '' ? null : v.trim());

const toInput = (b: Body): ProductInput => ({
  sku: b.sku, productName: b.productName.trim(), unitPrice: b.unitPrice,
  brand: text(b.brand), colour: text(b.colour), size: text(b.size), rating: b.rating ?? null, active: b.active,
});

/** The product as this caller may see it; customers never see an inactive one. */
async function visibleProduct(req: FastifyRequest, id: number): Promise<ProductRow> {
  const product = await findProduct(req.server.db, id, stockScope(req.user));
  if (!product || (isCustomer(req) && !product.active)) throw notFound(`Product #${id}`);
  return product;
}

export default async function productsApi(app: FastifyInstance) {
  app.get('/', {
    schema: {
      tags, summary: 'List products (filter, sort, keyset pages; ?format=csv for CSV)',
      querystring: ApiProductQuery,
      response: { 200: ListOf(ApiProduct, 'ProductList'), ...errorResponses(400, 401) },
    },
  }, async function listProductsApi(req: FastifyRequest<{ Querystring: Query }>, reply: FastifyReply) {
    const query = { ...req.query };
    const rangeError = priceRangeError(query);
    if (rangeError) throw badRequest(rangeError, [{ field: 'maxPrice', message: rangeError }]);
    const csv = wantsCsv(query, req.headers.accept);
    if (isCustomer(req)) {
      // The catalogue shows customers active products only; asking for inactive ones finds none.
      if (query.active === 'false') return csv ? sendCsv(reply, 'products.csv', PRODUCT_CSV_COLUMNS, (async function* none() {})()) : { items: [], nextCursor: null };
      query.active = 'true';
    }
    if (csv) return sendProductsCsv(reply, app.db, stockScope(req.user), query);
    const page = await listProducts(app.db, stockScope(req.user), query);
    return { items: page.items, nextCursor: page.nextCursor };
  });

  app.get('/brands', {
    schema: {
      tags, summary: 'Distinct brands with their number of products (customers: active products)',
      querystring: { type: 'object', properties: { format: ApiProductQuery.properties.format } },
      response: { 200: ApiBrandList, ...errorResponses(401) },
    },
  }, async function listBrandsApi(req: FastifyRequest<{ Querystring: { format?: 'json' | 'csv' } }>, reply) {
    const items = await brandCounts(app.db, isCustomer(req));
    if (wantsCsv(req.query, req.headers.accept)) {
      return sendCsv(reply, 'brands.csv', [{ header: 'brand', value: (r) => r.brand }, { header: 'productCount', value: (r) => r.productCount }],
        (async function* rows() { yield* items; })());
    }
    return { items, nextCursor: null };
  });

  app.post('/', {
    schema: {
      tags, summary: 'Create a product (admin, staff)',
      body: ApiProductBody,
      response: { 201: ApiProduct, 409: ApiProductConflict, ...errorResponses(400, 401, 403) },
    },
  }, async function createProductApi(req: FastifyRequest<{ Body: Body }>, reply) {
    assertWriter(req);
    const created = await createProduct(app.db, toInput(req.body), req.actor());
    const product = await visibleProduct(req, created.productId);
    return reply.code(201).header('location', `/api/v1/products/${product.productId}`).send(product);
  });

  app.get('/:id', {
    schema: {
      tags, summary: 'A product with its stock per store (staff: their stores; customers: availability only)',
      params: IdParam,
      response: { 200: ApiProductDetail, ...errorResponses(400, 401, 404) },
    },
  }, async function getProductApi(req: IdReq) {
    const product = await visibleProduct(req, req.params.id);
    const stock = await stockByStore(app.db, product.productId, stockScope(req.user));
    return {
      ...product,
      stock: isCustomer(req) ? stock.map((s) => ({ storeId: s.storeId, storeName: s.storeName, available: s.available })) : stock,
    };
  });

  app.put('/:id', {
    schema: {
      tags, summary: 'Replace a product (admin, staff); send the version you read',
      description: 'Omitted or null brand, colour, size and rating are cleared; an omitted `active` is left as it is. A stale `version` answers 409 with `current`, the product as stored now.',
      params: IdParam, body: ApiProductUpdate,
      response: { 200: ApiProduct, 409: ApiProductConflict, ...errorResponses(400, 401, 403, 404) },
    },
  }, async function updateProductApi(req: FastifyRequest<{ Params: { id: number }; Body: Update }>, reply) {
    assertWriter(req);
    const { version, ...body } = req.body;
    try {
      await updateProduct(app.db, req.params.id, version, toInput(body), req.actor());
    } catch (err) {
      if (!(err instanceof VersionConflict)) throw err;
      const current = await visibleProduct(req, req.params.id);
      return reply.code(409).send({ status: 409, message: err.message, current });
    }
    return visibleProduct(req, req.params.id);
  });

  app.delete('/:id', {
    schema: {
      tags, summary: 'Delete a product nothing refers to (admin, staff); otherwise 409: deactivate it instead',
      params: IdParam,
      response: { 204: { type: 'null' }, ...errorResponses(400, 401, 403, 404, 409) },
    },
  }, async function deleteProductApi(req: IdReq, reply) {
    assertWriter(req);
    await deleteProduct(app.db, req.params.id, req.actor());
    return reply.code(204).send();
  });
}
