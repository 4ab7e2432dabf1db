// Idempotency-Key support: the work and the stored answer commit in one transaction. A replay
// (same user, same key) gets the stored answer and changes nothing; a concurrent duplicate
// blocks on the key's primary key, fails when the first commits, rolls back its own work, and
// replays the first answer.
import { createHash } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { idempotencyKeys } from '../db/schema/index.ts';
import type { Db } from '../db/client.ts';
import { pgErrorCode, unprocessable, badRequest } from './errors.ts';

export interface Answer<T = unknown> { statusCode: number; body: T }

export interface IdempotencyInput {
  userId: number; key?: string; route: string; request: unknown;
  /** The work is atomic on its own (one statement, or it opens its own transaction): without a
   * key it then runs directly, sparing a BEGIN and a COMMIT round trip on the hot paths. */
  selfContained?: boolean;
}

export const KEY_RE = /^[A-Za-z0-9_.:-]{8,200}$/;

export function checkIdempotencyKey(key: unknown): string | undefined {
  if (key === undefined || key === '') return undefined;
  if (typeof key !== 'string' || !KEY_RE.test(key)) {
    throw badRequest('Idempotency-Key must be 8–200 characters of letters, digits and _ . : -', [{ field: 'Idempotency-Key', message: 'is not a valid key' }]);
  }
  return key;
}

const hashRequest = (route: string, request: unknown) =>
  createHash('sha256').update(route).update('\n').update(JSON.stringify(request ?? null)).digest('hex');

async function stored(db: Db, userId: number, key: string, requestHash: string): Promise<Answer | undefined> {
  const rows = await db.select().from(idempotencyKeys).where(and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key)));
  const row = rows[0];
  if (!row) return undefined;
  if (row.requestHash !== requestHash) {
    throw unprocessable('This Idempotency-Key was already used for a different request.', [{ field: 'Idempotency-Key', message: 'was used for a different request' }]);
  }
  return { statusCode: row.statusCode, body: row.body };
}

/** Runs `work` in a transaction, once per key. Without a key it simply runs it in a transaction.
 * Only successful answers are stored: a refused request may be retried with the same key. */
export async function idempotent<T>(db: Db, input: IdempotencyInput, work: (tx: Db) => Promise<Answer<T>>): Promise<Answer<T> & { replayed: boolean }> {
  const { userId, key, route } = input;
  if (!key) return { ...(await (input.selfContained ? work(db) : db.transaction((tx) => work(tx)))), replayed: false };
  const requestHash = hashRequest(route, input.request);
  const previous = await stored(db, userId, key, requestHash);
  if (previous) return { ...(previous as Answer<T>), replayed: true };
  try {
    const answer = await db.transaction(async (tx) => {
      const result = await work(tx);
      if (result.statusCode < 300) {
        await tx.insert(idempotencyKeys).values({ userId, key, route, requestHash, statusCode: result.statusCode, body: result.body as object });
      }
      return result;
    });
    return { ...answer, replayed: false };
  } catch (err) {
    if (pgErrorCode(err) === '23505') {
      const first = await stored(db, userId, key, requestHash);
      if (first) return { ...(first as Answer<T>), replayed: true };
    }
    throw err;
  }
}

/** The stored answer for a key, whatever request it was for (a form's double submit arrives
 * after the first one already changed what the second would send, e.g. an emptied cart). */
export async function storedAnswer(db: Db, userId: number, key: string): Promise<Answer | undefined> {
  const rows = await db.select({ statusCode: idempotencyKeys.statusCode, body: idempotencyKeys.body }).from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key)));
  return rows[0];
}
