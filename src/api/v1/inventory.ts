import type { FastifyInstance } from 'fastify';

// Filled in by the inventory API work; registered in api/index.ts.
export default async function inventoryApi(_app: FastifyInstance) {}
