import type { FastifyInstance } from 'fastify';

// Filled in by the customers module work (issue 3/4); registered in app.ts.
export default async function customersRoutes(_app: FastifyInstance) {}
