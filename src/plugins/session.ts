// Cookie sessions stored in PostgreSQL through Drizzle (works on PGlite and pg alike), so any
// server process can serve any request. The secret comes from SESSION_SECRET or, when unset, is
// generated once and kept in app_settings so every process shares it.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifySession, { type SessionStore, type FastifySessionObject } from '@fastify/session';
import { eq, and, gt, lt, isNull, sql } from 'drizzle-orm';
import { sessions, appSettings, users } from '../db/schema/index.ts';
import type { Db } from '../db/client.ts';
import type { Config } from '../config.ts';
import { randomToken } from '../lib/tokens.ts';
import { currentUserColumns, endedSession, toLoadedUser, type LoadedUser } from '../modules/auth/repository.ts';

type Callback = (err?: any) => void;
type GetCallback = (err: any, result?: FastifySessionObject | null) => void;

const MAX_PENDING_ACCOUNTS = 10_000;
const PURGE_EVERY_MS = 10 * 60_000;

export class DrizzleSessionStore implements SessionStore {
  /** The account behind each session just read, by session id, until the auth hook of that
   * request takes it (see takeUser). */
  private readonly accounts = new Map<string, { userId: number | null; account: LoadedUser | null }>();

  /** Built once: building a select is most of its cost in Node (0.35 of 0.45 ms measured). */
  private readonly readSession;

  constructor(private readonly db: Db, private readonly ttlMs: number) {
    this.readSession = db.select({ sess: sessions.sess, sessionUserId: sessions.userId, ...currentUserColumns }).from(sessions)
      .leftJoin(users, and(eq(users.userId, sessions.userId), eq(users.active, true)))
      .where(and(eq(sessions.sid, sql.placeholder('sid')), gt(sessions.expiresAt, sql`now()`), isNull(sessions.endedAt)))
      .prepare('oi_session_read');
  }

  /** Writes the session, but never over an ended one: logout, a password change and deactivation
   * leave the row as a tombstone (see endSession), so a request that read the session before the
   * end and saves it after finds the tombstone and changes nothing. Nor does a late save extend
   * a session that has expired meanwhile. */
  set(sid: string, session: FastifySessionObject, cb: Callback): void {
    const expires = session.cookie?.expires ? new Date(session.cookie.expires) : new Date(Date.now() + this.ttlMs);
    const userId = typeof session.userId === 'number' ? session.userId : null;
    const sess = JSON.parse(JSON.stringify(session));
    this.db.insert(sessions).values({ sid, sess, userId, expiresAt: expires })
      .onConflictDoUpdate({
        target: sessions.sid,
        set: { sess, userId, expiresAt: expires },
        setWhere: and(isNull(sessions.endedAt), gt(sessions.expiresAt, sql`now()`)),
      })
      .then(() => cb(), cb);
  }

  /** The session and, in the same round trip, its signed-in account as it is now (active users
   * only): every signed-in request re-checks the account, and a round trip is most of what a
   * short query costs. */
  get(sid: string, cb: GetCallback): void {
    this.readSession.execute({ sid })
      .then((rows) => {
        const row = rows[0];
        // Entries of requests that never reach the auth hook (an API call carrying a cookie)
        // stay until their session is read again; bound them.
        if (this.accounts.size >= MAX_PENDING_ACCOUNTS) this.accounts.clear();
        if (row) this.accounts.set(sid, { userId: row.sessionUserId, account: toLoadedUser(row) });
        else this.accounts.delete(sid);
        cb(null, (row?.sess ?? null) as FastifySessionObject | null);
      }, cb);
  }

  /**
   * The account read with session `sid` for user `userId`, once: undefined when there is none
   * (a concurrent request with the same session took it, or the session was signed in since),
   * and the caller loads the account itself. An entry is only ever as old as the latest read of
   * its session, so a taker never sees an account older than its own request's read.
   */
  takeUser(sid: string, userId: number): LoadedUser | null | undefined {
    const found = this.accounts.get(sid);
    if (!found) return undefined;
    this.accounts.delete(sid);
    // The join follows the session row's user_id column; it must be the session's user.
    return found.userId === userId ? found.account : undefined;
  }

  /** Ends the session for good (a tombstone, not a delete: see set). An id that was never stored
   * has nothing to end, and no other request can hold it. */
  destroy(sid: string, cb: Callback): void {
    this.accounts.delete(sid);
    this.db.update(sessions).set(endedSession).where(and(eq(sessions.sid, sid), isNull(sessions.endedAt))).then(() => cb(), cb);
  }
}

/** Deletes sessions (live or ended) that expired over an hour ago: a request still holding one
 * then would have to have started before it expired, and set() refuses expired rows anyway. */
export async function purgeExpiredSessions(db: Db): Promise<void> {
  await db.delete(sessions).where(lt(sessions.expiresAt, sql`now() - interval '1 hour'`));
}

export async function sharedSecret(db: Db, key: string): Promise<string> {
  await db.insert(appSettings).values({ key, value: randomToken(48) }).onConflictDoNothing();
  const rows = await db.select({ value: appSettings.value }).from(appSettings).where(eq(appSettings.key, key));
  return rows[0]!.value;
}

/** The session cookie's name: behind TLS with the __Host- prefix, which browsers accept only
 * with Secure, Path=/ and no Domain, so a sibling subdomain can neither set nor shadow it. */
export const sessionCookieName = (config: Config): string => (config.cookieSecure ? '__Host-oi.sid' : 'oi.sid');

export default fp(async function sessionPlugin(app: FastifyInstance) {
  const { config } = app;
  const secret = config.sessionSecret ?? await sharedSecret(app.db, 'session_secret');
  if (secret.length < 32) throw new Error('SESSION_SECRET must be at least 32 characters');
  const store = new DrizzleSessionStore(app.db, config.sessionTtlSeconds * 1000);
  app.decorate('sessionStore', store);
  // Expired sessions and tombstones go on a timer (they went only when someone signed in).
  const purge = setInterval(() => {
    purgeExpiredSessions(app.db).catch((err: unknown) => app.log.warn({ err }, 'session purge failed'));
  }, PURGE_EVERY_MS).unref();
  app.addHook('onClose', async () => clearInterval(purge));
  // The secret also signs the CSRF cookie (plugins/security.ts).
  await app.register(fastifyCookie, { secret });
  await app.register(fastifySession, {
    secret,
    cookieName: sessionCookieName(config),
    saveUninitialized: false,
    rolling: false,
    store,
    cookie: {
      httpOnly: true,
      sameSite: 'lax',
      secure: config.cookieSecure,
      path: '/',
      maxAge: config.sessionTtlSeconds * 1000,
    },
  });
}, { name: 'session', dependencies: ['db'] });
