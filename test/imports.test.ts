// CSV imports: upload, per-row checks with their reasons, refused files, apply with audit events.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { customers, products } from '../src/db/schema/index.ts';
import { importsTestApp, upload, jobRow, settledJob, count, multipartBody, cookieOf, unescapeHtml } from './fixtures/imports-upload.ts';
import { csvLines } from './csv-rows.ts';

const fixture = (name: string) => readFile(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const { app, users, clients, uploadOk, apply, jobCount } = await importsTestApp(t);
const { admin: adminClient, staff: staffClient } = clients;

t.test('a good customer file: preview, apply, records and audit events', async (t) => {
  const csv = 'emailAddress,fullName\r\nlin@example.test,Lin Ma\r\nsam@example.test,Sam Okafor\r\n';
  const jobId = await uploadOk(staffClient, 'customers', csv, 'new customers.csv');
  t.ok(jobId > 0);
  const job = await jobRow(app, jobId);
  t.match(job, { status: 'ready', totalRows: 2, processedRows: 2, goodRows: 2, badRows: 0, appliedRows: 0 });

  const page = await staffClient.get(`/imports/${jobId}`);
  t.equal(page.statusCode, 200);
  t.match(page.body, 'Checked 2 rows: 2 ready to import, 0 with problems.', 'flash summary');
  t.match(page.body, 'new customers.csv');
  t.match(page.body, 'Import 2 good rows');
  t.notMatch(page.body, 'hx-trigger="every 1s"', 'a ready job does not poll');
  t.equal(await count(app, sql`select count(*) as n from customers where email_address in ('lin@example.test','sam@example.test')`), 0, 'nothing imported before apply');

  const res = await apply(staffClient, jobId);
  t.equal(res.statusCode, 303);
  t.equal(res.headers.location, `/imports/${jobId}`);
  const done = await settledJob(app, jobId);
  t.match(done, { status: 'done', appliedRows: 2, goodRows: 2, badRows: 0 });
  const rows = await app.db.select().from(customers).where(sql`email_address in ('lin@example.test','sam@example.test')`).orderBy(customers.customerId);
  t.same(rows.map((r) => r.fullName), ['Lin Ma', 'Sam Okafor']);

  const audits = await app.db.execute(sql`select action, entity, entity_id as "entityId", actor_id as "actorId", after
    from audit_events where (entity = 'customer' and after->>'emailAddress' in ('lin@example.test','sam@example.test'))
      or (entity = 'import_job' and entity_id = ${String(jobId)})
    order by audit_id`);
  const events = (audits as unknown as { rows: Array<{ action: string; entity: string; entityId: string; actorId: number; after: Record<string, unknown> }> }).rows;
  t.equal(events.length, 3, 'one create per customer and one import event');
  t.same(events.map((e) => [e.action, e.entity]), [['create', 'customer'], ['create', 'customer'], ['import', 'import_job']]);
  t.equal(events[0]!.entityId, String(rows[0]!.customerId));
  t.match(events[0]!.after, { customerId: rows[0]!.customerId, emailAddress: 'lin@example.test', fullName: 'Lin Ma' });
  t.ok(events.every((e) => e.actorId === users.staff.id), 'the uploader is the actor');
  t.match(events[2]!.after, { kind: 'customers', imported: 2, skipped: 0 });

  const after = await staffClient.get(`/imports/${jobId}`);
  t.match(after.body, 'data-phase="done"');
  t.notMatch(after.body, 'Import 2 good rows', 'no apply button once done');
  t.match(after.body, 'lin@example.test', 'imported rows listed when there are no problems');
});

t.test('customer rows with problems are marked with their reason and left out', async (t) => {
  await app.db.insert(customers).values({ emailAddress: 'Taken@Example.test', fullName: 'Already There' });
  const jobId = await uploadOk(staffClient, 'customers', await fixture('imports-customers-mixed.csv'));
  t.match(await jobRow(app, jobId), { status: 'ready', totalRows: 7, goodRows: 3, badRows: 4 });

  const rows = await app.db.execute(sql`select row_no as "rowNo", data, error from import_rows where job_id = ${jobId} order by row_no`);
  const byRow = new Map((rows as unknown as { rows: Array<{ rowNo: number; data: Record<string, string>; error: string | null }> }).rows.map((r) => [r.rowNo, r]));
  t.equal(byRow.get(2)!.error, null);
  t.match(byRow.get(3)!.error, /^email_address: Enter a valid email address\.$/);
  t.match(byRow.get(4)!.error, /full_name: Enter the full name/);
  t.equal(byRow.get(5)!.error, null, 'values are trimmed');
  t.same(byRow.get(5)!.data, { emailAddress: 'alan@example.test', fullName: 'Alan Turing' });
  t.match(byRow.get(6)!.error, 'email_address: duplicate of row 2', 'duplicates compare case-insensitively');
  t.match(byRow.get(7)!.error, 'a customer with this email already exists');
  t.notOk(byRow.has(8), 'the blank line is not a row');
  t.equal(byRow.get(9)!.error, null, 'row numbers are line numbers');

  const page = await staffClient.get(`/imports/${jobId}`);
  t.match(page.body, 'Rows with problems (4)');
  t.match(page.body, 'not-an-email');
  t.match(page.body, 'duplicate of row 2');
  t.match(page.body, 'Import 3 good rows');

  const good = await staffClient.get(`/imports/${jobId}?show=good`);
  t.match(good.body, 'edsger@example.test');
  t.notMatch(good.body, 'not-an-email');

  const csv = await staffClient.get(`/imports/${jobId}?show=bad&format=csv`);
  t.equal(csv.statusCode, 200);
  t.match(csv.headers['content-type'], 'text/csv');
  const lines = csvLines(csv.body);
  t.equal(lines[0], 'row,email_address,full_name,problem');
  t.equal(lines.length, 5);
  t.match(lines[1], /^3,not-an-email,Bad Email,/);

  t.equal((await apply(staffClient, jobId)).statusCode, 303);
  t.match(await settledJob(app, jobId), { status: 'done', appliedRows: 3 });
  const emails = (await app.db.select({ e: customers.emailAddress }).from(customers)).map((r) => r.e.toLowerCase());
  t.ok(['ada@example.test', 'alan@example.test', 'edsger@example.test'].every((e) => emails.includes(e)));
  t.notOk(emails.includes('not-an-email'));
  t.equal(emails.filter((e) => e === 'ada@example.test').length, 1, 'the duplicate was not imported');
  t.equal(emails.filter((e) => e === 'taken@example.test').length, 1);
  t.equal(await count(app, sql`select count(*) as n from customers where full_name in ('Bad Email', 'Ada Again', 'Already Here')`), 0);
});

t.test('product rows: prices, ratings, duplicates, existing SKUs, header aliases', async (t) => {
  await app.db.insert(products).values({ sku: 'EXIST-1', productName: 'Existing', unitPrice: '1.00' });
  const jobId = await uploadOk(adminClient, 'products', await fixture('imports-products-mixed.csv'));
  t.match(await jobRow(app, jobId), { status: 'ready', totalRows: 8, goodRows: 2, badRows: 6 });
  const rows = await app.db.execute(sql`select row_no as "rowNo", error from import_rows where job_id = ${jobId} order by row_no`);
  const errors = Object.fromEntries((rows as unknown as { rows: Array<{ rowNo: number; error: string | null }> }).rows.map((r) => [r.rowNo, r.error]));
  t.equal(errors[2], null);
  t.match(errors[3], 'unitPrice: Enter a price of 0 or more with at most two decimals', 'negative price');
  t.match(errors[4], 'unitPrice: Enter a price of 0 or more with at most two decimals', 'three decimals');
  t.match(errors[5], 'rating: Choose a rating from 1 to 5.');
  t.match(errors[6], 'sku: duplicate of row 2', 'SKUs compare whatever their case');
  t.match(errors[7], 'a product with this SKU already exists', 'against the database too');
  t.match(errors[8], 'productName: Enter the product name');
  t.equal(errors[9], null);

  t.equal((await apply(adminClient, jobId)).statusCode, 303);
  t.match(await settledJob(app, jobId), { status: 'done', appliedRows: 2 });
  const made = await app.db.select().from(products).where(sql`sku in ('P-100', 'P-105')`).orderBy(products.sku);
  t.match(made, [  // stored upper-case, as every writer stores SKUs
    { sku: 'P-100', productName: 'Blue mug', unitPrice: '9.99', brand: 'Acme', colour: 'blue', size: 'M', rating: 4, active: true },
    { sku: 'P-105', productName: 'Quoted, with comma', unitPrice: '12.00', brand: 'Bolt', colour: 'red', size: 'XL', rating: null },
  ]);
  t.equal(await count(app, sql`select count(*) as n from products where sku in ('P-101','P-102','P-103','P-104')`), 0, 'bad rows are not imported');
  t.equal(await count(app, sql`select count(*) as n from products where sku = 'P-100'`), 1);
  const audit = await count(app, sql`select count(*) as n from audit_events where entity = 'product' and action = 'create' and after->>'sku' in ('P-100','P-105')`);
  t.equal(audit, 2);
});

t.test('refused files: wrong headers, empty, no rows, not text, broken CSV, no file', async (t) => {
  const before = await jobCount();
  const cases: Array<[string, string, string | Buffer, RegExp]> = [
    ['unknown and missing headers', 'customers', 'email,name\na@example.test,A\n', /unknown columns "email", "name"; missing required columns "email_address", "full_name"\. Expected columns: email_address, full_name/],
    ['a missing required header', 'products', 'sku,product_name\nA1,Mug\n', /missing required column "unit_price"\. Expected columns: sku, product_name, unit_price, brand \(optional\)/],
    ['the same column twice', 'customers', 'email_address,emailAddress,full_name\n', /"email_address" and "emailAddress" are the same column/],
    ['semicolons', 'customers', 'email_address;full_name\na@example.test;A\n', /separates values with semicolons; save it as comma-separated CSV/],
    ['an empty file', 'customers', '', /The file is empty/],
    ['a header without rows', 'customers', '\uFEFFemail_address,full_name\r\n', /header row but no rows/],
    ['binary garbage', 'customers', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0xff, 0xfe, 0x00, 0x13, 0x37]), /not a CSV text file/],
    ['Latin-1 text', 'customers', Buffer.from('email_address,full_name\nj@example.test,J\xf6rg\n', 'latin1'), /not a CSV text file/],
    ['a row with too many values', 'customers', 'email_address,full_name\na@example.test,A\nb@example.test,B,extra\n', /could not be read as CSV at line 3: it has 3 values but the header row has 2 columns/],
    ['an unclosed quote', 'customers', 'email_address,full_name\na@example.test,"A\n', /quoted value is not closed/],
  ];
  for (const [name, kind, content, message] of cases) {
    const res = await upload(staffClient, kind, content);
    t.equal(res.statusCode, 422, name);
    t.match(unescapeHtml(res.body), message, name);
    t.match(res.body, 'id="imports-upload-form"', `${name}: the form is shown again`);
  }
  const noKind = await upload(staffClient, undefined, 'email_address,full_name\n');
  t.equal(noKind.statusCode, 422);
  t.match(noKind.body, 'Choose whether the file holds products or customers.');
  const { payload, contentType } = multipartBody({ kind: 'customers' });
  const noFile = await app.inject({ method: 'POST', url: '/imports', payload, headers: { 'content-type': contentType, cookie: cookieOf(staffClient), 'x-csrf-token': staffClient.csrf, accept: 'text/html' } });
  t.equal(noFile.statusCode, 422);
  t.match(noFile.body, 'Choose a CSV file to upload.');
  t.equal(noFile.body.split('Choose a CSV file to upload.').length - 1, 1, 'said once, next to the file input (not again as a flash)');
  const { payload: whole } = multipartBody({ kind: 'customers' }, { content: 'email_address,full_name\ncut@example.test,Cut\n' });
  for (const [name, body, type] of [['a cut-off body', whole.subarray(0, whole.length - 30), contentType], ['no boundary', whole, 'multipart/form-data']] as const) {
    const res = await app.inject({ method: 'POST', url: '/imports', payload: body, headers: { 'content-type': type, cookie: cookieOf(staffClient), 'x-csrf-token': staffClient.csrf, accept: 'text/html' } });
    t.equal(res.statusCode, 400, name);
    t.match(res.body, 'The upload was incomplete or malformed.', name);
  }
  const urlencoded = await staffClient.post('/imports', { kind: 'customers' });
  t.equal(urlencoded.statusCode, 422, 'a form post without the file');
  t.equal(await jobCount(), before, 'refused files leave no job behind');
});

