// Decorates the app with the database (created from config unless the caller passes one in, as
// tests do) and the mailer.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { createDb, type Database } from '../db/client.ts';
import { createMailer, type Mailer } from '../lib/mail.ts';

export interface DbPluginOptions { database?: Database; mailer?: Mailer }

export default fp(async function dbPlugin(app: FastifyInstance, opts: DbPluginOptions) {
  const { config } = app;
  const owned = !opts.database;
  const database = opts.database ?? await createDb({
    databaseUrl: config.databaseUrl,
    pgliteDir: config.pgliteDir,
    poolMax: config.dbPoolMax,
    onPoolError: (err) => app.log.warn({ err }, 'idle database connection lost'),
  });
  app.decorate('database', database);
  app.decorate('db', database.db);
  app.decorate('mailer', opts.mailer ?? createMailer({ smtpUrl: config.smtpUrl, mailDir: config.mailDir, from: config.mailFrom }));
  if (owned) app.addHook('onClose', async () => { await database.close(); });
}, { name: 'db' });
