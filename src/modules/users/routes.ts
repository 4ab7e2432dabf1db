import type { FastifyInstance } from 'fastify';

// Filled in by the users module work (issue 3/4); registered in app.ts.
export default async function usersRoutes(_app: FastifyInstance) {}
