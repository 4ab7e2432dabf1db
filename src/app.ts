// buildApp(config): infrastructure plugins in order, then the modules with their prefixes.
// Tests call it with explicit config (and usually their own database).
import Fastify, { type FastifyInstance } from 'fastify';
import formbody from '@fastify/formbody';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from './config.ts';
import type { Database } from './db/client.ts';
import type { Mailer } from './lib/mail.ts';
import type { Writable } from 'node:stream';
import './types.ts';
import { logSerializers } from './lib/log.ts';
import dbPlugin from './plugins/db.ts';
import sessionPlugin from './plugins/session.ts';
import securityPlugin from './plugins/security.ts';
import viewPlugin from './plugins/view.ts';
import authPlugin from './plugins/auth.ts';
import errorsPlugin, { clientError, frameworkError, methodCheck } from './plugins/errors.ts';
import afterAnswerPlugin from './plugins/after-answer.ts';
import { installValidators } from './plugins/validation.ts';
import { checkStoreFilter, requireAdmin, requireBackOffice } from './plugins/guards.ts';
import homeRoutes from './modules/home/routes.ts';
import shopRoutes from './modules/shop/routes.ts';
import authRoutes from './modules/auth/routes.ts';
import dashboardRoutes from './modules/dashboard/routes.ts';
import customersRoutes from './modules/customers/routes.ts';
import productsRoutes from './modules/products/routes.ts';
import storesRoutes from './modules/stores/routes.ts';
import inventoryRoutes from './modules/inventory/routes.ts';
import importsRoutes from './modules/imports/routes.ts';
import ordersRoutes from './modules/orders/routes.ts';
import usersRoutes from './modules/users/routes.ts';
import shipmentsRoutes from './modules/shipments/routes.ts';
import auditRoutes from './modules/audit/routes.ts';
import apiPlugin from './api/index.ts';
import healthRoutes from './modules/health/routes.ts';

export interface BuildOptions {
  /** Use this database instead of creating one from config (tests). The caller closes it. */
  database?: Database;
  mailer?: Mailer;
  /** Where the log goes instead of stdout (tests read it). */
  logStream?: Writable;
}

export async function buildApp(config: Config, opts: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: {
      level: config.logLevel,
      serializers: logSerializers,
      redact: ['req.headers.authorization', 'req.headers.cookie'],
      stream: opts.logStream,
    },
    trustProxy: config.trustProxy,
    bodyLimit: 1024 * 1024,
    genReqId: () => crypto.randomUUID(),
    requestIdHeader: false,
    frameworkErrors: frameworkError,
    clientErrorHandler: clientError,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorate('config', config);
  installValidators(app);
  await app.register(errorsPlugin);
  await app.register(dbPlugin, { database: opts.database, mailer: opts.mailer });
  await app.register(afterAnswerPlugin);
  await app.register(formbody, { bodyLimit: 1024 * 1024 });
  await app.register(sessionPlugin);
  await app.register(securityPlugin);
  await app.register(viewPlugin);
  methodCheck(app);
  await app.register(authPlugin);

  await app.register(healthRoutes);
  await app.register(homeRoutes);
  await app.register(authRoutes);
  await app.register(shopRoutes);
  await app.register(async function backOffice(scope) {
    scope.addHook('preHandler', requireBackOffice);
    scope.addHook('preHandler', checkStoreFilter(app.db));
    await scope.register(dashboardRoutes);
    await scope.register(customersRoutes);
    await scope.register(productsRoutes);
    await scope.register(storesRoutes);
    await scope.register(inventoryRoutes);
    await scope.register(importsRoutes);
    await scope.register(shipmentsRoutes);
    await scope.register(ordersRoutes);
    await scope.register(async function adminOnly(admin) {
      admin.addHook('preHandler', requireAdmin);
      await admin.register(usersRoutes);
      await admin.register(auditRoutes);
    });
  });
  await app.register(apiPlugin, { prefix: '/api' });
  return app;
}
