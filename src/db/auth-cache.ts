// Recently read sessions and API tokens, with their accounts, kept in this process's memory so
// a signed-in request needs no round trip to PostgreSQL before its own work (the session read
// was half of a list page's round trips). Kept only while this process hears the `oi_auth`
// notifications that migration 0010's triggers send at the commit of every change to sessions,
// api_tokens, users and user_stores; each notification drops what it names. A change made in
// another process ends the sign-in here as soon as its notification arrives (a millisecond or
// so after its commit); this process's own changes drop their entries directly, before the
// answer that reports them is sent (see forgetSession, forgetToken and clear).
//
// Correctness rests on three rules:
// - no listener, no cache: until LISTEN succeeds, and from the moment the listening connection
//   fails until it is back, every read goes to the database (and the cache starts empty again,
//   as notifications may have been missed meanwhile);
// - a read that started before an eviction is not kept (the epoch counter), so a slow read of
//   the old state cannot put it back after the notification that removed it;
// - entries also expire with their session or token, and after MAX_AGE_MS in any case.
import pg from 'pg';

export const AUTH_CHANNEL = 'oi_auth';
const MAX_ENTRIES = 10_000;
const MAX_AGE_MS = 60_000;
const RETRY_MS = 1_000;

export interface AuthEntry<T> {
  value: T;
  /** The account it belongs to (null for a session nobody signed in to). */
  userId: number | null;
  /** When the session or token itself expires (ms since the epoch). */
  expiresAt: number;
  cachedAt: number;
}

type Logger = { warn: (obj: object, msg: string) => void; info?: (obj: object, msg: string) => void };

class EntryMap<T> {
  readonly map = new Map<string, AuthEntry<T>>();
  get(key: string, now: number): AuthEntry<T> | undefined {
    const e = this.map.get(key);
    if (e && (e.expiresAt <= now || now - e.cachedAt > MAX_AGE_MS)) {
      this.map.delete(key);
      return undefined;
    }
    return e;
  }
  set(key: string, entry: AuthEntry<T>) {
    if (this.map.size >= MAX_ENTRIES) this.map.clear();
    this.map.set(key, entry);
  }
  forgetUser(userId: number) {
    for (const [k, e] of this.map) if (e.userId === userId) this.map.delete(k);
  }
}

const cachesByDb = new WeakMap<object, Set<{ clear(): void }>>();

/** Ties a cache to the database handle the app writes through; returns the undo. */
export function registerAuthCache(db: object, cache: { clear(): void }): () => void {
  let set = cachesByDb.get(db);
  if (!set) cachesByDb.set(db, (set = new Set()));
  set.add(cache);
  return () => set.delete(cache);
}

/** Call after a committed change to accounts (role, stores, active, password) made through
 * `db`: this process's kept sign-ins go at once, before the answer that reports the change. */
export function accountsChanged(db: object): void {
  for (const cache of cachesByDb.get(db) ?? []) cache.clear();
}

export class AuthCache<S, T> {
  readonly sessions = new EntryMap<S>();
  readonly tokens = new EntryMap<T>();
  /** Bumped by every eviction; a read records it when it starts and is kept only if unchanged. */
  epoch = 0;
  private listening = false;
  private stopped = false;
  private client?: pg.Client;
  private retry?: NodeJS.Timeout;

  /** `connect`: how to open the listening connection (a client outside the app's pool). */
  constructor(private readonly connect: () => pg.Client, private readonly log: Logger) {}

  /** True while notifications are being heard: only then is anything kept or served. */
  get enabled(): boolean { return this.listening; }

  async start(): Promise<void> {
    if (this.stopped || this.client) return;
    const client = this.connect();
    this.client = client;
    client.on('notification', (msg) => { if (msg.channel === AUTH_CHANNEL) this.onNotice(msg.payload ?? ''); });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${AUTH_CHANNEL}`);
      if (this.client !== client || this.stopped) return;
      this.clear();
      this.listening = true;
    } catch (err) {
      this.lost(client, err as Error);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.listening = false;
    clearTimeout(this.retry);
    this.clear();
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }

  /** A session read while listening and not yet expired. */
  session(sid: string): AuthEntry<S> | undefined {
    return this.listening ? this.sessions.get(sid, Date.now()) : undefined;
  }

  token(tokenHash: string): AuthEntry<T> | undefined {
    return this.listening ? this.tokens.get(tokenHash, Date.now()) : undefined;
  }

  /** Keeps what a read found, unless anything was evicted since the read began (`epoch`). */
  keepSession(sid: string, value: S, userId: number | null, expiresAt: number, epoch: number): void {
    if (this.listening && epoch === this.epoch) this.sessions.set(sid, { value, userId, expiresAt, cachedAt: Date.now() });
  }

  keepToken(tokenHash: string, value: T, userId: number, expiresAt: number, epoch: number): void {
    if (this.listening && epoch === this.epoch) this.tokens.set(tokenHash, { value, userId, expiresAt, cachedAt: Date.now() });
  }

  forgetSession(sid: string): void {
    this.epoch++;
    this.sessions.map.delete(sid);
  }

  forgetToken(tokenHash: string): void {
    this.epoch++;
    this.tokens.map.delete(tokenHash);
  }

  /** Everything: after this process changed an account (role, stores, password, active). */
  clear(): void {
    this.epoch++;
    this.sessions.map.clear();
    this.tokens.map.clear();
  }

  private onNotice(payload: string): void {
    this.epoch++;
    const key = payload.slice(2);
    switch (payload.slice(0, 2)) {
      case 's:': this.sessions.map.delete(key); break;
      case 't:': this.tokens.map.delete(key); break;
      case 'u:': {
        const userId = Number(key);
        this.sessions.forgetUser(userId);
        this.tokens.forgetUser(userId);
        break;
      }
      default: this.clear();
    }
  }

  private lost(client: pg.Client, err?: Error): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.listening = false;
    this.clear();
    client.removeAllListeners('end');
    client.on('error', () => {});
    client.end().catch(() => {});
    if (this.stopped) return;
    this.log.warn({ reason: err?.message ?? 'connection ended' }, 'auth notifications lost: reading every session from the database until they are back');
    this.retry = setTimeout(() => { void this.start(); }, RETRY_MS);
    this.retry.unref();
  }
}
