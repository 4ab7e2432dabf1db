// Test support: each test file gets its own database cloned from the run's migrated template
// (see setup.ts), an app built with explicit config, and a small client that keeps cookies and
// sends CSRF tokens the way a browser does.
import { readFile, mkdtemp, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Test as TapTest } from 'tap';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { loadConfig, type Config } from '../src/config.ts';
import { createDb, type Database } from '../src/db/client.ts';
import { runMigrations } from '../src/db/migrate.ts';
import { buildApp } from '../src/app.ts';
import { createUser } from '../src/modules/users/service.ts';
import { systemActor } from '../src/lib/audit.ts';
import { customerCounterDrift } from '../src/modules/customers/repository.ts';
import { verifyStock, formatDiscrepancies } from '../src/modules/inventory/verify.ts';
import type { Role } from '../src/db/schema/index.ts';
import { TEMPLATE_DB, TEMPLATE_FILE, serverUrl } from './template.ts';

type Test = Pick<TapTest, 'teardown' | 'fail' | 'comment'>;

/** A fresh database for one test file, verified (stock ledger) and removed at teardown. */
export async function createTestDatabase(t: Test): Promise<Database> {
  const url = process.env.TEST_DATABASE_URL;
  let database: Database;
  let drop: (() => Promise<void>) | undefined;
  if (url) {
    const name = `oi_test_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: serverUrl(url, 'postgres') });
    await admin.connect();
    await admin.query(`create database "${name}" template "${TEMPLATE_DB}"`);
    await admin.end();
    database = await createDb({ databaseUrl: serverUrl(url, name), poolMax: 5 });
    drop = async () => {
      const c = new pg.Client({ connectionString: serverUrl(url, 'postgres') });
      await c.connect();
      await c.query(`drop database if exists "${name}" with (force)`);
      await c.end();
    };
  } else if (existsSync(TEMPLATE_FILE)) {
    database = await createDb({ loadDataDir: new Blob([await readFile(TEMPLATE_FILE)]) });
  } else {
    // Running one file without tap's "before" step: migrate from scratch.
    database = await createDb({});
    await runMigrations(database);
  }
  t.teardown(async () => {
    // Whatever the tests did, the stock ledger must still reconcile.
    const problems = await verifyStock(database.db);
    if (problems.length) t.fail(`stock:verify found differences after this file:\n${formatDiscrepancies(problems)}`);
    // And every customer's kept order counters must match their orders.
    const drift = await customerCounterDrift(database.db);
    if (drift.length) t.fail(`customer order counters differ after this file: ${JSON.stringify(drift.slice(0, 5))}`);
    await database.close();
    await drop?.();
  });
  return database;
}

export async function testConfig(overrides: Partial<Config> = {}): Promise<Config> {
  const mailDir = await mkdtemp(path.join(os.tmpdir(), 'oi-mail-'));
  return loadConfig({ NODE_ENV: 'test' }, {
    sessionSecret: 'test-secret-test-secret-test-secret-0123456789',
    argon2: { memoryCost: 4096, timeCost: 1, parallelism: 1 },
    mailDir,
    logLevel: process.env.TEST_LOG_LEVEL ?? 'silent',
    seedDemo: false,
    // Test files register, reset and sign in from one address far more than a person would; the
    // files that test these limits set them low themselves.
    formLimits: { perIp: 100_000, global: 100_000, windowSeconds: 900 },
    anonymousHashing: { concurrency: 1, queue: 1000 },
    ...overrides,
  });
}

export interface TestApp { app: FastifyInstance; database: Database; config: Config }

export async function buildTestApp(t: Test, overrides: Partial<Config> = {}): Promise<TestApp> {
  const database = await createTestDatabase(t);
  const config = await testConfig(overrides);
  const app = await buildApp(config, { database });
  builtApps.add(app);
  t.teardown(() => { builtApps.delete(app); return app.close(); });
  // `npm run test:contract`: the file's API calls go through a prism proxy checking the document.
  if (process.env.API_CONTRACT === 'prism') await (await import('./contract/prism-proxy.ts')).routeApiThroughPrism(t, app);
  return { app, database, config };
}

let counter = 0;
export async function makeUser(app: FastifyInstance, role: Role, opts: { storeIds?: number[]; email?: string; password?: string } = {}) {
  const email = opts.email ?? `${role}${++counter}-${randomBytes(3).toString('hex')}@example.test`;
  const password = opts.password ?? 'correct horse battery';
  const user = await createUser(app.db, { email, password, role, storeIds: opts.storeIds, fullName: `${role} ${counter}` }, systemActor, app.config.argon2);
  return { ...user, password };
}

/** Reads the newest mail file written by the file transport. */
/** Every app built here, so the mail helpers can wait for work done after an answer. */
const builtApps = new Set<FastifyInstance>();
const settleAll = () => Promise.all([...builtApps].map((a) => a.settle?.()));

export async function lastMail(config: Config): Promise<string> {
  await settleAll();
  const files = (await readdir(config.mailDir)).filter((f) => f.endsWith('.eml')).sort();
  if (!files.length) throw new Error('no mail was written');
  return readFile(path.join(config.mailDir, files.at(-1)!), 'utf8');
}

export async function mailCount(config: Config): Promise<number> {
  await settleAll();
  return (await readdir(config.mailDir)).filter((f) => f.endsWith('.eml')).length;
}

/** A browser-like client for app.inject: keeps cookies, and puts the CSRF token of the last
 * page it saw into the forms it posts. */
export class Client {
  cookies = new Map<string, string>();
  csrf = '';
  constructor(readonly app: FastifyInstance) {}

  private cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private remember(res: LightMyRequestResponse) {
    for (const c of res.cookies as Array<{ name: string; value: string; expires?: Date }>) {
      if (c.expires && c.expires.getTime() < Date.now()) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    const m = /name="_csrf" value="([^"]+)"/.exec(res.body) ?? /&quot;x-csrf-token&quot;:&quot;([^&]+)&quot;/.exec(res.body);
    if (m) this.csrf = m[1]!;
    return res;
  }

  async get(url: string, headers: Record<string, string> = {}) {
    return this.remember(await this.app.inject({ method: 'GET', url, headers: { cookie: this.cookieHeader(), accept: 'text/html', ...headers } }));
  }

  async post(url: string, form: Record<string, string | string[]> = {}, opts: { csrf?: string | false; headers?: Record<string, string> } = {}) {
    const body = new URLSearchParams();
    const token = opts.csrf === undefined ? this.csrf : opts.csrf;
    if (token !== false) body.append('_csrf', token);
    for (const [k, v] of Object.entries(form)) for (const x of [v].flat()) body.append(k, x);
    return this.remember(await this.app.inject({
      method: 'POST', url, payload: body.toString(),
      headers: { cookie: this.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', ...opts.headers },
    }));
  }

  /** Signs in through the login form. */
  async login(email: string, password: string) {
    await this.get('/login');
    return this.post('/login', { email, password });
  }
}

/** Signs in through the API and returns the bearer token. */
export async function apiLogin(app: FastifyInstance, email: string, password: string): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
  if (res.statusCode !== 200) throw new Error(`api login failed: ${res.statusCode} ${res.body}`);
  return res.json().token;
}
