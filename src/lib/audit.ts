import { auditEvents } from '../db/schema/index.ts';
import type { Db } from '../db/client.ts';

/** Who did something and from where; carried from the request into services. */
export interface Actor {
  userId: number | null;
  email: string | null;
  requestId?: string;
  ip?: string;
}

export const systemActor: Actor = { userId: null, email: 'system' };

export interface AuditInput {
  action: string;
  entity: string;
  entityId?: string | number | null;
  before?: unknown;
  after?: unknown;
}

const SECRET_KEYS = new Set(['passwordHash', 'password', 'tokenHash', 'token']);

/** Drops secrets so a hash never lands in the audit log. */
function scrub(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map(scrub);
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>)
      .filter(([k]) => !SECRET_KEYS.has(k))
      .map(([k, v]) => [k, scrub(v)]));
  }
  return value;
}

/** Writes one audit event. Call it with the transaction of the change so both commit or neither. */
export async function recordAudit(db: Db, actor: Actor, input: AuditInput): Promise<void> {
  await db.insert(auditEvents).values({
    actorId: actor.userId,
    actorEmail: actor.email,
    action: input.action,
    entity: input.entity,
    entityId: input.entityId === undefined || input.entityId === null ? null : String(input.entityId),
    before: scrub(input.before),
    after: scrub(input.after),
    requestId: actor.requestId ?? null,
    ip: actor.ip ?? null,
  });
}
