import type { FastifyInstance } from 'fastify';
import { requireSignedIn } from '../../plugins/guards.ts';

export default async function homeRoutes(app: FastifyInstance) {
  app.get('/', async function landing(_req, reply) {
    return reply.page('home/index', { title: 'Order Inventory' });
  });

  app.get('/account', { preHandler: requireSignedIn }, async function account(_req, reply) {
    return reply.page('home/account', { title: 'Your account' });
  });
}
