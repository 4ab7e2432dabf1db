// Shared machinery of the reliability suite (issue 7 items 2, 3 and 7): a throwaway PostgreSQL 15
// cluster per test file (initdb under /tmp, started and stopped by the file, `-m immediate` on
// demand), the real server as child processes (`node --import tsx src/server.ts`, started with
// test/bench/proc.ts), the integrity checks every scenario ends with, and the server-log check.
// The HTTP clients are in http.ts (re-exported here).
//
// Ports: RELIABILITY_PORTS=55464-55469 limits every port to that range (shared machines); by
// default the kernel picks free ones. PGBIN overrides /usr/lib/postgresql/15/bin.
// RELIABILITY_KEEP_LOGS=1 keeps the servers' logs (/tmp/oi-rel-app-*) after the run.
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort, startChild, waitReady, type Child } from '../bench/proc.ts';
import { createDb, type Database } from '../../src/db/client.ts';
import { runMigrations } from '../../src/db/migrate.ts';

export { call, Tally, Browser, type Answer, type CallOptions } from './http.ts';
export { integrityProblems, stockVerifyCli } from './checks.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PGBIN = process.env.PGBIN ?? '/usr/lib/postgresql/15/bin';
const run = promisify(execFile);

interface Teardown { teardown(fn: () => unknown): void; comment(...args: unknown[]): void }

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Numeric setting from the environment (test sizes), with a default that fits CI. */
export function envInt(name: string, fallback: number): number {
  const v = process.env[name];
  const n = v === undefined || v === '' ? fallback : Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got "${v}"`);
  return n;
}

// ------------------------------------------------------------------------------------- ports
const handedOut = new Set<number>();

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A free port on 127.0.0.1, from RELIABILITY_PORTS (lo-hi) when set. Never the same twice. */
export async function pickPort(): Promise<number> {
  const range = process.env.RELIABILITY_PORTS;
  if (!range) {
    for (;;) {
      const p = await freePort();
      if (!handedOut.has(p) && p !== 55433) { handedOut.add(p); return p; }
    }
  }
  const m = /^(\d+)-(\d+)$/.exec(range);
  if (!m) throw new Error(`RELIABILITY_PORTS must look like 55464-55469, got "${range}"`);
  for (let p = Number(m[1]); p <= Number(m[2]); p++) {
    if (handedOut.has(p)) continue;
    handedOut.add(p); // claimed before the await: concurrent callers get different ports
    if (await canListen(p)) return p;
    handedOut.delete(p);
  }
  throw new Error(`no free port left in RELIABILITY_PORTS=${range}`);
}

// ------------------------------------------------------------------------------------- PostgreSQL
export interface Postgres {
  port: number;
  dataDir: string;
  url(database: string): string;
  start(): Promise<void>;
  /** fast: clean shutdown; immediate: no checkpoint, the next start recovers from the WAL (a crash). */
  stop(mode: 'fast' | 'immediate'): Promise<void>;
  log(): string;
}

function asPostgres(bin: string, args: string[]): Promise<{ stdout: string }> {
  const cmd = path.join(PGBIN, bin);
  // PostgreSQL refuses to run as root: CI runs as root, so drop to the postgres account.
  const [file, argv] = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  return run(file, argv, { cwd: '/', encoding: 'utf8' });
}

/** initdb + start a throwaway cluster on 127.0.0.1; stopped and deleted at teardown. */
export async function startPostgres(t: Teardown): Promise<Postgres> {
  const port = await pickPort();
  const dataDir = mkdtempSync('/tmp/oi-rel-pg-');
  if (process.getuid?.() === 0) {
    const entry = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
    if (!entry) throw new Error('no postgres account: install postgresql-15');
    const f = entry.split(':');
    chownSync(dataDir, Number(f[2]), Number(f[3]));
  }
  await asPostgres('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync']);
  const logFile = path.join(dataDir, 'server.log');
  const opts = [`-c port=${port}`, '-c listen_addresses=127.0.0.1', `-c unix_socket_directories=${dataDir}`, '-c max_connections=200'].join(' ');
  let running = false;
  const server: Postgres = {
    port,
    dataDir,
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    async start() {
      await asPostgres('pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '60', '-o', opts, 'start']);
      running = true;
    },
    async stop(mode) {
      await asPostgres('pg_ctl', ['-D', dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
      running = false;
    },
    log: () => { try { return readFileSync(logFile, 'utf8'); } catch { return ''; } },
  };
  t.teardown(async () => {
    if (running) await server.stop('fast').catch(() => server.stop('immediate')).catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  });
  // A test process that dies before its teardown (a timeout) must not leave a server running.
  process.once('exit', () => {
    if (!running) return;
    try {
      const cmd = path.join(PGBIN, 'pg_ctl');
      const args = ['-D', dataDir, '-m', 'immediate', 'stop'];
      if (process.getuid?.() === 0) execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { cwd: '/', stdio: 'ignore' });
      else execFileSync(cmd, args, { cwd: '/', stdio: 'ignore' });
    } catch { /* already stopped */ }
    rmSync(dataDir, { recursive: true, force: true });
  });
  await server.start();
  return server;
}

/** A new database on the cluster, migrated (unless told not to), with a pool for the test's own
 * queries. */
export async function createDatabase(t: Teardown, server: Postgres, name: string, opts: { migrate?: boolean } = {}): Promise<{ url: string; database: Database }> {
  const admin = new pg.Client({ connectionString: server.url('postgres') });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  await admin.end();
  const url = server.url(name);
  const database = await createDb({ databaseUrl: url, poolMax: 4, onPoolError: () => {} });
  if (opts.migrate !== false) await runMigrations(database);
  t.teardown(() => database.close());
  return { url, database };
}

// ------------------------------------------------------------------------------------- app servers
export interface AppServer {
  base: string;
  port: number;
  child: Child;
  /** Sends a signal to the server's whole process group and waits for it to exit. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port (after a kill) and waits for /health. */
  restart(): Promise<void>;
  log(): string;
}

export interface AppOptions { env?: Record<string, string>; name?: string }

/** Cheap password hashing and no demo seed: the suite creates its own users and data. */
export function appEnv(url: string, port: number, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['TEST_DATABASE_URL', 'PGLITE_DIR', 'SMTP_URL', 'WEB_CONCURRENCY', 'SESSION_SECRET', 'NODE_OPTIONS', 'TRUST_PROXY']) delete env[name];
  return {
    ...env,
    DATABASE_URL: url, PORT: String(port), HOST: '127.0.0.1', NODE_ENV: 'production', COOKIE_SECURE: 'false',
    BASE_URL: `http://127.0.0.1:${port}`, SEED_DEMO: 'false', LOG_LEVEL: 'warn', DB_POOL_MAX: '20',
    ARGON2_MEMORY_KIB: '4096', ARGON2_TIME_COST: '1', MAIL_DIR: path.join('/tmp', `oi-rel-mail-${port}`),
    ...extra,
  };
}

