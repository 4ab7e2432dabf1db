// CSV imports: the uploaded rows are staged with their validation result, previewed, and then
// the good ones are applied in one transaction (one set-based INSERT … SELECT from the stage).
import { sql } from 'drizzle-orm';
import { pgTable, integer, text, timestamp, jsonb, check, primaryKey, index } from 'drizzle-orm/pg-core';
import { users } from './auth.ts';

export const importKinds = ['products', 'customers'] as const;
export const importStatuses = ['parsing', 'ready', 'applying', 'done', 'failed'] as const;

export const importJobs = pgTable('import_jobs', {
  jobId: integer('job_id').primaryKey().generatedByDefaultAsIdentity(),
  kind: text('kind', { enum: importKinds }).notNull(),
  filename: text('filename').notNull(),
  status: text('status', { enum: importStatuses }).notNull().default('parsing'),
  totalRows: integer('total_rows').notNull().default(0),
  processedRows: integer('processed_rows').notNull().default(0),
  goodRows: integer('good_rows').notNull().default(0),
  badRows: integer('bad_rows').notNull().default(0),
  appliedRows: integer('applied_rows').notNull().default(0),
  message: text('message'),
  createdBy: integer('created_by').references(() => users.userId, { onDelete: 'set null' }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  finishedAt: timestamp('finished_at', { withTimezone: true }),
}, (t) => [
  check('import_jobs_kind_check', sql`${t.kind} in ('products','customers')`),
  check('import_jobs_status_check', sql`${t.status} in ('parsing','ready','applying','done','failed')`),
  index('import_jobs_created_idx').on(t.createdAt),
]);

export const importRows = pgTable('import_rows', {
  jobId: integer('job_id').notNull().references(() => importJobs.jobId, { onDelete: 'cascade' }),
  rowNo: integer('row_no').notNull(),
  data: jsonb('data').notNull(),
  error: text('error'),
}, (t) => [
  primaryKey({ name: 'import_rows_pkey', columns: [t.jobId, t.rowNo] }),
]);
