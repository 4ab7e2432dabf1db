// API authentication: POST /auth/login trades email and password for a bearer token (random,
// stored as a hash, expiring); every other route needs `Authorization: Bearer <token>`.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import Type from 'typebox';
import { eq, sql } from 'drizzle-orm';
import { apiTokens } from '../db/schema/index.ts';
import { hashToken } from '../lib/tokens.ts';
import { unauthorized } from '../lib/errors.ts';
import { loadUserByToken } from '../modules/auth/repository.ts';
import { authenticate, BAD_CREDENTIALS, issueApiToken } from '../modules/auth/service.ts';
import { ApiUser, errorResponses } from './schemas.ts';

declare module 'fastify' {
  interface FastifyRequest { apiTokenHash?: string }
  interface FastifyContextConfig { public?: boolean }
}

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return undefined;
  const m = /^Bearer\s+([A-Za-z0-9_-]{20,200})$/.exec(h.trim());
  return m?.[1];
}

/** Resolves the bearer token to the user on every API request (routes marked public skip it).
 * onRequest, before the body is read and the query validated: a call without a valid token is a
 * 401 whatever it sends (SPEC), not a 400 that describes the route's schema to a stranger. */
export const bearerAuth = fp(async function bearerAuth(app: FastifyInstance) {
  app.addHook('onRequest', async (req) => {
    if (req.routeOptions.config?.public) return;
    const token = bearer(req);
    if (!token) throw unauthorized('Send a bearer token: Authorization: Bearer <token> (POST /api/v1/auth/login issues one).');
    const tokenHash = hashToken(token);
    const found = await loadUserByToken(app.db, tokenHash);
    if (!found) throw unauthorized('The bearer token is not valid or has expired.');
    req.user = found.user;
    req.apiTokenHash = tokenHash;
  });
});

export default async function apiAuthRoutes(app: FastifyInstance) {
  app.post('/auth/login', {
    config: { public: true },
    schema: {
      tags: ['auth'], summary: 'Exchange email and password for a bearer token',
      security: [],
      body: Type.Object({ email: Type.String({ minLength: 1, maxLength: 254 }), password: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
      response: {
        200: Type.Object({ token: Type.String(), expiresAt: Type.String({ format: 'date-time' }), user: Type.Object({ id: Type.Integer(), email: Type.String(), role: Type.String() }) }),
        ...errorResponses(400, 401, 429),
      },
    },
  }, async function apiLogin(req: FastifyRequest<{ Body: { email: string; password: string } }>, reply) {
    const { email, password } = req.body;
    const result = await authenticate(app.db, app.config, email, password, req.actor());
    if (!result.ok) throw unauthorized(BAD_CREDENTIALS);
    const { token, expiresAt } = await issueApiToken(app.db, app.config, result.user.userId);
    return reply.send({ token, expiresAt: expiresAt.toISOString(), user: { id: result.user.userId, email: result.user.email, role: result.user.role } });
  });

  app.post('/auth/logout', {
    schema: { tags: ['auth'], summary: 'Revoke the bearer token of this request', response: { 204: Type.Null(), ...errorResponses(401) } },
  }, async function apiLogout(req, reply) {
    await app.db.update(apiTokens).set({ revokedAt: sql`now()` }).where(eq(apiTokens.tokenHash, req.apiTokenHash!));
    return reply.code(204).send();
  });

  app.get('/me', {
    schema: { tags: ['auth'], summary: 'The signed-in user', response: { 200: ApiUser, ...errorResponses(401) } },
  }, async function me(req) {
    return req.user!;
  });
}
