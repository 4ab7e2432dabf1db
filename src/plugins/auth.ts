// Loads the signed-in user from the session on every request and re-checks the account each
// time, so deactivating a user or changing a password ends their sessions at once.
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { loadCurrentUser } from '../modules/auth/repository.ts';
import type { Actor } from '../lib/audit.ts';
import { isApiRequest } from './security.ts';

export function actorOf(req: FastifyRequest): Actor {
  return { userId: req.user?.id ?? null, email: req.user?.email ?? null, requestId: req.id, ip: req.ip };
}

export default fp(async function authPlugin(app: FastifyInstance) {
  app.decorateRequest('user', null);
  app.decorateRequest('actor', function actor(this: FastifyRequest) { return actorOf(this); });

  app.addHook('preHandler', async (req) => {
    // The API authenticates by bearer token only (api/auth.ts, which runs first): a browser
    // session must neither stand in for the token nor replace its user.
    if (isApiRequest(req)) return;
    const session = req.session;
    if (!session?.userId) return;
    // Read with the session itself (one round trip) unless a concurrent request took it.
    const pre = app.sessionStore.takeUser(session.sessionId, session.userId);
    const found = pre !== undefined ? pre : await loadCurrentUser(app.db, session.userId);
    if (!found || (session.authAt ?? 0) < found.passwordChangedAt.getTime() - 1000) {
      // Deactivated, deleted, or the password changed since this session signed in.
      delete session.userId;
      delete session.authAt;
      return;
    }
    req.user = found.user;
  });
}, { name: 'auth', dependencies: ['session'] });
