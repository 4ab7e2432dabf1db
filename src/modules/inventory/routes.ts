import type { FastifyInstance } from 'fastify';

// Filled in by the inventory module work (issue 3/4); registered in app.ts.
export default async function inventoryRoutes(_app: FastifyInstance) {}
