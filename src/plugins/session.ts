// Cookie sessions stored in PostgreSQL through Drizzle (works on PGlite and pg alike), so any
// server process can serve any request. The secret comes from SESSION_SECRET or, when unset, is
// generated once and kept in app_settings so every process shares it.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifySession, { type SessionStore, type FastifySessionObject } from '@fastify/session';
import { eq, and, gt, lt, sql } from 'drizzle-orm';
import { sessions, appSettings } from '../db/schema/index.ts';
import type { Db } from '../db/client.ts';
import { randomToken } from '../lib/tokens.ts';

type Callback = (err?: any) => void;
type GetCallback = (err: any, result?: FastifySessionObject | null) => void;

export class DrizzleSessionStore implements SessionStore {
  constructor(private readonly db: Db, private readonly ttlMs: number) {}

  set(sid: string, session: FastifySessionObject, cb: Callback): void {
    const expires = session.cookie?.expires ? new Date(session.cookie.expires) : new Date(Date.now() + this.ttlMs);
    const userId = typeof session.userId === 'number' ? session.userId : null;
    const sess = JSON.parse(JSON.stringify(session));
    this.db.insert(sessions).values({ sid, sess, userId, expiresAt: expires })
      .onConflictDoUpdate({ target: sessions.sid, set: { sess, userId, expiresAt: expires } })
      .then(() => cb(), cb);
  }

  get(sid: string, cb: GetCallback): void {
    this.db.select({ sess: sessions.sess }).from(sessions)
      .where(and(eq(sessions.sid, sid), gt(sessions.expiresAt, sql`now()`)))
      .then((rows) => cb(null, (rows[0]?.sess ?? null) as FastifySessionObject | null), cb);
  }

  destroy(sid: string, cb: Callback): void {
    this.db.delete(sessions).where(eq(sessions.sid, sid)).then(() => cb(), cb);
  }
}

export async function purgeExpiredSessions(db: Db): Promise<void> {
  await db.delete(sessions).where(lt(sessions.expiresAt, sql`now()`));
}

export async function sharedSecret(db: Db, key: string): Promise<string> {
  await db.insert(appSettings).values({ key, value: randomToken(48) }).onConflictDoNothing();
  const rows = await db.select({ value: appSettings.value }).from(appSettings).where(eq(appSettings.key, key));
  return rows[0]!.value;
}

export default fp(async function sessionPlugin(app: FastifyInstance) {
  const { config } = app;
  const secret = config.sessionSecret ?? await sharedSecret(app.db, 'session_secret');
  if (secret.length < 32) throw new Error('SESSION_SECRET must be at least 32 characters');
  await app.register(fastifyCookie);
  await app.register(fastifySession, {
    secret,
    cookieName: 'oi.sid',
    saveUninitialized: false,
    rolling: false,
    store: new DrizzleSessionStore(app.db, config.sessionTtlSeconds * 1000),
    cookie: {
      httpOnly: true,
      sameSite: 'lax',
      secure: config.cookieSecure,
      path: '/',
      maxAge: config.sessionTtlSeconds * 1000,
    },
  });
}, { name: 'session', dependencies: ['db'] });
