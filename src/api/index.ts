// The JSON API: OpenAPI document and browsable docs under /api, versioned routes under /api/v1.
// It authenticates with bearer tokens only (no cookies), so CSRF does not apply here.
import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { ErrorBody, emptyOrJson } from './schemas.ts';
import { completeDocument, nameOperation } from './openapi.ts';
import apiAuthRoutes, { bearerAuth } from './auth.ts';
import { checkStoreFilter } from '../plugins/guards.ts';
import customersApi from './v1/customers.ts';
import productsApi from './v1/products.ts';
import storesApi from './v1/stores.ts';
import usersApi from './v1/users.ts';
import inventoryApi from './v1/inventory.ts';
import reportsApi from './v1/reports.ts';
import shipmentsApi from './v1/shipments.ts';
import ordersApi from './v1/orders.ts';

export default async function apiPlugin(app: FastifyInstance) {
  app.addSchema(ErrorBody);
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Order Inventory API', version: '1.0.0', description: 'Integration API for sales channels. Errors are `{status, message, errors?}`. Lists take `limit` (1-200) and `cursor` and answer `{items, nextCursor}`.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: nameOperation,
    transformObject: completeDocument,
    refResolver: { buildLocalReference: (json, _base, _frag, i) => String(json.$id ?? `def-${i}`) },
  });
  // indexPrefix: this plugin sits under /api, which the UI's absolute asset links must include.
  await app.register(swaggerUi, { routePrefix: '/docs', indexPrefix: '/api', staticCSP: true });
  app.get('/openapi.json', { schema: { hide: true } }, async function openapi() {
    return app.swagger();
  });

  await app.register(async function v1(api) {
    // The API speaks JSON only: anything else is 415, not a string the schema then refuses (the
    // app-wide form parser would otherwise turn a form post into a record).
    api.removeAllContentTypeParsers();
    api.addContentTypeParser('application/json', { parseAs: 'string' }, emptyOrJson(api.getDefaultJsonParser('error', 'error')));
    // Answers carry customer data: no cache keeps them (CSV exports set their own, the same).
    api.addHook('onSend', async function noStore(_req, reply) {
      if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    });
    await api.register(bearerAuth);
    api.addHook('preHandler', checkStoreFilter(app.db));
    await api.register(apiAuthRoutes);
    await api.register(customersApi, { prefix: '/customers' });
    await api.register(productsApi, { prefix: '/products' });
    await api.register(storesApi, { prefix: '/stores' });
    await api.register(usersApi, { prefix: '/users' });
    await api.register(inventoryApi, { prefix: '/inventory' });
    await api.register(reportsApi, { prefix: '/reports' });
    await api.register(shipmentsApi, { prefix: '/shipments' });
    await api.register(ordersApi, { prefix: '/orders' });
  }, { prefix: '/v1' });
}
