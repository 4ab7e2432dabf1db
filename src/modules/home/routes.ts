import type { FastifyInstance, FastifyRequest } from 'fastify';

/** The reference system's addresses and the pages that replace them. 301 rather than 308: these
 * are pages reached by GET (bookmarks, old links), where both mean the same, and 301 is the one
 * every client and crawler knows as "moved permanently". */
export const LEGACY_URLS: Record<string, string> = {
  '/landingpage': '/',
  '/admin': '/dashboard',
  '/admin/dashboard': '/dashboard',
};

export default async function homeRoutes(app: FastifyInstance) {
  app.get('/', async function landing(_req, reply) {
    return reply.page('home/index', { title: 'Order Inventory' });
  });

  for (const [from, to] of Object.entries(LEGACY_URLS)) {
    app.get(from, async function legacyRedirect(req: FastifyRequest, reply) {
      const query = req.url.indexOf('?');
      return reply.code(301).redirect(query === -1 ? to : to + req.url.slice(query));
    });
  }
}
