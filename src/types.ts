// Fastify type augmentation for what our plugins decorate.
import type { Config } from './config.ts';
import type { Database, Db } from './db/client.ts';
import type { Mailer } from './lib/mail.ts';
import type { CurrentUser } from './lib/access.ts';
import type { Actor } from './lib/audit.ts';
import type { DrizzleSessionStore } from './plugins/session.ts';

export interface PageOptions {
  /** Fragment template rendered instead of the page for htmx (non-boosted) requests. */
  fragment?: string;
  status?: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    database: Database;
    db: Db;
    mailer: Mailer;
    sessionStore: DrizzleSessionStore;
  }
  interface FastifyRequest {
    user: CurrentUser | null;
    /** True for htmx requests that want a fragment (not boosted, not a history restore). */
    wantsFragment: boolean;
    actor(): Actor;
  }
  interface FastifyReply {
    page(template: string, data?: Record<string, unknown>, opts?: PageOptions): Promise<FastifyReply>;
    flash(type: 'success' | 'error' | 'info', message: string): void;
    /** 303 redirect with an optional flash message (post-redirect-get). */
    seeOther(url: string, message?: string): FastifyReply;
  }
}

declare module '@fastify/session' {
  interface FastifySessionObject {
    userId?: number;
    /** When the user signed in (ms); sessions older than a password change are void. */
    authAt?: number;
    flash?: Array<{ type: string; message: string }>;
    cart?: Record<string, number>;
    storeId?: number;
  }
}
