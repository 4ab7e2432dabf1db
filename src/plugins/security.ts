// Security headers (helmet, with a CSP that allows only our own scripts and styles) and CSRF
// protection on every state-changing request of the browser-facing app. The JSON API is
// excluded: it authenticates with bearer tokens, which a forged cross-site form cannot send.
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import helmet from 'helmet';
import csrf from '@fastify/csrf-protection';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The CSRF secret's cookie: __Host- behind TLS, like the session's. */
export const csrfCookieName = (config: Config): string => (config.cookieSecure ? '__Host-oi.csrf' : 'oi.csrf');

/** A new CSRF secret from the next page on: called when the visitor signs in or out, so a token
 * issued before (to whoever saw that page) is worthless after. */
export function rotateCsrfSecret(reply: FastifyReply, config: Config): void {
  reply.clearCookie(csrfCookieName(config), { path: '/' });
}

export const isApiRequest = (req: FastifyRequest): boolean => req.url.startsWith('/api/');

export default fp(async function securityPlugin(app: FastifyInstance) {
  // helmet itself, built once: @fastify/helmet rebuilt the whole middleware (parsing the CSP
  // directives again) on every request, 3 % of a short request's time in a profile.
  const securityHeaders = helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        upgradeInsecureRequests: null,
      },
    },
    // Pages are served over plain http in development; HSTS only makes sense behind TLS.
    strictTransportSecurity: app.config.cookieSecure,
  });
  app.addHook('onRequest', (req, reply, done) => securityHeaders(req.raw, reply.raw, (err) => done(err as Error | undefined)));

  await app.register(csrf, {
    // The secret lives in its own signed, HttpOnly cookie rather than in the session: a visitor's
    // sign-in or registration form then stores no session row (one per anonymous GET /login
    // before). Sign-in and logout replace it (see rotateCsrfSecret).
    sessionPlugin: '@fastify/cookie',
    cookieKey: csrfCookieName(app.config),
    cookieOpts: { path: '/', sameSite: 'lax', httpOnly: true, secure: app.config.cookieSecure, signed: true },
    // The token travels as a hidden `_csrf` field in forms and an `x-csrf-token` header on htmx
    // requests (hx-headers on <body>).
    getToken: (req) => {
      const body = req.body as Record<string, unknown> | undefined;
      const field = body && typeof body === 'object' ? body._csrf : undefined;
      if (typeof field === 'string') return field;
      const header = req.headers['x-csrf-token'];
      if (typeof header === 'string') return header;
      // Multipart bodies (CSV uploads) are read by the route handler, after this check, so a
      // form posted without JavaScript carries its token in the action's query string.
      if (req.headers['content-type']?.startsWith('multipart/form-data')) {
        const query = (req.query as Record<string, unknown> | undefined)?._csrf;
        if (typeof query === 'string') return query;
      }
      return undefined;
    },
  });

  // preHandler, not onRequest: the form body (and its _csrf field) is parsed by then.
  app.addHook('preHandler', (req, reply, done) => {
    if (SAFE_METHODS.has(req.method) || isApiRequest(req)) return done();
    app.csrfProtection(req, reply, done);
  });
}, { name: 'security', dependencies: ['session'] });
