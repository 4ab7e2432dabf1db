// CSV imports: CSRF, who may see and apply a job, applying twice or after the data changed,
// htmx answers, and the pages around the upload.
import t from 'tap';
import { sql } from 'drizzle-orm';
import { customers } from '../src/db/schema/index.ts';
import { importsTestApp, upload, jobIdOf, jobRow, settledJob, count } from './fixtures/imports-upload.ts';
import { csvLines } from './csv-rows.ts';

const { app, clients, uploadOk, apply, jobCount } = await importsTestApp(t);
const { admin: adminClient, staff: staffClient, otherStaff: otherClient } = clients;

t.test('CSRF: an upload without the token is refused', async (t) => {
  const before = await jobCount();
  const res = await upload(staffClient, 'customers', 'email_address,full_name\nx@csrf.test,X\n', { csrf: false });
  t.equal(res.statusCode, 403);
  const wrong = await upload(staffClient, 'customers', 'email_address,full_name\nx@csrf.test,X\n', { csrf: 'forged' });
  t.equal(wrong.statusCode, 403);
  t.equal(await jobCount(), before);
  const jobId = await uploadOk(staffClient, 'customers', 'email_address,full_name\ny@csrf.test,Y\n');
  const apply = await staffClient.post(`/imports/${jobId}/apply`, {}, { csrf: false });
  t.equal(apply.statusCode, 403);
  t.match(await jobRow(app, jobId), { status: 'ready', appliedRows: 0 });
});

t.test('without JavaScript the form posts with the token in the query string', async (t) => {
  const page = await staffClient.get('/imports/new?kind=customers');
  const action = /action="([^"]+)"/.exec(page.body.slice(page.body.indexOf('id="imports-upload-form"')))![1]!.replace(/&amp;/g, '&');
  t.match(action, /^\/imports\?_csrf=/);
  const forged = await upload(staffClient, 'customers', 'email_address,full_name\nnojs@example.test,No Script\n', { csrf: false, url: '/imports?_csrf=forged' });
  t.equal(forged.statusCode, 403);
  const res = await upload(staffClient, 'customers', 'email_address,full_name\nnojs@example.test,No Script\n', { csrf: false, url: action });
  t.equal(res.statusCode, 303);
});

t.test('only the uploader or an admin can see or apply a job; customers cannot import', async (t) => {
  const jobId = await uploadOk(staffClient, 'customers', 'email_address,full_name\nmine@example.test,Mine\n');
  for (const url of [`/imports/${jobId}`, `/imports/${jobId}/progress`, `/imports/${jobId}?format=csv`]) {
    const res = await otherClient.get(url, { 'hx-request': 'true' });
    t.equal(res.statusCode, 403, url);
  }
  const refused = await otherClient.post(`/imports/${jobId}/apply`);
  t.equal(refused.statusCode, 403);
  t.match(refused.body, 'Only the person who uploaded this file, or an administrator');
  t.match(await jobRow(app, jobId), { status: 'ready', appliedRows: 0 });

  const list = await otherClient.get('/imports');
  t.notMatch(list.body, `imports-job-${jobId}"`, 'other staff do not see the job in the list');
  const mine = await staffClient.get('/imports');
  t.match(mine.body, `imports-job-${jobId}"`);
  const all = await adminClient.get('/imports');
  t.match(all.body, `imports-job-${jobId}"`, 'admins see every job');
  t.equal((await adminClient.get(`/imports/${jobId}`)).statusCode, 200);

  const missing = await staffClient.get('/imports/999999');
  t.equal(missing.statusCode, 404);

  const shopperClient = clients.shopper;
  t.equal((await shopperClient.get('/imports')).statusCode, 403);
  t.equal((await shopperClient.get(`/imports/${jobId}`)).statusCode, 403);
  const before = await jobCount();
  const up = await upload(shopperClient, 'customers', 'email_address,full_name\nshop@example.test,Shop\n');
  t.equal(up.statusCode, 403);
  t.equal(await jobCount(), before);
  const anon = await app.inject({ method: 'GET', url: '/imports' });
  t.equal(anon.statusCode, 303, 'anonymous visitors go to the login page');
});

