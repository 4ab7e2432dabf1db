// The stock forms post once per form, as the order form does: each is rendered with a hidden
// `idempotencyKey`, and the movement and its stored answer commit together (lib/idempotency.ts).
// Posting the same form again (a resubmit, a browser retry, a second click without JavaScript)
// finds that answer and moves nothing. A refused post stores nothing, so the corrected form
// keeps its key; a key already used for a different post is refused and the form gets a new one.
import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/client.ts';
import { HttpError } from '../../lib/errors.ts';
import { idempotent } from '../../lib/idempotency.ts';

export const KEY_FIELD = 'idempotencyKey';
const KEY_RE = /^[A-Za-z0-9_.:-]{8,200}$/;

/** The form's values with the key it was posted with, or a new one (a fresh form, a bad key). */
export function withFormKey<V extends Record<string, unknown>>(values: V): V & { idempotencyKey: string } {
  const key = values[KEY_FIELD];
  return { ...values, idempotencyKey: typeof key === 'string' && KEY_RE.test(key) ? key : randomUUID() };
}

/** What a successful post redirects to, and the flash it shows. */
export interface Posted { location: string; message: string }

export type OnceResult<F> =
  | { kind: 'posted'; posted: Posted; replayed: boolean }
  | { kind: 'invalid'; invalid: F }
  | { kind: 'reused' };

/** The flash of a replay: the first answer's, saying nothing was done now. */
export const alreadyRecorded = (message: string) => `This form was already recorded, nothing was posted again. ${message}`;

/** Runs the work of a posted form once per key (per user). The work answers `{ ok: true, posted }`
 * or a refusal of its own `{ ok: false, … }` (invalid input, stored as nothing). Refusals the
 * services throw (409, 422) pass through, with nothing written. */
export async function postOnce<F>(
  db: Db, userId: number, route: string, body: Record<string, unknown>,
  work: (tx: Db) => Promise<{ ok: true; posted: Posted } | ({ ok: false } & F)>,
): Promise<OnceResult<F>> {
  const { _csrf: _token, [KEY_FIELD]: rawKey, ...request } = body;
  // A form without a key (one rendered before keys existed) still posts, just without the guard.
  const key = typeof rawKey === 'string' && KEY_RE.test(rawKey) ? rawKey : undefined;
  let invalid: F | undefined;
  try {
    const answer = await idempotent(db, { userId, key, route, request, selfContained: true }, async (tx) => {
      const r = await work(tx);
      if (r.ok) return { statusCode: 200, body: r.posted };
      invalid = r;
      return { statusCode: 422, body: null };
    });
    if (invalid !== undefined) return { kind: 'invalid', invalid };
    return { kind: 'posted', posted: answer.body as Posted, replayed: answer.replayed };
  } catch (err) {
    if (err instanceof HttpError && err.errors?.some((e) => e.field === 'Idempotency-Key')) return { kind: 'reused' };
    throw err;
  }
}

export const REUSED_MESSAGE = 'This form was already used to record a different movement: check the list or the history. Submitting it again records a new one.';
