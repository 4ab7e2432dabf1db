// Runs once before the test files (tap "before"): builds one migrated template database that
// every test file clones: a dumped PGlite data directory, or a template database on the server
// named by TEST_DATABASE_URL.
import { mkdir, writeFile, rename } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { createDb } from '../src/db/client.ts';
import { runMigrations } from '../src/db/migrate.ts';
import { TEMPLATE_DB, TEMPLATE_FILE, serverUrl } from './template.ts';

const started = Date.now();
const url = process.env.TEST_DATABASE_URL;
if (url) {
  const admin = new pg.Client({ connectionString: serverUrl(url, 'postgres') });
  await admin.connect();
  // Leftover clones from an interrupted run would pile up; drop them with the template.
  const stale = await admin.query(`select datname from pg_database where datname = $1 or datname like 'oi_test_%'`, [TEMPLATE_DB]);
  for (const { datname } of stale.rows) await admin.query(`drop database if exists "${datname}" with (force)`);
  await admin.query(`create database "${TEMPLATE_DB}"`);
  await admin.end();
  const database = await createDb({ databaseUrl: serverUrl(url, TEMPLATE_DB), poolMax: 1 });
  await runMigrations(database);
  await database.close();
  console.log(`# template database ${TEMPLATE_DB} migrated in ${Date.now() - started} ms`);
} else {
  const database = await createDb({});
  await runMigrations(database);
  const dump = await database.pglite!.dumpDataDir('none');
  await mkdir(path.dirname(TEMPLATE_FILE), { recursive: true });
  // Written aside and renamed, so a test file never reads a half-written template.
  const partial = `${TEMPLATE_FILE}.${process.pid}.tmp`;
  await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
  await rename(partial, TEMPLATE_FILE);
  await database.close();
  console.log(`# PGlite template migrated and dumped in ${Date.now() - started} ms`);
}
