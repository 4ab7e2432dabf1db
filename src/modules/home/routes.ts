import type { FastifyInstance } from 'fastify';

export default async function homeRoutes(app: FastifyInstance) {
  app.get('/', async function landing(_req, reply) {
    return reply.page('home/index', { title: 'Order Inventory' });
  });
}
