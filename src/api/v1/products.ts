import type { FastifyInstance } from 'fastify';

// Filled in by the products API work; registered in api/index.ts.
export default async function productsApi(_app: FastifyInstance) {}
