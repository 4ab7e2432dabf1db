import type { FastifyInstance } from 'fastify';

// Filled in by the imports module work (issue 3); registered in app.ts.
export default async function importsRoutes(_app: FastifyInstance) {}
