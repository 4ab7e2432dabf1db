// /api/v1/inventory: stock levels, movements (receipts, adjustments, counts, transfers), reorder
// points, and the stock reports. Admins act on every store, staff on their own (403 otherwise,
// before anything is written; lists are scoped in SQL); customers are refused. Every POST takes
// an Idempotency-Key: a replay returns the first answer and posts nothing.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import Type, { type Static } from 'typebox';
import { storeScope, isBackOffice } from '../../lib/access.ts';
import { forbidden, notFound } from '../../lib/errors.ts';
import { allPages } from '../../lib/list.ts';
import { sendCsv, wantsCsv } from '../../lib/csv.ts';
import { checkIdempotencyKey, idempotent } from '../../lib/idempotency.ts';
import type { Db } from '../../db/client.ts';
import { ListOf, errorResponses } from '../schemas.ts';
import { listStock } from '../../modules/inventory/repository.ts';
import { listMovements, transferMovements } from '../../modules/inventory/movements.ts';
import { adjustStock, countStock, receiveStock, setReorderPoint, transferStock, type MovementResult, type TransferResult } from '../../modules/inventory/service.ts';
import { apiMovement, apiStock, movementCsv, stockCsv } from '../../modules/inventory/present.ts';
import * as S from '../../modules/inventory/api-schemas.ts';
import inventoryReportsApi from '../../modules/inventory/reports-api.ts';

const tags = ['inventory'];
const CSV_PAGE = 1000;

const movementAnswer = (r: MovementResult) => ({ inventory: apiStock(r.row), movement: apiMovement(r.movement) });
const transferAnswer = (r: TransferResult) => ({ ...r, movements: r.movements.map(apiMovement) });

export default async function inventoryApi(app: FastifyInstance) {
  app.addHook('preHandler', async function backOfficeOnly(req) {
    if (!isBackOffice(req.user)) throw forbidden('The inventory API is for store staff and administrators.');
  });

  /** Runs a write once per Idempotency-Key and answers with the stored first answer on a replay.
   * Every stock use case is atomic by itself (inventory/service.ts), so without a key no
   * transaction is wrapped around it. */
  async function once(req: FastifyRequest, reply: FastifyReply, statusCode: number, work: (tx: Db) => Promise<object>) {
    const key = checkIdempotencyKey(req.headers['idempotency-key']);
    const answer = await idempotent(app.db, { userId: req.user!.id, key, route: `${req.method} ${req.routeOptions.url}`, request: req.body, selfContained: true },
      async (tx) => ({ statusCode, body: await work(tx) }));
    if (answer.replayed) reply.header('idempotent-replayed', 'true');
    return reply.code(answer.statusCode).send(answer.body);
  }

  app.get('/', {
    schema: { tags, summary: 'Stock levels per store and product (CSV with format=csv)', querystring: S.StockListQuery, response: { 200: ListOf(S.InventoryItem, 'InventoryList'), ...errorResponses(400, 401, 403) } },
  }, async function listInventory(req: FastifyRequest<{ Querystring: Static<typeof S.StockListQuery> }>, reply) {
    const scope = storeScope(req.user);
    if (wantsCsv(req.query, req.headers.accept)) {
      return sendCsv(reply, 'inventory.csv', stockCsv, allPages((cursor) => listStock(app.db, scope, { ...req.query, cursor, limit: CSV_PAGE })));
    }
    const page = await listStock(app.db, scope, req.query);
    return { items: page.items.map(apiStock), nextCursor: page.nextCursor };
  });

  app.get('/movements', {
    schema: { tags, summary: 'The stock ledger, newest first, with the balance after each movement', querystring: S.MovementListQuery, response: { 200: ListOf(S.Movement, 'MovementList'), ...errorResponses(400, 401, 403) } },
  }, async function listLedger(req: FastifyRequest<{ Querystring: Static<typeof S.MovementListQuery> }>, reply) {
    const scope = storeScope(req.user);
    if (wantsCsv(req.query, req.headers.accept)) {
      return sendCsv(reply, 'stock-movements.csv', movementCsv, allPages((cursor) => listMovements(app.db, scope, { ...req.query, cursor, limit: CSV_PAGE }, app.config.timeZone)));
    }
    const page = await listMovements(app.db, scope, req.query, app.config.timeZone);
    return { items: page.items.map(apiMovement), nextCursor: page.nextCursor };
  });

  app.get('/transfers/:transferId', {
    schema: { tags, summary: 'Both sides of a transfer', params: Type.Object({ transferId: Type.String({ format: 'uuid' }) }), response: { 200: S.TransferAnswer, ...errorResponses(400, 401, 403, 404) } },
  }, async function showTransfer(req: FastifyRequest<{ Params: { transferId: string } }>) {
    const movements = await transferMovements(app.db, storeScope(req.user), req.params.transferId);
    const out = movements.find((m) => m.kind === 'transfer_out');
    const into = movements.find((m) => m.kind === 'transfer_in');
    if (!out || !into) throw notFound('The transfer');
    return { transferId: req.params.transferId, fromStoreId: out.storeId, toStoreId: into.storeId, movements: movements.map(apiMovement) };
  });

  const write = (summary: string, body: object, ok: object, codes = [400, 401, 403, 409, 422]) =>
    ({ schema: { tags, summary, body, headers: S.IdempotencyHeaders, response: { 201: ok, 200: ok, ...errorResponses(...codes) } } });

  app.post('/receipts', write('Receive stock (quantity > 0)', S.ReceiptBody, S.MovementAnswer),
    async function postReceipt(req: FastifyRequest<{ Body: Static<typeof S.ReceiptBody> }>, reply) {
      return once(req, reply, 201, async (tx) => movementAnswer(await receiveStock(tx, req.body, req.actor(), storeScope(req.user))));
    });

  app.post('/adjustments', write('Adjust stock with a reason (signed quantity, not 0)', S.AdjustmentBody, S.MovementAnswer),
    async function postAdjustment(req: FastifyRequest<{ Body: Static<typeof S.AdjustmentBody> }>, reply) {
      return once(req, reply, 201, async (tx) => movementAnswer(await adjustStock(tx, req.body, req.actor(), storeScope(req.user))));
    });

  app.post('/counts', write('Record a stock count; the difference is posted as a count movement', S.CountBody, S.MovementAnswer),
    async function postCount(req: FastifyRequest<{ Body: Static<typeof S.CountBody> }>, reply) {
      return once(req, reply, 201, async (tx) => movementAnswer(await countStock(tx, req.body, req.actor(), storeScope(req.user))));
    });

  app.post('/transfers', write('Transfer products between two stores: all lines or nothing', S.TransferBody, S.TransferAnswer),
    async function postTransfer(req: FastifyRequest<{ Body: Static<typeof S.TransferBody> }>, reply) {
      return once(req, reply, 201, async (tx) => transferAnswer(await transferStock(tx, req.body, req.actor(), storeScope(req.user))));
    });

  app.put('/reorder-points', {
    schema: { tags, summary: 'Set the reorder point of a product at a store (not a movement)', body: S.ReorderPointBody, response: { 200: S.InventoryItem, ...errorResponses(400, 401, 403, 422) } },
  }, async function putReorderPoint(req: FastifyRequest<{ Body: Static<typeof S.ReorderPointBody> }>) {
    return apiStock(await setReorderPoint(app.db, req.body, req.actor(), storeScope(req.user)));
  });

  await app.register(inventoryReportsApi, { prefix: '/reports' });
}