export async function startApp(t: Teardown, url: string, opts: AppOptions = {}): Promise<AppServer> {
  const port = await pickPort();
  const logDir = mkdtempSync('/tmp/oi-rel-app-');
  const logFile = path.join(logDir, `${opts.name ?? 'server'}-${port}.log`);
  const base = `http://127.0.0.1:${port}`;
  const spawnIt = () => startChild(process.execPath, ['--import', 'tsx', 'src/server.ts'], appEnv(url, port, opts.env), logFile, ROOT);
  const exited = (c: Child) => c.proc.exitCode !== null || c.proc.signalCode !== null;
  const logSize = () => { try { return statSync(logFile).size; } catch { return 0; } };
  const app: AppServer = {
    base,
    port,
    child: spawnIt(),
    async kill(signal) {
      const c = app.child;
      if (exited(c)) return;
      const gone = new Promise<void>((r) => c.proc.once('exit', () => r()));
      // Its output reaches the log file through pipes: read after they are drained.
      const drained = Promise.all([c.proc.stdout, c.proc.stderr].map((s) => (s && !s.closed ? new Promise<void>((r) => s.once('close', () => r())) : undefined)));
      try { process.kill(-c.pid, signal); } catch { /* already gone */ }
      await gone;
      if (signal !== 'SIGKILL') { try { process.kill(-c.pid, 'SIGKILL'); } catch { /* the group is gone */ } }
      await Promise.race([drained, sleep(3000)]);
      for (let size = -1, i = 0; i < 20 && size !== logSize(); i++) { size = logSize(); await sleep(50); }
    },
    async restart() {
      app.child = spawnIt();
      try {
        await waitReady(`${base}/health`, app.child, 60_000);
      } catch (err) {
        throw new Error(`${(err as Error).message}\n--- server log ---\n${app.log().slice(-4000)}`);
      }
    },
    log: () => { try { return readFileSync(logFile, 'utf8'); } catch { return ''; } },
  };
  process.once('exit', () => {
    if (app.child.proc.exitCode !== null || app.child.proc.signalCode !== null) return;
    try { process.kill(-app.child.pid, 'SIGKILL'); } catch { /* gone */ }
  });
  t.teardown(async () => {
    await app.child.stop();
    if (!process.env.RELIABILITY_KEEP_LOGS) rmSync(logDir, { recursive: true, force: true });
  });
  try {
    await waitReady(`${base}/health`, app.child, 60_000);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- server log ---\n${app.log().slice(-4000)}`);
  }
  return app;
}

/** Log lines of a server that point at a defect, for assertions: errors and fatals of the JSON
 * log (a 500, pool misuse), and anything printed outside it but the first-start banner (a crash
 * trace, an unhandled rejection), but JSON lines matching `expected`. Long lines are cut. */
export function alarmingLogLines(log: string, expected?: RegExp): string[] {
  return log.split('\n').filter((l) => {
    if (!l.trim()) return false;
    if (l.startsWith('{')) return (/"level":(50|60)/.test(l) || /Cannot use a pool/.test(l)) && !expected?.test(l);
    return !/^(=+|\s*First start:.*|\s*(admin|staff|customer)\s+\S+@\S+\s+\S+)$/.test(l);
  }).map((l) => (l.length > 700 ? `${l.slice(0, 300)} … ${l.slice(-400)}` : l)).slice(0, 40);
}

/** Runs `fn` every `ms` until it returns true or time runs out; true when it did. */
export async function eventually(fn: () => Promise<boolean>, timeoutMs: number, ms = 200): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await fn()) return true;
    await sleep(ms);
  }
  return false;
}

/** Synchronous check that the PostgreSQL binaries exist (skip the file otherwise). */
export function havePostgres(): boolean {
  try {
    execFileSync(path.join(PGBIN, 'postgres'), ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
