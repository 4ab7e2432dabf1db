import type { FastifyInstance } from 'fastify';

// Filled in by the audit module work (issue 3); registered in app.ts.
export default async function auditRoutes(_app: FastifyInstance) {}
