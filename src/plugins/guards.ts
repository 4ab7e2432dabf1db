// Role checks as preHandlers. The back office is one encapsulated context that requires staff
// or admin; admin-only routes add requireAdmin. Anonymous page requests are sent to the login
// form (with a way back); everything else gets 401/403 with a message.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { forbidden, notFound, unauthorized } from '../lib/errors.ts';
import { canAccessStore } from '../lib/access.ts';
import type { Role } from '../db/schema/index.ts';
import type { Db } from '../db/client.ts';
import { findStore } from '../modules/stores/repository.ts';

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

// Any control or format character (C0, C1, DEL, bidi and zero-width marks, U+2028…), any space
// or separator (tab, NBSP, U+3000…) and backslashes: browsers drop or reinterpret these when they
// read a Location (`/<TAB>/evil.example` is `//evil.example`), and Node refuses some in a header.
const UNSAFE_IN_NEXT = /[\p{C}\p{Z}\s\\]/u;
// A throwaway origin to resolve against: only a result on this same origin is a path of ours.
const SELF = 'http://self.invalid';

/** A same-site path to return to after login; anything else falls back to the default. The value
 * is resolved the way a browser would read it and only a path of this origin is kept, in its
 * normalised, percent-encoded form (printable ASCII, so always a valid header). */
export function safeNext(next: unknown, fallback: string): string {
  if (typeof next !== 'string' || !next.startsWith('/') || UNSAFE_IN_NEXT.test(next)) return fallback;
  let url: URL;
  try {
    url = new URL(next, SELF);
  } catch {
    return fallback;
  }
  const path = url.pathname + url.search + url.hash;
  // Dot segments can turn a path into `//host` once normalised (`/.//evil.example`).
  if (url.origin !== SELF || !path.startsWith('/') || path.startsWith('//')) return fallback;
  return path;
}

const STORE_FILTERS = ['storeId', 'fromStoreId', 'toStoreId'];

/**
 * preHandler for reads: a store in the query (a list's, a report's or a page's filter) must be
 * one the viewer works at (403, the same answer as for any other store's record) and one that
 * exists (404 naming it). Without this, some lists answered another store's filter with an
 * empty list, which a client takes for "nothing there". Malformed values are left to each
 * route's own validation; customers choose any store in the shop.
 */
export function checkStoreFilter(db: Db) {
  return async function storeFilter(req: FastifyRequest) {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !req.user || req.user.role === 'customer') return;
    const query = (req.query ?? {}) as Record<string, unknown>;
    for (const key of STORE_FILTERS) {
      if (!Object.hasOwn(query, key)) continue;
      const raw = query[key];
      const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
      if (!/^\d{1,10}$/.test(text) || Number(text) < 1 || Number(text) > 2147483647) continue;
      const storeId = Number(text);
      if (!canAccessStore(req.user, storeId)) throw forbidden(`Store #${storeId} is not one of the stores you work at.`);
      if (!await findStore(db, storeId)) throw notFound(`Store #${storeId}`);
    }
  };
}
