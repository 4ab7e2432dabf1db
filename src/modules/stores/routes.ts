import type { FastifyInstance } from 'fastify';

// Filled in by the stores module work (issue 3/4); registered in app.ts.
export default async function storesRoutes(_app: FastifyInstance) {}
