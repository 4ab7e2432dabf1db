import type { FastifyInstance } from 'fastify';

// Filled in by the stores API work; registered in api/index.ts.
export default async function storesApi(_app: FastifyInstance) {}
