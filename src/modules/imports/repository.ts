// Import jobs and their staged rows: the job as the pages show it (with the phase derived from
// the committed status and the apply transaction's row lock), keyset-paginated lists of jobs and
// rows, and the set-based statements the parser runs per chunk.
import { and, eq, isNotNull, isNull, sql } from 'drizzle-orm';
import { importJobs, importRows, users } from '../../db/schema/index.ts';
import { queryRows, type Db } from '../../db/client.ts';
import { planKeyset, toPage, allOf, type Keyset, type Page } from '../../lib/list.ts';
import type { CurrentUser } from '../../lib/access.ts';
import type { ImportKind } from './schema.ts';

/** A parse still marked "parsing" after this long lost its process (crash, restart): a 20 MB
 * file takes minutes at most. The job is shown as interrupted and cannot be applied. */
export const STALE_PARSE_MINUTES = 30;

export type JobStatus = (typeof importJobs.$inferSelect)['status'];
/** What the pages show: the stored status, plus "applying" while an apply transaction holds the
 * job (its status change is not committed yet) and "interrupted" for a lost parse. */
export type JobPhase = JobStatus | 'interrupted';

export const PHASE_LABELS: Record<JobPhase, string> = {
  parsing: 'Checking the file',
  ready: 'Checked, ready to import',
  applying: 'Importing',
  done: 'Imported',
  failed: 'Failed',
  interrupted: 'Interrupted',
};

export interface JobView {
  jobId: number;
  kind: ImportKind;
  filename: string;
  status: JobStatus;
  phase: JobPhase;
  totalRows: number;
  processedRows: number;
  goodRows: number;
  badRows: number;
  appliedRows: number;
  message: string | null;
  createdBy: number | null;
  createdByEmail: string | null;
  createdAt: Date;
  finishedAt: Date | null;
}

export const inProgress = (phase: JobPhase): boolean => phase === 'parsing' || phase === 'applying';

export async function createJob(db: Db, input: { kind: ImportKind; filename: string; createdBy: number }): Promise<number> {
  const [row] = await db.insert(importJobs).values({ ...input, status: 'parsing' }).returning({ jobId: importJobs.jobId });
  return row!.jobId;
}

/** A refused file leaves nothing behind (its staged rows go with the job). */
export async function deleteJob(db: Db, jobId: number): Promise<void> {
  await db.delete(importJobs).where(eq(importJobs.jobId, jobId));
}

export async function findJob(db: Db, jobId: number): Promise<JobView | null> {
  // FOR SHARE SKIP LOCKED finds nothing while the apply transaction holds the row (it updated
  // it first thing): that, not a committed status, is what "applying" means, so a process that
  // dies mid-apply leaves a job that is simply ready again (its transaction rolled back).
  const rows = await queryRows<JobView & { locked: boolean; stale: boolean }>(db, sql`
    select j.job_id as "jobId", j.kind, j.filename, j.status, j.total_rows as "totalRows",
      j.processed_rows as "processedRows", j.good_rows as "goodRows", j.bad_rows as "badRows",
      j.applied_rows as "appliedRows", j.message, j.created_by as "createdBy", u.email as "createdByEmail",
      j.created_at as "createdAt", j.finished_at as "finishedAt",
      (j.status = 'ready' and not exists (
        select 1 from import_jobs l where l.job_id = j.job_id for share skip locked)) as locked,
      (j.status = 'parsing' and j.created_at < now() - make_interval(mins => ${STALE_PARSE_MINUTES})) as stale
    from import_jobs j left join users u on u.user_id = j.created_by
    where j.job_id = ${jobId}`);
  const row = rows[0];
  if (!row) return null;
  const { locked, stale, ...job } = row;
  const phase: JobPhase = locked ? 'applying' : stale ? 'interrupted' : job.status;
  return { ...job, createdAt: new Date(job.createdAt), finishedAt: job.finishedAt ? new Date(job.finishedAt) : null, phase };
}

export type JobListRow = Omit<JobView, 'phase' | 'processedRows' | 'message' | 'finishedAt'>;

const jobKeyset: Keyset<JobListRow> = {
  sorts: { jobId: { expr: sql`${importJobs.jobId}`, value: (r) => r.jobId, type: 'int' } },
  defaultSort: 'jobId',
  defaultOrder: 'desc',
  id: sql`${importJobs.jobId}`,
  idOf: (r) => r.jobId,
};

