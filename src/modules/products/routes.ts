import type { FastifyInstance } from 'fastify';

// Filled in by the products module work (issue 3/4); registered in app.ts.
export default async function productsRoutes(_app: FastifyInstance) {}
