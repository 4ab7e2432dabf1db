// Listens, closes gracefully on SIGTERM/SIGINT, and with WEB_CONCURRENCY > 1 runs that many
// workers (the primary prepares the database first). Nothing else.
import cluster from 'node:cluster';
import { loadConfig } from './config.ts';
import { createDb, type Database } from './db/client.ts';
import { bootstrap } from './bootstrap.ts';
import { buildApp } from './app.ts';

const config = loadConfig();
const workers = config.databaseUrl ? config.webConcurrency : 1;
if (config.webConcurrency > 1 && !config.databaseUrl) {
  console.warn('WEB_CONCURRENCY needs DATABASE_URL: the embedded database serves one process. Starting one.');
}

async function prepare(poolMax: number) {
  const database = await createDb({ databaseUrl: config.databaseUrl, pgliteDir: config.pgliteDir, poolMax });
  try {
    await bootstrap(database, config);
  } catch (err) {
    await database.close();
    throw err;
  }
  return database;
}

async function serve(database?: Database) {
  const app = await buildApp(config, { database });
  if (database) app.addHook('onClose', async () => { await database.close(); });
  let closing = false;
  const close = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'closing');
    const timer = setTimeout(() => process.exit(1), 10_000);
    timer.unref();
    await app.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void close('SIGTERM'));
  process.on('SIGINT', () => void close('SIGINT'));
  await app.listen({ host: config.host, port: config.port });
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
