import type { FastifyInstance } from 'fastify';

// Filled in by the reports API work; registered in api/index.ts.
export default async function reportsApi(_app: FastifyInstance) {}
