// Reading the audit log: the filtered, keyset-paginated browse (newest first, by audit id, which
// every filter's index ends with) and a record's recent history for detail pages. Rows come back
// with the changed fields already worked out and a link to the record's page.
import { eq, sql, type SQL } from 'drizzle-orm';
import { auditEvents } from '../../db/schema/index.ts';
import type { Db } from '../../db/client.ts';
import { own } from '../../lib/own.ts';
import { allOf, decodeCursor, likePattern, planKeyset, toPage, type Keyset, type Page } from '../../lib/list.ts';

export interface Change { field: string; before: string; after: string }

export interface AuditRow {
  auditId: number;
  createdAt: Date | string;
  actorId: number | null;
  actorEmail: string | null;
  action: string;
  entity: string;
  entityId: string | null;
  before: unknown;
  after: unknown;
  requestId: string | null;
  ip: string | null;
  /** The record's page, when the entity has one. */
  href: string | null;
  changes: Change[];
}

const PAGES: Record<string, string> = {
  customer: '/customers', product: '/products', store: '/stores', user: '/users', order: '/orders', shipment: '/shipments',
};

/** Entities the filter offers (others still work when typed in the address). */
export const KNOWN_ENTITIES = ['customer', 'product', 'store', 'user', 'order', 'shipment', 'inventory', 'import'];
export const KNOWN_ACTIONS = ['create', 'update', 'delete', 'login', 'login_failed', 'logout', 'deactivate', 'reactivate',
  'password_change', 'password_reset', 'password_reset_requested', 'password_link_sent',
  'registration_requested', 'registration_confirmed', 'registration_claimed'];

export function entityHref(entity: string, entityId: string | null): string | null {
  const base = own(PAGES, entity);
  return base && entityId && /^\d+$/.test(entityId) ? `${base}/${entityId}` : null;
}

// Bookkeeping columns that change on every save and say nothing to a reader.
const NOISE = new Set(['updatedAt']);

function show(v: unknown): string {
  if (v === undefined || v === null) return '';
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}

const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** The fields that differ between before and after (all fields for a create or a delete). */
export function changedFields(before: unknown, after: unknown): Change[] {
  if (before == null && after == null) return [];
  if ((before != null && !isRecord(before)) || (after != null && !isRecord(after))) {
    return show(before) === show(after) ? [] : [{ field: 'value', before: show(before), after: show(after) }];
  }
  const b = (before ?? {}) as Record<string, unknown>;
  const a = (after ?? {}) as Record<string, unknown>;
  const fields = [...new Set([...Object.keys(b), ...Object.keys(a)])].filter((f) => !NOISE.has(f));
  return fields
    .filter((f) => JSON.stringify(b[f] ?? null) !== JSON.stringify(a[f] ?? null))
    .map((f) => ({ field: f, before: show(b[f]), after: show(a[f]) }));
}

const columns = {
  auditId: auditEvents.auditId,
  createdAt: auditEvents.createdAt,
  actorId: auditEvents.actorId,
  actorEmail: auditEvents.actorEmail,
  action: auditEvents.action,
  entity: auditEvents.entity,
  entityId: auditEvents.entityId,
  before: auditEvents.before,
  after: auditEvents.after,
  requestId: auditEvents.requestId,
  ip: auditEvents.ip,
};

type RawRow = Omit<AuditRow, 'href' | 'changes'>;

const enrich = (r: RawRow): AuditRow => ({
  ...r, auditId: Number(r.auditId), href: entityHref(r.entity, r.entityId), changes: changedFields(r.before, r.after),
});

// One sort: the audit id (insertion order). The cursor's where clause is written below instead of
// by planKeyset so that audit_id is compared with a bigint, which keeps every index usable.
const auditKeyset: Keyset<AuditRow> = {
  sorts: { auditId: { expr: sql`${auditEvents.auditId}`, value: (r) => r.auditId, type: 'numeric' } },
  defaultSort: 'auditId',
  defaultOrder: 'desc',
  id: sql`${auditEvents.auditId}`,
  idOf: (r) => r.auditId,
};

export interface AuditFilters {
  entity?: string;
  entityId?: string;
  /** A user id, or part of an email address. */
  actor?: string;
  action?: string;
  /** Dates (YYYY-MM-DD), inclusive, in the business time zone. */
  from?: string;
  to?: string;
}

export interface AuditQuery extends AuditFilters { cursor?: string; limit?: number; order?: 'asc' | 'desc' }

function actorCondition(actor: string): SQL {
  if (/^\d{1,9}$/.test(actor)) return eq(auditEvents.actorId, Number(actor));
  const pattern = likePattern(actor);
  // Through users (the actor index) for accounts; the email column for actors without one
  // (failed logins with an unknown email, the system).
  return sql`(${auditEvents.actorId} = any(array(select user_id from users where email ilike ${pattern}))
    or (${auditEvents.actorId} is null and ${auditEvents.actorEmail} ilike ${pattern}))`;
}

export function auditWhere(f: AuditFilters, timeZone: string): SQL | undefined {
  return allOf(
    f.entity ? eq(auditEvents.entity, f.entity) : undefined,
    f.entityId ? eq(auditEvents.entityId, f.entityId) : undefined,
    f.action ? eq(auditEvents.action, f.action) : undefined,
    f.actor ? actorCondition(f.actor) : undefined,
    f.from ? sql`${auditEvents.createdAt} >= (${f.from}::date)::timestamp at time zone ${timeZone}` : undefined,
    f.to ? sql`${auditEvents.createdAt} < (${f.to}::date + 1)::timestamp at time zone ${timeZone}` : undefined,
  );
}

export async function listAudit(db: Db, query: AuditQuery, timeZone: string): Promise<Page<AuditRow>> {
  const plan = planKeyset(auditKeyset, { cursor: query.cursor, limit: query.limit, order: query.order });
  const ascending = (plan.order === 'asc') !== plan.reverse;
  const cursor = query.cursor ? decodeCursor(query.cursor) : undefined;
  const after = cursor
    ? (ascending ? sql`${auditEvents.auditId} > ${cursor.id}::bigint` : sql`${auditEvents.auditId} < ${cursor.id}::bigint`)
    : undefined;
  const rows = await db.select(columns).from(auditEvents)
    .where(allOf(auditWhere(query, timeZone), after))
    .orderBy(ascending ? sql`${auditEvents.auditId} asc` : sql`${auditEvents.auditId} desc`)
    .limit(plan.limit);
  return toPage(auditKeyset, plan, rows.map(enrich), !!query.cursor);
}

/** The newest events of one record, for its detail page (audit_events_entity_idx). Include
 * views/audit/_history.eta with `{ ...it, history, historyEntity, historyEntityId }`. */
export async function recentHistory(db: Db, entity: string, entityId: string | number, limit = 10): Promise<AuditRow[]> {
  const rows = await db.select(columns).from(auditEvents)
    .where(allOf(eq(auditEvents.entity, entity), eq(auditEvents.entityId, String(entityId))))
    .orderBy(sql`${auditEvents.auditId} desc`)
    .limit(limit);
  return rows.map(enrich);
}
