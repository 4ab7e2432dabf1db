// Decorates the app with the database (created from config unless the caller passes one in, as
// tests do) and the mailer.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { createDb, type Database } from '../db/client.ts';
import { createMailer, type Mailer } from '../lib/mail.ts';

export interface DbPluginOptions { database?: Database; mailer?: Mailer }

/** pg-pool listens for errors on idle clients only. A client checked out by a transaction, between
 * two statements when PostgreSQL terminates its connection (a restart with the default fast
 * shutdown, pg_terminate_backend), emits 'error' with nobody listening: an uncaught exception
 * that kills the whole server. Each client gets a listener the first time it is handed out; the
 * error itself needs no handling here: the next statement on that client fails (answered 503)
 * and the pool drops the broken client when it is released. */
const guardedPools = new WeakSet<pg.Pool>();
export function guardCheckedOutClients(pool: pg.Pool): void {
  if (guardedPools.has(pool)) return; // several apps may share one pool (tests)
  guardedPools.add(pool);
  const guarded = new WeakSet<pg.PoolClient>();
  pool.on('acquire', (client) => {
    if (guarded.has(client)) return;
    guarded.add(client);
    client.on('error', function connectionLostInUse() { /* see above */ });
  });
}

export default fp(async function dbPlugin(app: FastifyInstance, opts: DbPluginOptions) {
  const { config } = app;
  const owned = !opts.database;
  const database = opts.database ?? await createDb({
    databaseUrl: config.databaseUrl,
    pgliteDir: config.pgliteDir,
    poolMax: config.dbPoolMax,
    // Message and code only: the error carries the whole pg client (with its cancel key).
    onPoolError: (err) => app.log.warn({ code: (err as { code?: string }).code, reason: err.message }, 'idle database connection lost'),
  });
  if (database.pool) guardCheckedOutClients(database.pool);
  app.decorate('database', database);
  app.decorate('db', database.db);
  app.decorate('mailer', opts.mailer ?? createMailer({ smtpUrl: config.smtpUrl, mailDir: config.mailDir, from: config.mailFrom }));
  if (owned) app.addHook('onClose', async () => { await database.close(); });
}, { name: 'db' });