t.test('applying twice: the second is refused and nothing is duplicated', async (t) => {
  const jobId = await uploadOk(staffClient, 'customers', 'email_address,full_name\ntwice@example.test,Twice\n');
  t.equal((await apply(staffClient, jobId)).statusCode, 303);
  await settledJob(app, jobId);
  const again = await staffClient.post(`/imports/${jobId}/apply`);
  t.equal(again.statusCode, 409);
  t.match(again.body, 'This file has already been imported.');
  t.equal(await count(app, sql`select count(*) as n from customers where email_address = 'twice@example.test'`), 1);

  // Two applies at the same moment: one imports, the other waits for it and is refused.
  const jobB = await uploadOk(staffClient, 'customers', 'email_address,full_name\nrace@example.test,Race\n');
  await staffClient.get(`/imports/${jobB}`);
  const both = await Promise.all([staffClient.post(`/imports/${jobB}/apply`), staffClient.post(`/imports/${jobB}/apply`)]);
  t.same(both.map((r) => r.statusCode).sort(), [303, 409]);
  await settledJob(app, jobB);
  t.equal(await count(app, sql`select count(*) as n from customers where email_address = 'race@example.test'`), 1);
  t.equal(await count(app, sql`select count(*) as n from audit_events where action = 'import' and entity_id = ${String(jobB)}`), 1);
});

t.test('a reader holding the job row for an instant does not make an apply look like a second one', { skip: !app.database.pool && 'needs a server: PGlite has one connection' }, async (t) => {
  // The progress poll and the job page read the row FOR SHARE to tell an apply in progress;
  // the claim once skipped such a row (SKIP LOCKED) and answered "being imported right now".
  const jobId = await uploadOk(staffClient, 'customers', 'email_address,full_name\nreader@example.test,Reader\n');
  await staffClient.get(`/imports/${jobId}`);
  const reader = await app.database.pool!.connect();
  try {
    await reader.query('begin');
    await reader.query('select 1 from import_jobs where job_id = $1 for share', [jobId]);
    const applying = staffClient.post(`/imports/${jobId}/apply`);
    await new Promise((r) => setTimeout(r, 200));
    await reader.query('commit');
    t.equal((await applying).statusCode, 303);
  } finally { reader.release(); }
  t.match(await settledJob(app, jobId), { status: 'done', appliedRows: 1 });
});

t.test('rows that became duplicates after the preview are skipped and marked at apply', async (t) => {
  const jobId = await uploadOk(staffClient, 'customers', 'email_address,full_name\nlate@example.test,Late\nfine@example.test,Fine\n');
  await app.db.insert(customers).values({ emailAddress: 'LATE@example.test', fullName: 'Created meanwhile' });
  t.equal((await apply(staffClient, jobId)).statusCode, 303);
  const job = await settledJob(app, jobId);
  t.match(job, { status: 'done', appliedRows: 1, goodRows: 1, badRows: 1 });
  t.match(job.message, '1 row was skipped');
  const [row] = (await app.db.execute(sql`select error from import_rows where job_id = ${jobId} and row_no = 2`) as unknown as { rows: Array<{ error: string }> }).rows;
  t.match(row!.error, 'already exists: it was added after this file was checked');
  t.equal(await count(app, sql`select count(*) as n from customers where lower(email_address) = 'late@example.test'`), 1);
  t.equal(await count(app, sql`select count(*) as n from audit_events where entity = 'customer' and after->>'emailAddress' = 'late@example.test'`), 0);
});

t.test('an apply that fails changes nothing and marks the job failed', async (t) => {
  const jobId = await uploadOk(staffClient, 'products', 'sku,product_name,unit_price\nFAIL-1,First,1.00\nFAIL-2,Second,2.00\n');
  // A staged value the database refuses (a bug, or data changed under the job): the CHECK fails.
  await app.db.execute(sql`update import_rows set data = jsonb_set(data, '{unitPrice}', '"-5"') where job_id = ${jobId} and row_no = 3`);
  const auditsBefore = await count(app, sql`select count(*) as n from audit_events`);
  t.equal((await apply(staffClient, jobId)).statusCode, 303);
  const job = await settledJob(app, jobId);
  t.match(job, { status: 'failed', appliedRows: 0 });
  t.match(job.message, /^The import failed and nothing was imported: /);
  t.equal(await count(app, sql`select count(*) as n from products where sku like 'FAIL-%'`), 0, 'the first row was rolled back too');
  t.equal(await count(app, sql`select count(*) as n from audit_events`), auditsBefore, 'no audit event survives');
  const page = await staffClient.get(`/imports/${jobId}`);
  t.match(page.body, 'data-phase="failed"');
  t.match(page.body, 'Upload the file again');
  const again = await staffClient.post(`/imports/${jobId}/apply`);
  t.equal(again.statusCode, 409);
  t.match(again.body, 'This import did not complete; upload the file again.');
});

