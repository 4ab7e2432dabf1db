// CSV imports of products and customers (admin and staff): the list of recent imports, the
// upload page and templates, and the upload itself, which is parsed and checked while it
// streams in. The job pages (preview, progress, apply) are in job-routes.ts. Multipart parsing is
// registered here only, so no other route accepts file uploads.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import { allPages } from '../../lib/list.ts';
import { sendCsv, wantsCsv, type CsvColumn } from '../../lib/csv.ts';
import { HttpError, badRequest, unprocessable } from '../../lib/errors.ts';
import { KINDS, JobsQuery, NewQuery, isImportKind, templateCsv, type ImportKind } from './schema.ts';
import { PHASE_LABELS, deleteJob, listJobs, type JobListRow } from './repository.ts';
import { MAX_FILE_MB, fileTooLarge, stageCsv, type StageResult } from './parse.ts';
import jobRoutes from './job-routes.ts';

const jobCsvColumns: CsvColumn<JobListRow>[] = [
  { header: 'jobId', value: (r) => r.jobId },
  { header: 'kind', value: (r) => r.kind },
  { header: 'filename', value: (r) => r.filename },
  { header: 'status', value: (r) => r.status },
  { header: 'totalRows', value: (r) => r.totalRows },
  { header: 'goodRows', value: (r) => r.goodRows },
  { header: 'badRows', value: (r) => r.badRows },
  { header: 'appliedRows', value: (r) => r.appliedRows },
  { header: 'createdBy', value: (r) => r.createdByEmail ?? '' },
  { header: 'createdAt', value: (r) => r.createdAt.toISOString() },
];

/** Room for the form fields and part headers around the file (fields are limited to 1 KB each). */
const MULTIPART_OVERHEAD = 64 * 1024;

/** Multipart errors of the upload that are the uploader's to fix. */
function uploadProblem(err: unknown): HttpError | null {
  if (err instanceof HttpError) return err;
  const code = (err as { code?: string }).code;
  if (code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') {
    return new HttpError(413, 'Upload one CSV file at a time.');
  }
  if (code === 'FST_INVALID_MULTIPART_CONTENT_TYPE') return unprocessable('Upload the file with the form on this page.');
  // busboy's errors for a body that is not well-formed multipart (cut off, no boundary).
  const status = (err as { statusCode?: number }).statusCode;
  const message = err instanceof Error ? err.message : '';
  if ((status && status >= 400 && status < 500) || /multipart|boundary|part header|terminated early|end of form/i.test(message)) {
    return badRequest('The upload was incomplete or malformed. Choose the file and try again.');
  }
  return null;
}

export default async function importsRoutes(app: FastifyInstance) {
  await app.register(multipart, {
    limits: { fileSize: MAX_FILE_MB * 1024 * 1024, files: 1, fields: 5, fieldSize: 1024, parts: 10, headerPairs: 100 },
  });

  function uploadPage(reply: FastifyReply, kind: ImportKind, opts: { status?: number; message?: string } = {}) {
    const spec = KINDS[kind];
    return reply.page('imports/new', { title: `Import ${spec.kind}`, spec, uploadError: opts.message, maxFileMb: MAX_FILE_MB },
      { fragment: 'imports/_upload-form', status: opts.status });
  }

  app.get('/imports', { schema: { querystring: JobsQuery } }, async function listImports(req: FastifyRequest<{ Querystring: JobsQuery }>, reply) {
    const user = req.user!;
    if (wantsCsv(req.query, req.headers.accept)) {
      return sendCsv(reply, 'imports.csv', jobCsvColumns, allPages((cursor) => listJobs(app.db, user, { cursor, limit: 200 })));
    }
    const page = await listJobs(app.db, user, req.query);
    return reply.page('imports/index', { title: 'Imports', page, params: {}, kinds: Object.values(KINDS), labels: PHASE_LABELS }, { fragment: 'imports/_jobs' });
  });

  app.get('/imports/new', { schema: { querystring: NewQuery } }, async function newImport(req: FastifyRequest<{ Querystring: NewQuery }>, reply) {
    if (!isImportKind(req.query.kind)) return reply.redirect('/imports');
    return uploadPage(reply, req.query.kind);
  });

  for (const spec of Object.values(KINDS)) {
    app.get(`/imports/template/${spec.kind}.csv`, async function downloadTemplate(_req, reply) {
      return reply.header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${spec.kind}-template.csv"`)
        .send(templateCsv(spec));
    });
  }

  app.post('/imports', async function uploadImport(req, reply) {
    let kind: ImportKind | undefined;
    let staged: StageResult | undefined;
    try {
      // A declared length far over the limit is refused before anything is read; without one
      // (chunked upload), the parser stops at the limit.
      if (Number(req.headers['content-length']) > MAX_FILE_MB * 1024 * 1024 + MULTIPART_OVERHEAD) throw fileTooLarge();
      for await (const part of req.parts()) {
        if (part.type === 'field') {
          if (part.fieldname === 'kind' && isImportKind(part.value)) kind = part.value;
          continue;
        }
        // The form sends `kind` before the file, so the file can be parsed as it arrives.
        if (!kind) throw unprocessable('Choose whether the file holds products or customers.');
        if (part.fieldname !== 'file' || !part.filename || staged) { part.file.resume(); continue; }
        staged = await stageCsv(app.db, {
          kind, filename: part.filename.slice(-200), userId: req.user!.id, file: part.file,
          sizeHint: Number(req.headers['content-length']) || undefined,
        });
      }
      if (!staged) throw unprocessable('Choose a CSV file to upload.');
    } catch (err) {
      // Refused after a file was already staged (a second file follows it): keep nothing.
      if (staged) await deleteJob(app.db, staged.jobId);
      const problem = uploadProblem(err);
      if (!problem || problem.statusCode >= 500) throw err;
      req.log.info({ statusCode: problem.statusCode, msg: problem.message }, 'import refused');
      return uploadPage(reply, kind ?? 'products', { status: problem.statusCode, message: problem.message });
    }
    const url = `/imports/${staged.jobId}`;
    const summary = `Checked ${staged.total.toLocaleString('en')} ${staged.total === 1 ? 'row' : 'rows'}: `
      + `${staged.good.toLocaleString('en')} ready to import, ${staged.bad.toLocaleString('en')} with problems.`;
    if (req.headers['hx-request'] === 'true') {
      // htmx would follow a 303 inside the XHR and swap the next page into the form.
      reply.flash('success', summary);
      return reply.header('hx-redirect', url).code(204).send();
    }
    return reply.seeOther(url, summary);
  });

  await app.register(jobRoutes);
}