t.test('a file over the size limit is refused with 413 and leaves nothing', async (t) => {
  const before = await jobCount();
  // Blank lines are skipped by the parser, so the upload reaches the limit without staging rows.
  const big = Buffer.concat([Buffer.from('email_address,full_name\na@big.test,A\n'), Buffer.alloc(21 * 1024 * 1024, '\n')]);
  const declared = await upload(staffClient, 'customers', big);
  t.equal(declared.statusCode, 413, 'refused from its content-length');
  t.match(declared.body, 'larger than 20 MB');
  t.match(declared.body, 'id="imports-upload-form"');

  // Sent in chunks without a length (as a proxy may forward it), the parser stops at 20 MB.
  const { payload, contentType } = multipartBody({ kind: 'customers' }, { content: big });
  const chunked = await app.inject({
    method: 'POST', url: '/imports', payload: Readable.from([payload.subarray(0, 1 << 20), payload.subarray(1 << 20)]),
    headers: { 'content-type': contentType, cookie: cookieOf(staffClient), 'x-csrf-token': staffClient.csrf, accept: 'text/html', 'hx-request': 'true' },
  });
  t.equal(chunked.statusCode, 413);
  t.notMatch(chunked.body, '<html', 'htmx gets the form fragment');
  t.match(chunked.body, 'larger than 20 MB');
  t.equal(await jobCount(), before);
  t.equal(await count(app, sql`select count(*) as n from customers where email_address = 'a@big.test'`), 0);
});

t.test('rows pagination is keyset-based and answers fragments', async (t) => {
  const lines = ['email_address,full_name'];
  for (let i = 0; i < 60; i++) lines.push(`bad-${i},Name ${i}`);
  const jobId = await uploadOk(staffClient, 'customers', lines.join('\n'));
  const first = await staffClient.get(`/imports/${jobId}?show=bad&limit=25`);
  t.match(first.body, 'bad-0<');
  t.notMatch(first.body, 'bad-25<');
  const next = /href="(\/imports\/\d+\?[^"]*cursor=[^"]+)"[^>]*rel="next"/.exec(first.body)?.[1]?.replace(/&amp;/g, '&');
  t.ok(next, 'a next link');
  const second = await staffClient.get(next!, { 'hx-request': 'true' });
  t.match(second.body, /^<div id="imports-rows">/m);
  t.notMatch(second.body, '<html');
  t.match(second.body, 'bad-25<');
  t.notMatch(second.body, 'bad-24<');
  t.equal((await staffClient.get(`/imports/${jobId}?cursor=garbage`)).statusCode, 400);
});
