// One place that reads the environment. Everything else takes a Config, so tests build the app
// with explicit values instead of mutating process.env.
import path from 'node:path';

export interface Argon2Cost { memoryCost: number; timeCost: number; parallelism: number }

export interface Config {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  /** Absent: embedded PGlite under dataDir. */
  databaseUrl?: string;
  dataDir: string;
  /** PGlite data directory; 'memory://' for an in-memory database. */
  pgliteDir: string;
  dbPoolMax: number;
  sessionSecret?: string;
  sessionTtlSeconds: number;
  cookieSecure: boolean;
  trustProxy: boolean;
  baseUrl: string;
  /** The email of the admin created on the first start. */
  adminEmail: string;
  mailDir: string;
  smtpUrl?: string;
  mailFrom: string;
  logLevel: string;
  /** Seed demo data when the database has no users yet. */
  seedDemo: boolean;
  timeZone: string;
  webConcurrency: number;
  argon2: Argon2Cost;
  apiTokenTtlSeconds: number;
  resetTokenTtlSeconds: number;
  login: { maxPerAccount: number; maxPerIp: number; windowSeconds: number };
  /** How long a mailed "finish creating your account" link stays valid. */
  registrationTtlSeconds: number;
  /** Anonymous forms that mail or hash (register and its confirmation, forgot and reset
   * password): attempts per IP and over all IPs in one window, counted in the database so every
   * process sees the same counts. */
  formLimits: { perIp: number; global: number; windowSeconds: number };
  /** argon2 work done for anonymous requests (sign-in, registration, reset): at most
   * `concurrency` at once per process and `queue` waiting; beyond that the request gets a 429,
   * so signed-in users keep their share of libuv's thread pool. */
  anonymousHashing: { concurrency: number; queue: number };
}

function int(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${value}"`);
  return n;
}

function bool(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  return ['1', 'true', 'yes', 'on'].includes(value.toLowerCase());
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const nodeEnv = env.NODE_ENV === 'production' ? 'production' : env.NODE_ENV === 'test' ? 'test' : 'development';
  const port = int(env.PORT, 3000, 'PORT');
  const dataDir = path.resolve(env.DATA_DIR ?? './data');
  const timeZone = env.TIME_ZONE ?? 'UTC';
  try {
    new Intl.DateTimeFormat('en', { timeZone });
  } catch {
    throw new Error(`TIME_ZONE "${timeZone}" is not a valid IANA time zone`);
  }
  const config: Config = {
    env: nodeEnv,
    host: env.HOST ?? 'localhost',
    port,
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir,
    pgliteDir: env.PGLITE_DIR ?? path.join(dataDir, 'pglite'),
    dbPoolMax: int(env.DB_POOL_MAX, 10, 'DB_POOL_MAX'),
    sessionSecret: env.SESSION_SECRET || undefined,
    sessionTtlSeconds: int(env.SESSION_TTL_SECONDS, 8 * 3600, 'SESSION_TTL_SECONDS'),
    cookieSecure: bool(env.COOKIE_SECURE, nodeEnv === 'production'),
    trustProxy: bool(env.TRUST_PROXY, false),
    adminEmail: env.ADMIN_EMAIL || 'admin@example.com',
    baseUrl: (env.BASE_URL ?? `http://localhost:${port}`).replace(/\/$/, ''),
    mailDir: path.resolve(env.MAIL_DIR ?? path.join(dataDir, 'mail')),
    smtpUrl: env.SMTP_URL || undefined,
    mailFrom: env.MAIL_FROM ?? 'Order Inventory <no-reply@order-inventory.local>',
    logLevel: env.LOG_LEVEL ?? (nodeEnv === 'test' ? 'silent' : 'info'),
    seedDemo: bool(env.SEED_DEMO, true),
    timeZone,
    webConcurrency: Math.max(1, int(env.WEB_CONCURRENCY, 1, 'WEB_CONCURRENCY')),
    argon2: {
      memoryCost: int(env.ARGON2_MEMORY_KIB, 19456, 'ARGON2_MEMORY_KIB'),
      timeCost: int(env.ARGON2_TIME_COST, 2, 'ARGON2_TIME_COST'),
      parallelism: int(env.ARGON2_PARALLELISM, 1, 'ARGON2_PARALLELISM'),
    },
    apiTokenTtlSeconds: int(env.API_TOKEN_TTL_SECONDS, 24 * 3600, 'API_TOKEN_TTL_SECONDS'),
    resetTokenTtlSeconds: int(env.RESET_TOKEN_TTL_SECONDS, 30 * 60, 'RESET_TOKEN_TTL_SECONDS'),
    login: {
      maxPerAccount: int(env.LOGIN_MAX_PER_ACCOUNT, 5, 'LOGIN_MAX_PER_ACCOUNT'),
      maxPerIp: int(env.LOGIN_MAX_PER_IP, 30, 'LOGIN_MAX_PER_IP'),
      windowSeconds: int(env.LOGIN_WINDOW_SECONDS, 15 * 60, 'LOGIN_WINDOW_SECONDS'),
    },
    registrationTtlSeconds: int(env.REGISTRATION_TTL_SECONDS, 24 * 3600, 'REGISTRATION_TTL_SECONDS'),
    formLimits: {
      perIp: int(env.FORM_LIMIT_PER_IP, 10, 'FORM_LIMIT_PER_IP'),
      global: int(env.FORM_LIMIT_GLOBAL, 200, 'FORM_LIMIT_GLOBAL'),
      windowSeconds: int(env.FORM_LIMIT_WINDOW_SECONDS, 15 * 60, 'FORM_LIMIT_WINDOW_SECONDS'),
    },
    anonymousHashing: {
      concurrency: Math.max(1, int(env.ANON_HASH_CONCURRENCY, 1, 'ANON_HASH_CONCURRENCY')),
      queue: int(env.ANON_HASH_QUEUE, 16, 'ANON_HASH_QUEUE'),
    },
  };
  return { ...config, ...overrides };
}
