// Applies a checked job in one transaction: claims it (ready → applying, which also locks its
// row: a second apply waits for it and is refused), marks the good rows whose key was
// stored since the preview, inserts the other good rows with one INSERT … SELECT from the staged
// rows, writes one audit event per created record with one INSERT … SELECT, and closes the job.
// Nothing is half-applied: on any failure the import rolls back to a savepoint and the job is
// marked failed in the same commit.
import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Db, type Tx } from '../../db/client.ts';
import { recordAudit, type Actor } from '../../lib/audit.ts';
import { conflict, pgErrorCode } from '../../lib/errors.ts';
import { toAnswer } from '../../plugins/errors.ts';
import { KINDS, type ImportKind } from './schema.ts';
import { findJob } from './repository.ts';

export const TAKEN_SINCE_PREVIEW = 'already exists: it was added after this file was checked, so the row was skipped.';

const iso = (column: SQL) => sql`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** Marks the good rows whose key was stored since the preview (one index probe per row, a plan
 * that stays right however stale the planner's statistics on import_rows are). */
function markTakenStatement(kind: ImportKind, jobId: number): SQL {
  const spec = KINDS[kind];
  const taken = kind === 'customers'
    ? sql`exists (select 1 from customers c where lower(c.email_address) = lower(r.data->>'emailAddress'))`
    : sql`exists (select 1 from products p where upper(p.sku) = r.data->>'sku')`;
  const reason = `${spec.columns.find((c) => c.field === spec.key)!.header}: a ${spec.noun} with this ${spec.keyLabel} ${TAKEN_SINCE_PREVIEW}`;
  return sql`
    with marked as (
      update import_rows r set error = ${reason}::text
      where r.job_id = ${jobId}::int and r.error is null and ${taken}
      returning 1)
    select count(*)::int as n from marked`;
}

/** INSERT … SELECT of the job's good rows in file order, and one audit event per created record
 * (its `after` has the record's fields, as the forms' audit events do) from the RETURNING rows. */
function insertStatement(kind: ImportKind, jobId: number, actor: Actor): SQL {
  const audit = (entity: string, id: SQL, after: SQL) => sql`
    insert into audit_events (actor_id, actor_email, action, entity, entity_id, after, request_id, ip)
    select ${actor.userId}::int, ${actor.email}::text, 'create', ${entity}::text, ${id}::text, ${after},
      ${actor.requestId ?? null}::text, ${actor.ip ?? null}::text
    from ins order by ${id}`;
  const good = sql`from import_rows r where r.job_id = ${jobId}::int and r.error is null order by r.row_no`;
  const counts = sql`select (select count(*) from ins)::int as applied, (select count(*) from audited)::int as audited`;
  if (kind === 'customers') {
    return sql`
      with ins as (
        insert into customers (email_address, full_name)
        select r.data->>'emailAddress', r.data->>'fullName' ${good}
        returning customer_id, email_address, full_name, version, created_at, updated_at
      ), audited as (${audit('customer', sql`ins.customer_id`, sql`jsonb_build_object(
          'customerId', ins.customer_id, 'emailAddress', ins.email_address, 'fullName', ins.full_name,
          'version', ins.version, 'createdAt', ${iso(sql`ins.created_at`)}, 'updatedAt', ${iso(sql`ins.updated_at`)})`)}
        returning 1)
      ${counts}`;
  }
  return sql`
    with ins as (
      insert into products (sku, product_name, unit_price, colour, brand, size, rating)
      select r.data->>'sku', r.data->>'productName', (r.data->>'unitPrice')::numeric, r.data->>'colour',
        r.data->>'brand', r.data->>'size', (r.data->>'rating')::smallint ${good}
      returning product_id, sku, product_name, unit_price, colour, brand, size, rating, active, version, created_at, updated_at
    ), audited as (${audit('product', sql`ins.product_id`, sql`jsonb_build_object(
        'productId', ins.product_id, 'sku', ins.sku, 'productName', ins.product_name, 'unitPrice', ins.unit_price::text,
        'colour', ins.colour, 'brand', ins.brand, 'size', ins.size, 'rating', ins.rating, 'active', ins.active,
        'version', ins.version, 'createdAt', ${iso(sql`ins.created_at`)}, 'updatedAt', ${iso(sql`ins.updated_at`)})`)}
      returning 1)
    ${counts}`;
}

class NotReady extends Error {}

interface ClaimedJob { kind: ImportKind; filename: string; totalRows: number; badRows: number }

/** The import proper, run in a savepoint of the claiming transaction. */
async function importRows(tx: Tx, jobId: number, job: ClaimedJob, actor: Actor) {
  const [marked] = await queryRows<{ n: number }>(tx, markTakenStatement(job.kind, jobId));
  const skipped = marked!.n;
  // A key stored by another transaction after the marking (it commits while this one runs)
  // makes this INSERT fail on the unique index: the whole import rolls back.
  const [counts] = await queryRows<{ applied: number }>(tx, insertStatement(job.kind, jobId, actor));
  const { applied } = counts!;
  await recordAudit(tx, actor, {
    action: 'import', entity: 'import_job', entityId: jobId,
    after: { kind: job.kind, filename: job.filename, rows: job.totalRows, imported: applied, skipped, badRows: job.badRows + skipped },
  });
  await tx.execute(sql`
    update import_jobs set status = 'done', applied_rows = ${applied}::int, good_rows = ${applied}::int,
      bad_rows = bad_rows + ${skipped}::int, finished_at = now(),
      message = ${skipped ? `${skipped} ${skipped === 1 ? 'row was' : 'rows were'} skipped: the ${KINDS[job.kind].keyLabel} was added after the file was checked.` : null}::text
    where job_id = ${jobId}`);
}

function failureMessage(kind: ImportKind, err: unknown): string {
  const spec = KINDS[kind];
  const reason = pgErrorCode(err) === '23505'
    ? `another user added a ${spec.noun} with one of these ${spec.keyLabel}s while it ran. Upload the file again to check it afresh.`
    : toAnswer(err).message;
  return `The import failed and nothing was imported: ${reason}`;
}

async function applyInTransaction(tx: Tx, jobId: number, actor: Actor, log: Log, onClaimed: () => void) {
  // A plain conditional UPDATE, not SKIP LOCKED: a page view or progress poll holds the row FOR
  // SHARE for an instant, and SKIP LOCKED would take that for an apply in progress and refuse
  // both of two simultaneous applies. This waits out such readers; behind another apply it waits
  // for that commit (then finds the job no longer ready) or gives up at the lock timeout.
  const [job] = await queryRows<ClaimedJob>(tx, sql`
    update import_jobs set status = 'applying' where job_id = ${jobId} and status = 'ready'
    returning kind, filename, total_rows as "totalRows", bad_rows as "badRows"`)
    .catch((err: unknown) => { throw pgErrorCode(err) === '55P03' ? new NotReady() : err; });
  if (!job) throw new NotReady();
  onClaimed();
  try {
    await tx.transaction((sp) => importRows(sp, jobId, job, actor));
  } catch (err) {
    // Rolled back to the savepoint: the job row stays locked, so nobody sees it "ready" again
    // before it is marked failed in the same commit. If the connection itself is gone, the
    // whole transaction rolls back and the job is simply ready again.
    log.error({ err, jobId }, 'import apply failed');
    await tx.execute(sql`update import_jobs set status = 'failed', message = ${failureMessage(job.kind, err)}::text,
      finished_at = now() where job_id = ${jobId}`);
  }
}

async function refusalFor(db: Db, jobId: number) {
  const job = await findJob(db, jobId);
  const reason = job?.phase === 'done' ? 'This file has already been imported.'
    : job?.phase === 'applying' ? 'This file is being imported right now.'
      : job?.phase === 'failed' || job?.phase === 'interrupted' ? 'This import did not complete; upload the file again.'
        : 'This file is still being checked.';
  return conflict(reason);
}

export interface ApplyRun {
  /** Resolves once the job is claimed (a page loaded after it shows the import running);
   * rejects with 409 when the job is not ready to apply. */
  claimed: Promise<void>;
  /** Settles when the transaction has committed or the job has been marked failed. */
  finished: Promise<void>;
}

type Log = { error(obj: unknown, msg: string): void };

/** Starts applying the job. The caller answers as soon as `claimed` resolves; the progress bar
 * follows the rest through the database, so any server process can answer its polls. */
export function startApply(db: Db, jobId: number, actor: Actor, log: Log): ApplyRun {
  let claim!: { resolve: () => void; reject: (err: unknown) => void };
  const claimed = new Promise<void>((resolve, reject) => { claim = { resolve, reject }; });
  let isClaimed = false;
  const finished = db.transaction((tx) => applyInTransaction(tx, jobId, actor, log, () => { isClaimed = true; claim.resolve(); }))
    .catch(async (err) => {
      if (err instanceof NotReady) return claim.reject(await refusalFor(db, jobId).catch((e: unknown) => e));
      if (!isClaimed) return claim.reject(err);
      log.error({ err, jobId }, 'import apply transaction lost; the job is ready again');
    });
  return { claimed, finished };
}
