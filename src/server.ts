// Listens, closes gracefully on SIGTERM/SIGINT, and with WEB_CONCURRENCY > 1 runs that many
// workers (the primary prepares the database first). Nothing else.
import cluster from 'node:cluster';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { loadConfig } from './config.ts';
import { createDb, type Database } from './db/client.ts';
import { bootstrap } from './bootstrap.ts';
import { buildApp } from './app.ts';
import { warmPasswordCheck } from './lib/password.ts';

const config = loadConfig();
const workers = config.databaseUrl ? config.webConcurrency : 1;
if (config.webConcurrency > 1 && !config.databaseUrl) {
  console.warn('WEB_CONCURRENCY needs DATABASE_URL: the embedded database serves one process. Starting one.');
}

async function prepare(poolMax: number) {
  // At least two connections: bootstrap holds one for its advisory lock while it works through
  // another (DB_POOL_MAX=1 would wait for itself until the connect timeout and fail to start).
  const database = await createDb({ databaseUrl: config.databaseUrl, pgliteDir: config.pgliteDir, poolMax: Math.max(2, poolMax) });
  try {
    await bootstrap(database, config);
  } catch (err) {
    await database.close();
    throw err;
  }
  return database;
}

/** Requests whose work is not over. One is over when its answer has been produced (onSend ran,
 * so the handler and the hooks that touch the database are done) AND its response is closed
 * (written out, or the client went away). A client that gives up (a balancer's timeout, a
 * browser navigating away) closes its connection while the handler still runs: the HTTP server
 * then has nothing open and would let the pool be ended under the handler ("Cannot use a pool
 * after calling end"), cutting its work in half. */
function trackInFlight(app: FastifyInstance) {
  const pending = new Set<FastifyRequest>();
  const answered = new WeakMap<FastifyRequest, () => void>();
  let drained: (() => void) | undefined;
  const over = (req: FastifyRequest) => { if (pending.delete(req) && pending.size === 0) drained?.(); };
  app.addHook('onRequest', function trackRequest(req, reply, next) {
    let sent = false;
    let closed = req.raw.socket?.destroyed ?? false; // the client left before we got here
    pending.add(req);
    answered.set(req, () => { sent = true; if (closed) over(req); });
    reply.raw.once('close', () => { closed = true; if (sent) over(req); });
    next();
  });
  app.addHook('onSend', function markAnswered(req, _reply, payload, next) {
    answered.get(req)?.();
    next(null, payload);
  });
  return {
    /** Resolves when no request is in flight. */
    settled: () => (pending.size ? new Promise<void>((resolve) => { drained = resolve; }) : Promise.resolve()),
  };
}

async function serve(database?: Database) {
  const app = await buildApp(config, { database });
  const inFlight = trackInFlight(app);
  // By preClose new requests are already refused (503 + Connection: close, for the balancer to
  // retry elsewhere); the ones in flight finish before connections and the pool are closed.
  // Then every connection left is idle or half-closed by a client that gave up (those would
  // keep server.close() waiting until the force-exit timer): close them all.
  app.addHook('preClose', async function finishInFlight() {
    await inFlight.settled();
    app.server.closeAllConnections();
  });
  let closing = false;
  const close = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'closing');
    const timer = setTimeout(() => process.exit(1), 10_000);
    timer.unref();
    await app.close();
    // The pool goes last, after every onClose hook (an import apply still committing) is done:
    // as an onClose hook of its own it would run before them (they run in reverse order).
    await database?.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void close('SIGTERM'));
  process.on('SIGINT', () => void close('SIGINT'));
  await app.listen({ host: config.host, port: config.port });
  // The password strength dictionaries (~0.2 s to load), after start rather than on the first
  // password someone sets.
  setImmediate(warmPasswordCheck);
  return app;
}

if (workers > 1 && cluster.isPrimary) {
  await (await prepare(2)).close();
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (code !== 0 && !signal?.includes('TERM')) {
      console.error(`worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
      cluster.fork();
    }
  });
  const stop = () => { for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM'); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else if (cluster.isPrimary) {
  // One process: the database prepared here is the one the app serves from (opening the
  // embedded database twice would cost a second start-up).
  const started = Date.now();
  const database = await prepare(config.dbPoolMax);
  const app = await serve(database);
  app.log.info(`ready in ${Date.now() - started} ms; serving ${config.baseUrl}`);
} else {
  await serve();
}
