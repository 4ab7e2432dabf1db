// Eta templates, static files and the one place that decides page or fragment: an htmx request
// that is not a boosted navigation or a history restore gets the fragment; everything else the
// whole page. Every HTML answer varies on those headers so caches keep them apart.
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fastifyView from '@fastify/view';
import fastifyStatic from '@fastify/static';
import { Eta } from 'eta';
import type { PageOptions } from '../types.ts';
import { navFor } from '../lib/nav.ts';
import { createFormatters, withQuery } from '../lib/format.ts';
import { own } from '../lib/own.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
// Direct dependencies are installed at the top of node_modules.
const pkgDir = (name: string) => path.join(root, 'node_modules', name);

export const VARY = 'HX-Request, HX-Boosted, HX-History-Restore-Request';

export function wantsFragment(req: FastifyRequest): boolean {
  return req.headers['hx-request'] === 'true'
    && req.headers['hx-boosted'] !== 'true'
    && req.headers['hx-history-restore-request'] !== 'true';
}

export default fp(async function viewPlugin(app: FastifyInstance) {
  const production = app.config.env === 'production';
  const eta = new Eta({ views: path.join(root, 'views'), cache: production, autoEscape: true, autoTrim: false });
  await app.register(fastifyView, { engine: { eta }, root: path.join(root, 'views'), production });

  await app.register(fastifyStatic, {
    root: path.join(root, 'public'), prefix: '/static/', maxAge: production ? '1d' : 0,
  });
  // Vendored front-end libraries come straight from node_modules: no CDN, versions pinned by npm.
  const vendor: Record<string, string> = {
    'htmx.min.js': path.join(pkgDir('htmx.org'), 'dist/htmx.min.js'),
    'chart.umd.min.js': path.join(pkgDir('chart.js'), 'dist/chart.umd.min.js'),
    'pico.min.css': path.join(pkgDir('@picocss/pico'), 'css/pico.min.css'),
  };
  app.get('/vendor/:file', async function vendorFile(req: FastifyRequest<{ Params: { file: string } }>, reply) {
      const file = own(vendor, req.params.file);
      if (!file) return reply.callNotFound();
      reply.header('cache-control', production ? 'public, max-age=86400' : 'no-cache');
      return reply.sendFile(path.basename(file), path.dirname(file));
  });

  const fmt = createFormatters(app.config.timeZone);

  app.decorateRequest('wantsFragment', false);
  app.addHook('onRequest', async (req) => { req.wantsFragment = wantsFragment(req); });

  app.decorateReply('flash', function flash(this: FastifyReply, type: 'success' | 'error' | 'info', message: string) {
    const session = this.request.session;
    session.flash = [...(session.flash ?? []), { type, message }];
  });

  app.decorateReply('seeOther', function seeOther(this: FastifyReply, url: string, message?: string) {
    if (message) this.flash('success', message);
    // htmx follows a 303 by itself, but HX-Location keeps the address bar in step.
    return this.code(303).redirect(url);
  });

  app.decorateReply('page', async function page(this: FastifyReply, template: string, data: Record<string, unknown> = {}, opts: PageOptions = {}) {
    const req = this.request;
    const session = req.session;
    const flash = session?.flash ?? [];
    if (session?.flash?.length) session.flash = [];
    // The CSRF token is made on first use, so a page without forms (the landing page for a
    // visitor) sets no CSRF cookie.
    let token: string | undefined;
    const csrf = () => (token ??= this.generateCsrf());
    const name = req.wantsFragment && opts.fragment ? opts.fragment : template;
    this.header('vary', VARY);
    this.header('cache-control', 'no-store');
    if (opts.status) this.code(opts.status);
    const locals = {
      ...data,
      user: req.user,
      csrf,
      flash,
      path: req.url.split('?')[0],
      nav: navFor(req.user, req.url),
      fragment: name !== template,
      fmt,
      withQuery,
      query: req.query ?? {},
      // The layout that fits the viewer, for pages any role can reach (errors, landing).
      layout: !req.user ? '/layouts/bare' : req.user.role === 'customer' ? '/layouts/shop' : '/layouts/app',
    };
    // A fragment answer replaces the page's flash region out of band when it has flashes to show
    // (else they would be taken from the session and never seen) or answers an action (whatever
    // an earlier action left there is over). A plain GET fragment with none (a lazy load, a sort)
    // leaves the region alone.
    const isFragment = req.wantsFragment && path.basename(name).startsWith('_');
    if (!isFragment || (!flash.length && req.method === 'GET')) return this.view(name, locals);
    const [html, oob] = await Promise.all([this.viewAsync(name, locals), this.viewAsync('partials/flash', { flash, oob: true })]);
    return this.send(html + oob);
  });
}, { name: 'view', dependencies: ['security'] });
