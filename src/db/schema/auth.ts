// Accounts, store scope, sessions and tokens. Secrets (passwords, reset and API tokens) are only
// ever stored hashed.
import { sql } from 'drizzle-orm';
import {
  pgTable, integer, bigint, text, boolean, timestamp, check, primaryKey, index, uniqueIndex, jsonb,
} from 'drizzle-orm/pg-core';
import { stores, customers } from './catalogue.ts';

export const roles = ['admin', 'staff', 'customer'] as const;
export type Role = (typeof roles)[number];

export const users = pgTable('users', {
  userId: integer('user_id').primaryKey().generatedByDefaultAsIdentity(),
  email: text('email').notNull(),
  passwordHash: text('password_hash').notNull(),
  fullName: text('full_name').notNull(),
  role: text('role', { enum: roles }).notNull(),
  active: boolean('active').notNull().default(true),
  customerId: integer('customer_id').references(() => customers.customerId),
  version: integer('version').notNull().default(1),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  passwordChangedAt: timestamp('password_changed_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  uniqueIndex('users_email_lower_key').on(sql`lower(${t.email})`),
  uniqueIndex('users_customer_key').on(t.customerId),
  check('users_role_check', sql`${t.role} in ('admin','staff','customer')`),
  check('users_customer_role_check', sql`(${t.role} = 'customer') = (${t.customerId} is not null)`),
]);

export const userStores = pgTable('user_stores', {
  userId: integer('user_id').notNull().references(() => users.userId, { onDelete: 'cascade' }),
  storeId: integer('store_id').notNull().references(() => stores.storeId),
}, (t) => [
  primaryKey({ name: 'user_stores_pkey', columns: [t.userId, t.storeId] }),
  index('user_stores_store_idx').on(t.storeId),
]);

export const sessions = pgTable('sessions', {
  sid: text('sid').primaryKey(),
  sess: jsonb('sess').notNull(),
  userId: integer('user_id').references(() => users.userId, { onDelete: 'cascade' }),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  /** Set by logout, a password change or deactivation: the row stays as a tombstone until it
   * expires, so a request still holding the session cannot write it back. */
  endedAt: timestamp('ended_at', { withTimezone: true }),
}, (t) => [
  index('sessions_expires_idx').on(t.expiresAt),
  index('sessions_user_idx').on(t.userId),
]);

export const passwordResets = pgTable('password_resets', {
  id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
  userId: integer('user_id').notNull().references(() => users.userId, { onDelete: 'cascade' }),
  tokenHash: text('token_hash').notNull(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  usedAt: timestamp('used_at', { withTimezone: true }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  uniqueIndex('password_resets_token_key').on(t.tokenHash),
  index('password_resets_user_idx').on(t.userId),
]);

export const apiTokens = pgTable('api_tokens', {
  id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
  userId: integer('user_id').notNull().references(() => users.userId, { onDelete: 'cascade' }),
  tokenHash: text('token_hash').notNull(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  revokedAt: timestamp('revoked_at', { withTimezone: true }),
  lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  uniqueIndex('api_tokens_token_key').on(t.tokenHash),
  index('api_tokens_user_idx').on(t.userId),
]);

/** Failed-login counters per IP and per account, kept in the database so that every server
 * process sees the same counts. */
export const loginThrottle = pgTable('login_throttle', {
  key: text('key').primaryKey(),
  failures: integer('failures').notNull().default(0),
  windowStartedAt: timestamp('window_started_at', { withTimezone: true }).notNull().defaultNow(),
});

export const auditEvents = pgTable('audit_events', {
  auditId: bigint('audit_id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
  actorId: integer('actor_id').references(() => users.userId, { onDelete: 'set null' }),
  actorEmail: text('actor_email'),
  action: text('action').notNull(),
  entity: text('entity').notNull(),
  entityId: text('entity_id'),
  before: jsonb('before'),
  after: jsonb('after'),
  requestId: text('request_id'),
  ip: text('ip'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  index('audit_events_entity_idx').on(t.entity, t.entityId, t.auditId),
  index('audit_events_actor_idx').on(t.actorId, t.auditId),
  index('audit_events_created_idx').on(t.createdAt),
]);

/** Stored answers for requests sent with an Idempotency-Key: a replay gets the first answer. */
export const idempotencyKeys = pgTable('idempotency_keys', {
  userId: integer('user_id').notNull().references(() => users.userId, { onDelete: 'cascade' }),
  key: text('key').notNull(),
  route: text('route').notNull(),
  requestHash: text('request_hash').notNull(),
  statusCode: integer('status_code').notNull(),
  body: jsonb('body').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  primaryKey({ name: 'idempotency_keys_pkey', columns: [t.userId, t.key] }),
  index('idempotency_keys_created_idx').on(t.createdAt),
]);

/** Small key/value settings shared by every process: the session secret when none is
 * configured, the demo-seed marker. */
export const appSettings = pgTable('app_settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Self-registrations waiting for their mailed link: nothing else is created until the link is
 * used, so an address nobody proved to own never gets a login (or someone else's customer
 * record). The chosen password is kept as its argon2 hash; the token as its SHA-256. */
export const pendingRegistrations = pgTable('pending_registrations', {
  id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
  tokenHash: text('token_hash').notNull(),
  email: text('email').notNull(),
  fullName: text('full_name').notNull(),
  passwordHash: text('password_hash').notNull(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  usedAt: timestamp('used_at', { withTimezone: true }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  uniqueIndex('pending_registrations_token_key').on(t.tokenHash),
  index('pending_registrations_expires_idx').on(t.expiresAt),
]);
