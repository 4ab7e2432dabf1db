// /health for load balancers: 200 when the database answers and every migration is applied,
// 503 otherwise.
import type { FastifyInstance } from 'fastify';
import { migrationsCurrent } from '../../db/migrate.ts';

export default async function healthRoutes(app: FastifyInstance) {
  app.get('/health', async function health(_req, reply) {
    try {
      const current = await migrationsCurrent(app.database);
      if (!current) return reply.code(503).send({ status: 'degraded', database: 'up', migrations: 'pending' });
      return { status: 'ok', database: 'up', migrations: 'current' };
    } catch {
      return reply.code(503).send({ status: 'unavailable', database: 'down' });
    }
  });
}
