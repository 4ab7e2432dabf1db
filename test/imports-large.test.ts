// A large customer file: parsed while it streams in without blocking other requests, then
// applied in one transaction. 100,000 rows on PostgreSQL (TEST_DATABASE_URL); 20,000 on PGlite,
// whose single connection runs in this process and makes the full size slow on a busy machine
// (about 100 s on a busy two-core machine). IMPORT_TEST_ROWS overrides; timings go to the TAP log.
import t from 'tap';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import { buildTestApp, makeUser, Client } from './helper.ts';
import { queryRows } from '../src/db/client.ts';
import { upload, jobIdOf, jobRow, settledJob, count } from './fixtures/imports-upload.ts';

const ROWS = Number(process.env.IMPORT_TEST_ROWS) || (process.env.TEST_DATABASE_URL ? 100_000 : 20_000);

t.test(`${ROWS.toLocaleString('en')} rows: parsed without blocking the server, applied at once`, async (t) => {
  const { app, database } = await buildTestApp(t);
  const admin = await makeUser(app, 'admin');
  const client = new Client(app);
  await client.login(admin.email, admin.password);
  await client.get('/imports');

  const lines = ['email_address,full_name'];
  for (let i = 0; i < ROWS; i++) lines.push(`bulk${i}@example.test,Bulk Customer ${i}`);
  const csv = `${lines.join('\n')}\n`;
  const customersBefore = await count(app, sql`select count(*) as n from customers`);

  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const started = Date.now();
  let uploadDone = false;
  const uploading = upload(client, 'customers', csv, { filename: 'bulk.csv' }).then((res) => { uploadDone = true; return res; });

  // Once the first chunk is stored, other requests must still be answered.
  let jobId = 0;
  while (!jobId) {
    const rows = await queryRows<{ jobId: number; processed: number }>(app.db, sql`
      select job_id as "jobId", processed_rows as processed from import_jobs order by job_id desc limit 1`);
    if (rows[0] && rows[0].processed > 0) jobId = rows[0].jobId;
    else await new Promise((r) => setTimeout(r, 10));
    if (uploadDone) throw new Error(`the upload ended before its progress was seen: ${(await uploading).statusCode}`);
  }
  const health = await app.inject({ method: 'GET', url: '/health' });
  // 'up' whether or not migrations are current (a migration added mid-run makes it 503 'degraded').
  t.equal(health.json().database, 'up', '/health answers during the parse, with a database query');
  t.notOk(uploadDone, '…before the upload has finished');
  const progress = await client.get(`/imports/${jobId}/progress`, { 'hx-request': 'true' });
  t.equal(progress.statusCode, 200);
  t.match(progress.body, 'data-phase="parsing"', 'the progress fragment shows the parse running');
  t.match(progress.body, 'hx-trigger="every 1s"');
  t.match(progress.body, /<progress id="imports-progress-bar" value="\d+" max="\d+">/);
  t.notOk(uploadDone, 'the page was served during the parse too');

  const res = await uploading;
  const parseMs = Date.now() - started;
  lag.disable();
  t.equal(res.statusCode, 303);
  t.equal(jobIdOf(res.headers.location), jobId);
  t.match(await jobRow(app, jobId), { status: 'ready', totalRows: ROWS, processedRows: ROWS, goodRows: ROWS, badRows: 0 });

  const page = await client.get(`/imports/${jobId}`);
  t.match(page.body, `Import ${ROWS.toLocaleString('en')} good rows`);
  const applyStarted = Date.now();
  const applied = await client.post(`/imports/${jobId}/apply`);
  t.equal(applied.statusCode, 303);
  const done = await settledJob(app, jobId, 600_000);
  const applyMs = Date.now() - applyStarted;
  t.match(done, { status: 'done', appliedRows: ROWS });
  t.equal(await count(app, sql`select count(*) as n from customers`), customersBefore + ROWS);
  t.equal(await count(app, sql`select count(*) as n from audit_events where entity = 'customer' and action = 'create' and actor_id = ${admin.id}`), ROWS);
  t.comment(`${database.driver}: parse ${ROWS} rows ${parseMs} ms, apply ${applyMs} ms, `
    + `event-loop delay max ${(lag.max / 1e6).toFixed(0)} ms, p99 ${(lag.percentile(99) / 1e6).toFixed(0)} ms`);
});
