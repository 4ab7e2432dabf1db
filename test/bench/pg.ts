// The benchmark's PostgreSQL 15: BENCH_DATABASE_URL when set, otherwise a throwaway cluster under
// /tmp/oi-bench-pg (BENCH_PG_DIR) that this harness initdb's once, starts for the run and stops at
// the end. Its data directory stays, so the next run finds the seeded database and skips the seed.
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './proc.ts';

const PGBIN = process.env.PGBIN ?? '/usr/lib/postgresql/15/bin';

/** Benchmark-box settings. synchronous_commit stays on (and fsync): commits are honest. */
export const SERVER_SETTINGS: Record<string, string> = {
  listen_addresses: '127.0.0.1',
  max_connections: '300',
  shared_buffers: '1GB',
  effective_cache_size: '8GB',
  maintenance_work_mem: '512MB',
  max_wal_size: '8GB',
  checkpoint_timeout: '30min',
  random_page_cost: '1.1',
  synchronous_commit: 'on',
};

export interface PgServer {
  /** URL of database `name` on this server (the given database when BENCH_DATABASE_URL is set). */
  url(name: string): string;
  /** True when this harness started the server (and so stops it, and may drop/create databases). */
  managed: boolean;
  dataDir?: string;
  port: number;
  stop(): Promise<void>;
}

function asPostgres(bin: string, args: string[]): string {
  const cmd = path.join(PGBIN, bin);
  // The server refuses to run as root: drop to the postgres account when we are root.
  const [file, argv] = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  return execFileSync(file, argv, { cwd: '/', encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function runningPort(dataDir: string): number | undefined {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  try {
    asPostgres('pg_ctl', ['-D', dataDir, 'status']);
  } catch {
    return undefined; // stale pid file: pg_ctl start copes with it
  }
  const port = Number(readFileSync(pidFile, 'utf8').split('\n')[3]);
  return Number.isInteger(port) && port > 0 ? port : undefined;
}

export async function startPg(log: (msg: string) => void): Promise<PgServer> {
  const given = process.env.BENCH_DATABASE_URL;
  if (given) {
    const u = new URL(given);
    log(`PostgreSQL: using BENCH_DATABASE_URL (${u.host}${u.pathname})`);
    return { url: () => given, managed: false, port: Number(u.port || 5432), stop: async () => {} };
  }
  const root = process.env.BENCH_PG_DIR ?? '/tmp/oi-bench-pg';
  const dataDir = path.join(root, 'data');
  mkdirSync(root, { recursive: true });
  if (process.getuid?.() === 0) {
    const { uid, gid } = postgresIds();
    chownSync(root, uid, gid);
  }
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    log(`PostgreSQL: initdb ${dataDir}`);
    asPostgres('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
  }
  let port = runningPort(dataDir);
  if (port) {
    log(`PostgreSQL: reusing the server already running on port ${port}`);
  } else {
    port = process.env.BENCH_PG_PORT ? Number(process.env.BENCH_PG_PORT) : await freePort();
    const opts = [`-c port=${port}`, `-c unix_socket_directories=${root}`,
      ...Object.entries(SERVER_SETTINGS).map(([k, v]) => `-c ${k}=${v}`)].join(' ');
    asPostgres('pg_ctl', ['-D', dataDir, '-l', path.join(root, 'log'), '-w', '-t', '120', '-o', opts, 'start']);
    log(`PostgreSQL: started on 127.0.0.1:${port} (${dataDir})`);
  }
  const base = `postgres://postgres@127.0.0.1:${port}`;
  return {
    url: (name) => `${base}/${name}`,
    managed: true,
    dataDir,
    port,
    async stop() {
      if (process.env.BENCH_KEEP_PG) return; // left running on purpose (EXPLAIN after a run)
      asPostgres('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
      log('PostgreSQL: stopped (data directory kept for the next run)');
    },
  };
}

function postgresIds(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('no postgres account: install postgresql-15 (apt-get install -y postgresql-15)');
  const f = line.split(':');
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

/** Creates database `name` when missing (managed server only). */
export async function ensureDatabase(server: PgServer, name: string, recreate = false): Promise<void> {
  if (!server.managed) return;
  const c = new pg.Client({ connectionString: server.url('postgres') });
  await c.connect();
  try {
    if (recreate) await c.query(`drop database if exists "${name}" with (force)`);
    const found = await c.query('select 1 from pg_database where datname = $1', [name]);
    if (!found.rowCount) await c.query(`create database "${name}"`);
  } finally {
    await c.end();
  }
}

export async function serverVersion(url: string): Promise<string> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ v: string }>('select version() as v');
    return r.rows[0]!.v.replace(/ on .*/, '');
  } finally {
    await c.end();
  }
}
