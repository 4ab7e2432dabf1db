// The JSON API: OpenAPI document and browsable docs under /api, versioned routes under /api/v1.
// It authenticates with bearer tokens only (no cookies), so CSRF does not apply here.
import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { ErrorBody } from './schemas.ts';
import apiAuthRoutes, { bearerAuth } from './auth.ts';

export default async function apiPlugin(app: FastifyInstance) {
  app.addSchema(ErrorBody);
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Order Inventory API', version: '1.0.0', description: 'Integration API for sales channels. Errors are `{status, message, errors?}`. Lists take `limit` (1-200) and `cursor` and answer `{items, nextCursor}`.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    refResolver: { buildLocalReference: (json, _base, _frag, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  app.get('/openapi.json', { schema: { hide: true } }, async function openapi() {
    return app.swagger();
  });

  await app.register(async function v1(api) {
    // The API speaks JSON only: anything else is 415, not a string the schema then refuses.
    api.removeContentTypeParser(['text/plain']);
    await api.register(bearerAuth);
    await api.register(apiAuthRoutes);
  }, { prefix: '/v1' });
}