/** Recent jobs, newest first: the viewer's own, or everyone's for an admin. */
export async function listJobs(db: Db, user: CurrentUser, query: { cursor?: string; limit?: number }): Promise<Page<JobListRow>> {
  const plan = planKeyset(jobKeyset, { ...query, limit: query.limit ?? 25 });
  const rows = await db.select({
    jobId: importJobs.jobId, kind: importJobs.kind, filename: importJobs.filename, status: importJobs.status,
    totalRows: importJobs.totalRows, goodRows: importJobs.goodRows, badRows: importJobs.badRows,
    appliedRows: importJobs.appliedRows, createdBy: importJobs.createdBy, createdByEmail: users.email,
    createdAt: importJobs.createdAt,
  }).from(importJobs).leftJoin(users, eq(users.userId, importJobs.createdBy))
    .where(allOf(user.role === 'admin' ? undefined : eq(importJobs.createdBy, user.id), plan.where))
    .orderBy(...plan.orderBy).limit(plan.limit);
  return toPage(jobKeyset, plan, rows, !!query.cursor);
}

export interface StagedRow { rowNo: number; data: Record<string, unknown>; error: string | null }

const rowKeyset: Keyset<StagedRow> = {
  sorts: { rowNo: { expr: sql`${importRows.rowNo}`, value: (r) => r.rowNo, type: 'int' } },
  defaultSort: 'rowNo',
  defaultOrder: 'asc',
  id: sql`${importRows.rowNo}`,
  idOf: (r) => r.rowNo,
};

/** One page of the job's rows with problems (or of its good rows), in file order. */
export async function listRows(db: Db, jobId: number, show: 'bad' | 'good', query: { cursor?: string; limit?: number }): Promise<Page<StagedRow>> {
  const plan = planKeyset(rowKeyset, query);
  const rows = await db.select({ rowNo: importRows.rowNo, data: importRows.data, error: importRows.error })
    .from(importRows)
    .where(allOf(eq(importRows.jobId, jobId), show === 'bad' ? isNotNull(importRows.error) : isNull(importRows.error), plan.where))
    .orderBy(...plan.orderBy).limit(plan.limit);
  return toPage(rowKeyset, plan, rows as StagedRow[], !!query.cursor);
}

/** A checked row on its way to the stage: its problems so far (without the final period) and,
 * when it is the first row with a valid key, that key to look up in the database. */
export interface ChunkRow { rowNo: number; data: Record<string, unknown>; problems: string | null; key: string | null }

/** Stores one chunk of checked rows and moves the job's counters in ONE statement (one round
 * trip, atomic without an explicit transaction): each key is looked up through the unique index
 * and, when it is already stored, `takenMessage` joins the row's problems. */
export async function stageChunk(db: Db, job: { jobId: number; kind: ImportKind }, rows: ChunkRow[], takenMessage: string, totalEstimate: number): Promise<void> {
  const taken = job.kind === 'customers'
    ? sql`exists (select 1 from customers c where lower(c.email_address) = s.key)`
    : sql`exists (select 1 from products p where upper(p.sku) = s.key)`;
  const json = JSON.stringify(rows.map((r) => ({ row_no: r.rowNo, data: r.data, problems: r.problems, key: r.key })));
  await db.execute(sql`
    with staged as (
      insert into import_rows (job_id, row_no, data, error)
      select ${job.jobId}::int, s.row_no, s.data,
        nullif(concat_ws('; ', s.problems, case when s.key is not null and ${taken} then ${takenMessage}::text end), '') || '.'
      from jsonb_to_recordset(${json}::jsonb) as s(row_no int, data jsonb, problems text, key text)
      returning error)
    update import_jobs set
      processed_rows = processed_rows + ${rows.length}::int,
      good_rows = good_rows + (select count(*) from staged where error is null)::int,
      bad_rows = bad_rows + (select count(*) from staged where error is not null)::int,
      total_rows = greatest(processed_rows + ${rows.length}::int, ${Math.round(totalEstimate)}::int)
    where job_id = ${job.jobId}::int`);
}

/** Closes the parse; the counts are the stored ones (the database decided "already exists"). */
export async function finishParse(db: Db, jobId: number): Promise<{ total: number; good: number; bad: number }> {
  const [row] = await db.update(importJobs).set({ status: 'ready', totalRows: sql`${importJobs.processedRows}` })
    .where(and(eq(importJobs.jobId, jobId), eq(importJobs.status, 'parsing')))
    .returning({ total: importJobs.totalRows, good: importJobs.goodRows, bad: importJobs.badRows });
  return row!;
}
