// Role checks as preHandlers. The back office is one encapsulated context that requires staff
// or admin; admin-only routes add requireAdmin. Anonymous page requests are sent to the login
// form (with a way back); everything else gets 401/403 with a message.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { forbidden, unauthorized } from '../lib/errors.ts';
import type { Role } from '../db/schema/index.ts';

function loginRedirect(req: FastifyRequest, reply: FastifyReply) {
  const next = encodeURIComponent(req.url);
  if (req.headers['hx-request'] === 'true') {
    reply.header('hx-redirect', `/login?next=${next}`);
    return reply.code(401).send();
  }
  return reply.code(303).redirect(`/login?next=${next}`);
}

export function requireRole(...roles: Role[]) {
  return async function checkRole(req: FastifyRequest, reply: FastifyReply) {
    if (!req.user) {
      if (req.method === 'GET') return loginRedirect(req, reply);
      throw unauthorized();
    }
    if (!roles.includes(req.user.role)) {
      throw forbidden(req.user.role === 'customer'
        ? 'The back office is for store staff. Your orders are in your account.'
        : roles.includes('customer')
          ? 'This page is for customer accounts. Staff find orders in the back office.'
          : 'Only administrators can open this page.');
    }
  };
}

export const requireSignedIn = requireRole('admin', 'staff', 'customer');
export const requireBackOffice = requireRole('admin', 'staff');
export const requireAdmin = requireRole('admin');

/** A same-site path to return to after login; anything else falls back to the default. */
export function safeNext(next: unknown, fallback: string): string {
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return fallback;
  return next;
}