t.test('a job without good rows cannot be applied', async (t) => {
  const jobId = await uploadOk(staffClient, 'customers', 'email_address,full_name\nbroken,Broken\n');
  const page = await staffClient.get(`/imports/${jobId}`);
  t.match(page.body, 'No row can be imported.');
  const res = await staffClient.post(`/imports/${jobId}/apply`);
  t.equal(res.statusCode, 422);
  t.match(await jobRow(app, jobId), { status: 'ready', appliedRows: 0 });
});

t.test('htmx: upload redirects by header, refusals swap the form, progress and rows fragments', async (t) => {
  const ok = await upload(staffClient, 'customers', 'email_address,full_name\nhx@example.test,Hx\n', { htmx: true });
  t.equal(ok.statusCode, 204);
  const jobId = jobIdOf(ok.headers['hx-redirect']);
  t.ok(jobId > 0, 'HX-Redirect to the job page');

  const bad = await upload(staffClient, 'customers', 'nope\n1\n', { htmx: true });
  t.equal(bad.statusCode, 422);
  t.notMatch(bad.body, '<html');
  t.match(bad.body, /^<form id="imports-upload-form"/m);
  t.match(bad.body, 'unknown column &quot;nope&quot;');

  const progress = await staffClient.get(`/imports/${jobId}/progress`, { 'hx-request': 'true' });
  t.equal(progress.statusCode, 200);
  t.match(progress.body, 'id="imports-progress"');
  t.notMatch(progress.body, '<html');
  t.equal(progress.headers['hx-refresh'], 'true', 'a settled job ends the polling with a reload');
  t.notMatch(progress.body, 'hx-trigger');
  const plain = await staffClient.get(`/imports/${jobId}/progress`);
  t.equal(plain.statusCode, 302);

  // A job still being parsed polls.
  await app.db.execute(sql`update import_jobs set status = 'parsing' where job_id = ${jobId}`);
  const polling = await staffClient.get(`/imports/${jobId}/progress`, { 'hx-request': 'true' });
  t.match(polling.body, 'hx-trigger="every 1s"');
  t.match(polling.body, '<progress id="imports-progress-bar"');
  t.notOk(polling.headers['hx-refresh']);
  // …unless its process is gone: a parse older than the limit shows as interrupted.
  await app.db.execute(sql`update import_jobs set created_at = now() - interval '2 hours' where job_id = ${jobId}`);
  const stale = await staffClient.get(`/imports/${jobId}`);
  t.match(stale.body, 'data-phase="interrupted"');
  t.equal((await staffClient.post(`/imports/${jobId}/apply`)).statusCode, 409, 'an interrupted job cannot be applied');
});

t.test('pages: list, upload form, templates, CSV of jobs', async (t) => {
  const list = await staffClient.get('/imports');
  t.equal(list.statusCode, 200);
  t.match(list.body, 'href="/imports/new?kind=products"');
  t.match(list.body, 'href="/imports/new?kind=customers"');
  t.match(list.body, 'href="/imports/template/products.csv"');
  const form = await staffClient.get('/imports/new?kind=products');
  t.equal(form.statusCode, 200);
  t.match(form.body, 'hx-encoding="multipart/form-data"');
  t.match(form.body, 'enctype="multipart/form-data"');
  t.match(form.body, '<label for="imports-file"');
  t.match(form.body, 'src="/static/js/imports.js"');
  const noKind = await staffClient.get('/imports/new?kind=orders');
  t.equal(noKind.statusCode, 302);

  const products = await staffClient.get('/imports/template/products.csv');
  t.equal(products.statusCode, 200);
  t.match(products.headers['content-type'], 'text/csv');
  t.match(products.headers['content-disposition'], 'attachment; filename="products-template.csv"');
  t.equal(products.body, 'sku,product_name,unit_price,brand,colour,size,rating\r\n');
  const cust = await staffClient.get('/imports/template/customers.csv');
  t.equal(cust.body, 'email_address,full_name\r\n');
  // The template itself is accepted as a header row.
  const res = await upload(staffClient, 'products', `${products.body}T-1,Template mug,1.50,,,,\r\n`);
  t.equal(res.statusCode, 303);

  const csv = await adminClient.get('/imports?format=csv');
  t.equal(csv.statusCode, 200);
  t.match(csvLines(csv.body)[0], 'jobId,kind,filename,status,totalRows,goodRows,badRows,appliedRows,createdBy,createdAt');
  const jobs = await staffClient.get('/imports', { 'hx-request': 'true' });
  t.match(jobs.body, /^<div id="imports-jobs">/m);
});
