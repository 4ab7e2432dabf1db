// The audit log for admins (registered in the admin-only context): newest first, filtered by
// record, actor, action and dates, with each change's before/after shown field by field, and a
// CSV export of the same selection. `/audit?entity=product&entityId=42` is a record's history.
import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { allPages } from '../../lib/list.ts';
import { sendCsv, wantsCsv, type CsvColumn } from '../../lib/csv.ts';
import { badRequest } from '../../lib/errors.ts';
import { listAudit, KNOWN_ACTIONS, KNOWN_ENTITIES, type AuditRow } from './repository.ts';

const DATE = '^\\d{4}-\\d{2}-\\d{2}$';

export const AuditQuery = Type.Object({
  entity: Type.Optional(Type.String({ maxLength: 40 })),
  entityId: Type.Optional(Type.String({ maxLength: 40 })),
  actor: Type.Optional(Type.String({ maxLength: 254 })),
  action: Type.Optional(Type.String({ maxLength: 60 })),
  from: Type.Optional(Type.String({ pattern: DATE })),
  to: Type.Optional(Type.String({ pattern: DATE })),
  cursor: Type.Optional(Type.String({ maxLength: 500 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
  order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
  format: Type.Optional(Type.Union([Type.Literal('csv'), Type.Literal('html')])),
});
type AuditQuery = Static<typeof AuditQuery>;

const json = (v: unknown) => (v === null || v === undefined ? '' : JSON.stringify(v));

const csvColumns: CsvColumn<AuditRow>[] = [
  { header: 'auditId', value: (r) => r.auditId },
  { header: 'createdAt', value: (r) => new Date(r.createdAt).toISOString() },
  { header: 'actorId', value: (r) => r.actorId ?? '' },
  { header: 'actorEmail', value: (r) => r.actorEmail ?? '' },
  { header: 'action', value: (r) => r.action },
  { header: 'entity', value: (r) => r.entity },
  { header: 'entityId', value: (r) => r.entityId ?? '' },
  { header: 'changedFields', value: (r) => r.changes.map((c) => c.field).join(' ') },
  { header: 'before', value: (r) => json(r.before) },
  { header: 'after', value: (r) => json(r.after) },
  { header: 'requestId', value: (r) => r.requestId ?? '' },
  { header: 'ip', value: (r) => r.ip ?? '' },
];

/** Blank filter fields (an empty form submit) mean "no filter"; dates must be real dates. */
function filtersOf(q: AuditQuery) {
  const text = (s?: string) => (s && s.trim() !== '' ? s.trim() : undefined);
  const f = { entity: text(q.entity), entityId: text(q.entityId), actor: text(q.actor), action: text(q.action), from: text(q.from), to: text(q.to) };
  for (const key of ['from', 'to'] as const) {
    const d = f[key];
    if (d && new Date(`${d}T00:00:00Z`).toISOString().slice(0, 10) !== d) {
      throw badRequest(`"${d}" is not a date.`, [{ field: key, message: 'must be a date (YYYY-MM-DD)' }]);
    }
  }
  return f;
}

export default async function auditRoutes(app: FastifyInstance) {
  app.get<{ Querystring: AuditQuery }>('/audit', {
    // Empty strings from a submitted filter form are allowed through and ignored.
    schema: { querystring: AuditQuery },
    preValidation: async function dropBlankQuery(req) {
      const q = req.query as Record<string, unknown>;
      for (const k of Object.keys(q)) if (q[k] === '') delete q[k];
    },
  }, async function listAuditPage(req, reply) {
    const filters = filtersOf(req.query);
    const tz = app.config.timeZone;
    const params = { ...filters, order: req.query.order };
    if (wantsCsv(req.query, req.headers.accept)) {
      const rows = allPages((cursor) => listAudit(app.db, { ...params, cursor, limit: 200 }, tz));
      return sendCsv(reply, 'audit.csv', csvColumns, rows);
    }
    const page = await listAudit(app.db, { ...params, cursor: req.query.cursor, limit: req.query.limit }, tz);
    const subject = filters.entity && filters.entityId ? `${filters.entity} ${filters.entityId}` : null;
    return reply.page('audit/index', {
      title: subject ? `History of ${subject}` : 'Audit log', page, params, subject,
      entities: KNOWN_ENTITIES, actions: KNOWN_ACTIONS,
    }, { fragment: 'audit/_rows' });
  });
}
