import type { FastifyInstance } from 'fastify';
import { storeScope } from '../../lib/access.ts';
import { dashboardCounts } from './repository.ts';

export default async function dashboardRoutes(app: FastifyInstance) {
  app.get('/dashboard', async function showDashboard(req, reply) {
    const scope = storeScope(req.user);
    const counts = await dashboardCounts(app.db, scope === 'all' ? null : scope);
    return reply.page('dashboard/index', { title: 'Dashboard', counts });
  });
}
