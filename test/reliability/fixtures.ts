// Data for the reliability scenarios, written straight to the database through the app's own
// services (so it is as valid as data the app writes): stores, products with stock, users and
// their API tokens.
import { loadConfig, type Config } from '../../src/config.ts';
import type { Database } from '../../src/db/client.ts';
import { products, stores } from '../../src/db/schema/index.ts';
import { applyStockChanges } from '../../src/modules/inventory/stock.ts';
import { createUser } from '../../src/modules/users/service.ts';
import { issueApiToken } from '../../src/modules/auth/service.ts';
import { systemActor } from '../../src/lib/audit.ts';
import type { Role } from '../../src/db/schema/index.ts';

/** Matches the servers' env (appEnv): cheap hashing, default token lifetimes and login limits. */
export const fixtureConfig: Config = loadConfig({ NODE_ENV: 'production' }, {
  argon2: { memoryCost: 4096, timeCost: 1, parallelism: 1 },
});

export const PASSWORD = 'correct horse battery staple';

export interface Account { id: number; email: string; fullName: string; password: string; customerId: number | null; token: string }

let storeSerial = 0;
export async function makeStores(database: Database, n: number): Promise<number[]> {
  const rows = await database.db.insert(stores).values(Array.from({ length: n }, () => ({
    storeName: `Reliability store ${++storeSerial}`, physicalAddress: `${storeSerial} Proof Street`,
  }))).returning();
  return rows.map((r) => r.storeId);
}

/** Products with `stock` units on hand at each of the stores (receipts, so the ledger agrees). */
export async function makeProducts(database: Database, tag: string, n: number, stock: Record<number, number>): Promise<number[]> {
  const rows = await database.db.insert(products).values(Array.from({ length: n }, (_, i) => ({
    sku: `REL-${tag}-${i}`, productName: `Reliability ${tag} ${i}`, unitPrice: '4.25',
  }))).returning();
  const ids = rows.map((r) => r.productId);
  const changes = Object.entries(stock).flatMap(([storeId, onHand]) =>
    ids.map((productId) => ({ storeId: Number(storeId), productId, onHand, kind: 'receipt' as const })));
  if (changes.length) await database.db.transaction((tx) => applyStockChanges(tx, changes, systemActor));
  return ids;
}

let serial = 0;
/** Accounts of one role, each with a bearer token issued the way POST /api/v1/auth/login does. */
export async function makeAccounts(database: Database, role: Role, n: number, opts: { storeIds?: number[] } = {}): Promise<Account[]> {
  const out: Account[] = [];
  for (let i = 0; i < n; i++) {
    const email = `${role}-${++serial}-${process.pid}@reliability.test`;
    const fullName = `Reliability ${role} ${serial}`;
    const user = await createUser(database.db, { email, password: PASSWORD, role, storeIds: opts.storeIds, fullName },
      systemActor, fixtureConfig.argon2);
    const { token } = await issueApiToken(database.db, fixtureConfig, user.id);
    out.push({ id: user.id, email, fullName, password: PASSWORD, customerId: user.customerId, token });
  }
  return out;
}

/** What a mixed write load (load.ts) needs: stores, products stocked at each, customers with
 * tokens, and an admin for the stock movements. */
export async function makeLoadWorld(database: Database, tag: string, opts: { stores: number; products: number; stock: number; customers: number }) {
  const storeIds = await makeStores(database, opts.stores);
  const productIds = await makeProducts(database, tag, opts.products, Object.fromEntries(storeIds.map((s) => [s, opts.stock])));
  const customers = await makeAccounts(database, 'customer', opts.customers);
  const [admin] = await makeAccounts(database, 'admin', 1);
  return { stores: storeIds, products: productIds, customers, admin: admin! };
}
