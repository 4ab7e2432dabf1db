import type { FastifyInstance } from 'fastify';

// Filled in by the customers API work; registered in api/index.ts.
export default async function customersApi(_app: FastifyInstance) {}
