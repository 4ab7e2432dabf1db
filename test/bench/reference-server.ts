// Reference (a): the smallest honest database page. Fastify + @fastify/view + Eta + a pg Pool,
// one primary-key query per request (a random customer) rendered into a small template. The app's
// pages are reported as a ratio of this, measured in the same session on the same PostgreSQL.
//
// The floor pages (/floor/customers, /floor/products, each with ?q=): the app's own list
// statement (its repository function, over its Drizzle client) rendered into a bare 50-row table,
// with nothing else — no session, sign-in check, CSRF token, security headers or layout. What the
// list alone costs on this stack: a signed-in app page can only be slower.
//   DATABASE_URL=… PORT=… [HOST=127.0.0.1] [REF_WORKERS=2] [CUSTOMER_MIN=1 CUSTOMER_MAX=…] node --import tsx test/bench/reference-server.ts
import cluster from 'node:cluster';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyRequest } from 'fastify';
import fastifyView from '@fastify/view';
import { Eta } from 'eta';
import pg from 'pg';
import { createDb } from '../../src/db/client.ts';
import { listCustomers } from '../../src/modules/customers/repository.ts';
import { listProducts } from '../../src/modules/products/repository.ts';

const workers = Math.max(1, Number(process.env.REF_WORKERS ?? 1));

if (workers > 1 && cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  const stop = () => { for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM'); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else {
  const views = fileURLToPath(new URL('./views', import.meta.url));
  const lo = Number(process.env.CUSTOMER_MIN ?? 1);
  const hi = Number(process.env.CUSTOMER_MAX ?? 1000);
  // The same pool size as the app's default (DB_POOL_MAX 10).
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DB_POOL_MAX ?? 10) });
  const app = Fastify({ logger: false });
  await app.register(fastifyView, { engine: { eta: new Eta({ views, cache: true, autoEscape: true }) }, root: views, production: true });

  app.get('/health', async function health() {
    return { status: 'ok' };
  });

  const floorDb = await createDb({ databaseUrl: process.env.DATABASE_URL, poolMax: Number(process.env.DB_POOL_MAX ?? 10) });
  type FloorQuery = { Querystring: { q?: string } };
  app.get('/floor/customers', async function floorCustomers(req: FastifyRequest<FloorQuery>, reply) {
    const page = await listCustomers(floorDb.db, { q: req.query.q }, 'all');
    return reply.view('floor.eta', { title: 'Customers', head: ['Id', 'Name', 'Email', 'Orders', 'Last order'],
      rows: page.items.map((c) => [c.customerId, c.fullName, c.emailAddress, c.orderCount, c.lastOrderAt ? c.lastOrderAt.toISOString().slice(0, 10) : '']) });
  });
  app.get('/floor/products', async function floorProducts(req: FastifyRequest<FloorQuery>, reply) {
    const page = await listProducts(floorDb.db, 'all', { q: req.query.q, sort: 'productName', order: 'asc' });
    return reply.view('floor.eta', { title: 'Products', head: ['Id', 'SKU', 'Name', 'Brand', 'Colour', 'Size', 'Rating', 'Price', 'Available'],
      rows: page.items.map((p) => [p.productId, p.sku, p.productName, p.brand ?? '', p.colour ?? '', p.size ?? '', p.rating ?? '', p.unitPrice, p.available]) });
  });

  app.get('/customer', async function customerPage(_req, reply) {
    const id = lo + Math.floor(Math.random() * (hi - lo + 1));
    const r = await pool.query('select customer_id, full_name, email_address, created_at from customers where customer_id = $1', [id]);
    if (!r.rows[0]) return reply.code(404).send('not found');
    return reply.view('customer.eta', { c: r.rows[0] });
  });

  const close = async () => {
    await app.close();
    await pool.end();
    await floorDb.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void close());
  process.on('SIGINT', () => void close());
  await app.listen({ host: process.env.HOST ?? '127.0.0.1', port: Number(process.env.PORT ?? 3100) });
}
