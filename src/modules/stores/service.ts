// Store changes, shared by the back office and the API: validation across fields, the
// case-insensitive name check, optimistic locking and the audit event, each in one transaction.
import { and, eq, sql } from 'drizzle-orm';
import { stores } from '../../db/schema/index.ts';
import type { Db } from '../../db/client.ts';
import { recordAudit, type Actor } from '../../lib/audit.ts';
import { conflict, notFound, pgErrorCode, unprocessable, type FieldError } from '../../lib/errors.ts';
import { VersionConflict } from '../../lib/versioned.ts';
import { normalizeStore, storeInputErrors, type StoreInput } from './schema.ts';
import { findStore, storeColumns, storeNameTaken, storeUsage, type StoreRow } from './repository.ts';

export const NAME_TAKEN = 'Another store already has this name.';

function toFieldErrors(errors: Record<string, string>): FieldError[] {
  return Object.entries(errors).map(([field, message]) => ({ field, message }));
}

function validate(input: StoreInput) {
  const value = normalizeStore(input);
  const errors = storeInputErrors(value);
  if (Object.keys(errors).length) throw unprocessable('Some fields need attention.', toFieldErrors(errors));
  return value;
}

const nameTaken = () => conflict(NAME_TAKEN, [{ field: 'storeName', message: NAME_TAKEN }]);

/** The unique index catches a concurrent twin that passed the check at the same moment. */
async function uniqueName<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (pgErrorCode(err) === '23505') throw nameTaken();
    throw err;
  }
}

const dbValues = (v: ReturnType<typeof normalizeStore>) => ({
  storeName: v.storeName,
  webAddress: v.webAddress,
  physicalAddress: v.physicalAddress,
  latitude: v.latitude === null ? null : String(v.latitude),
  longitude: v.longitude === null ? null : String(v.longitude),
});

export async function createStore(db: Db, input: StoreInput, actor: Actor): Promise<StoreRow> {
  const value = validate(input);
  return uniqueName(() => db.transaction(async (tx) => {
    if (await storeNameTaken(tx, value.storeName)) throw nameTaken();
    const [row] = await tx.insert(stores).values(dbValues(value)).returning(storeColumns);
    await recordAudit(tx, actor, { action: 'create', entity: 'store', entityId: row!.storeId, after: row });
    return row!;
  }));
}

/** Saves the store if it is still at `version`; otherwise VersionConflict with the current row. */
export async function updateStore(db: Db, storeId: number, input: StoreInput, version: number, actor: Actor): Promise<StoreRow> {
  const value = validate(input);
  return uniqueName(() => db.transaction(async (tx) => {
    const before = await findStore(tx, storeId);
    if (!before) throw notFound(`Store #${storeId}`);
    if (before.version !== version) throw new VersionConflict(before, 'store');
    if (await storeNameTaken(tx, value.storeName, storeId)) throw nameTaken();
    const [row] = await tx.update(stores)
      .set({ ...dbValues(value), version: sql`${stores.version} + 1`, updatedAt: sql`now()` })
      .where(and(eq(stores.storeId, storeId), eq(stores.version, version)))
      .returning(storeColumns);
    if (!row) {
      // Someone saved between our read and the update.
      const current = await findStore(tx, storeId);
      if (!current) throw notFound(`Store #${storeId}`);
      throw new VersionConflict(current, 'store');
    }
    await recordAudit(tx, actor, { action: 'update', entity: 'store', entityId: storeId, before, after: row });
    return row;
  }));
}

/** Deletes a store that nothing refers to. The row lock makes a concurrent order or stock
 * receipt at this store wait (its foreign key check needs a share lock on the row), so the
 * usage check cannot go stale before the delete. */
export async function deleteStore(db: Db, storeId: number, actor: Actor): Promise<StoreRow> {
  return db.transaction(async (tx) => {
    const [before] = await tx.select(storeColumns).from(stores).where(eq(stores.storeId, storeId)).for('update');
    if (!before) throw notFound(`Store #${storeId}`);
    const usage = await storeUsage(tx, storeId);
    const reasons: string[] = [];
    if (usage.inventoryRows) reasons.push(`it has stock records for ${usage.inventoryRows} product${usage.inventoryRows === 1 ? '' : 's'}`);
    if (usage.orders) reasons.push('it has orders');
    if (usage.shipments && !usage.orders) reasons.push('it has shipments');
    if (usage.staff) reasons.push(`${usage.staff} staff member${usage.staff === 1 ? ' is' : 's are'} assigned to it (change their stores first)`);
    if (reasons.length) throw conflict(`${before.storeName} cannot be deleted: ${reasons.join('; ')}.`);
    await tx.delete(stores).where(eq(stores.storeId, storeId));
    await recordAudit(tx, actor, { action: 'delete', entity: 'store', entityId: storeId, before });
    return before;
  });
}
