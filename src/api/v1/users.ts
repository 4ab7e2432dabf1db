import type { FastifyInstance } from 'fastify';

// Filled in by the users API work; registered in api/index.ts.
export default async function usersApi(_app: FastifyInstance) {}
