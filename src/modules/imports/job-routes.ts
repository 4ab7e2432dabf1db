// One import job: the preview (counts and the rows with problems, or the good rows, keyset
// paginated and exportable as CSV), the progress fragment htmx polls while the file is parsed or
// applied, and the apply action. Only the uploader or an admin may see or apply a job.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { allPages } from '../../lib/list.ts';
import { sendCsv, wantsCsv, type CsvColumn } from '../../lib/csv.ts';
import { forbidden, notFound, unprocessable } from '../../lib/errors.ts';
import type { CurrentUser } from '../../lib/access.ts';
import { JobParams, KINDS, RowsQuery } from './schema.ts';
import { PHASE_LABELS, findJob, inProgress, listRows, type JobView, type StagedRow } from './repository.ts';
import { startApply } from './apply.ts';

type JobRequest = FastifyRequest<{ Params: JobParams }>;
type RowsRequest = FastifyRequest<{ Params: JobParams; Querystring: RowsQuery }>;

async function loadJob(app: FastifyInstance, user: CurrentUser, jobId: number): Promise<JobView> {
  const job = await findJob(app.db, jobId);
  if (!job) throw notFound('The import');
  if (user.role !== 'admin' && job.createdBy !== user.id) {
    throw forbidden('Only the person who uploaded this file, or an administrator, can open this import.');
  }
  return job;
}

export default async function jobRoutes(app: FastifyInstance) {
  // Apply transactions still running when the server stops are awaited, not cut off.
  const running = new Set<Promise<void>>();
  app.addHook('onClose', async () => { await Promise.allSettled([...running]); });

  app.get('/imports/:id', { schema: { params: JobParams, querystring: RowsQuery } }, async function showImport(req: RowsRequest, reply) {
    const job = await loadJob(app, req.user!, req.params.id);
    const spec = KINDS[job.kind];
    const show = req.query.show ?? (job.badRows > 0 || job.phase !== 'done' ? 'bad' : 'good');
    if (wantsCsv(req.query, req.headers.accept)) {
      const columns: CsvColumn<StagedRow>[] = [
        { header: 'row', value: (r) => r.rowNo },
        ...spec.columns.map((c) => ({ header: c.header, value: (r: StagedRow) => r.data[c.field] ?? '' })),
        ...(show === 'bad' ? [{ header: 'problem', value: (r: StagedRow) => r.error ?? '' }] : []),
      ];
      return sendCsv(reply, `import-${job.jobId}-${show}-rows.csv`, columns,
        allPages((cursor) => listRows(app.db, job.jobId, show, { cursor, limit: 200 })));
    }
    const page = await listRows(app.db, job.jobId, show, req.query);
    return reply.page('imports/show', {
      title: `Import #${job.jobId}`, job, spec, page, show, params: { show }, inProgress: inProgress(job.phase), labels: PHASE_LABELS,
    }, { fragment: 'imports/_rows' });
  });

  app.get('/imports/:id/progress', { schema: { params: JobParams } }, async function importProgress(req: JobRequest, reply: FastifyReply) {
    const job = await loadJob(app, req.user!, req.params.id);
    if (!req.wantsFragment) return reply.redirect(`/imports/${job.jobId}`);
    // The poll ends when the job does: the page reloads to show the outcome.
    if (!inProgress(job.phase)) reply.header('hx-refresh', 'true');
    return reply.page('imports/_progress', { job, inProgress: inProgress(job.phase), labels: PHASE_LABELS });
  });

  app.post('/imports/:id/apply', { schema: { params: JobParams } }, async function applyImport(req: JobRequest, reply) {
    const job = await loadJob(app, req.user!, req.params.id);
    if (job.phase === 'ready' && job.goodRows === 0) throw unprocessable('This file has no good rows to import.');
    const run = startApply(app.db, job.jobId, req.actor(), req.log);
    running.add(run.finished);
    void run.finished.finally(() => running.delete(run.finished));
    await run.claimed;
    return reply.seeOther(`/imports/${job.jobId}`);
  });
}
