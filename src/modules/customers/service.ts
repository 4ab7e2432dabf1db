// Customer writes. Each one is a single transaction holding the change and its audit event; the
// form pages and the API both come through here, so they refuse the same things the same way.
import { eq, sql } from 'drizzle-orm';
import { customers } from '../../db/schema/index.ts';
import type { Db } from '../../db/client.ts';
import { recordAudit, type Actor } from '../../lib/audit.ts';
import { conflict, notFound, pgErrorCode, unprocessable } from '../../lib/errors.ts';
import { parseForm } from '../../lib/form.ts';
import { VersionConflict } from '../../lib/versioned.ts';
import { CustomerInput } from './schema.ts';
import { deleteBlockers } from './repository.ts';

export type CustomerRecord = typeof customers.$inferSelect;

/** What the audit log and a conflict answer carry: the stored columns, nothing derived. */
export const snapshot = (c: CustomerRecord) => ({
  customerId: c.customerId, emailAddress: c.emailAddress, fullName: c.fullName, version: c.version,
  createdAt: c.createdAt, updatedAt: c.updatedAt,
});

export const EMAIL_TAKEN = 'Another customer already uses this email address.';
const emailTaken = () => conflict(EMAIL_TAKEN, [{ field: 'emailAddress', message: EMAIL_TAKEN }]);

/** Trims and checks the fields (the API's schema has already checked types): 422 per field. */
export function validateCustomer(input: Record<string, unknown>): CustomerInput {
  const form = parseForm(CustomerInput, input);
  if (!form.ok) {
    throw unprocessable('Some fields are not valid.', Object.entries(form.errors).map(([field, message]) => ({ field, message })));
  }
  return form.value;
}

async function assertEmailFree(tx: Db, email: string, exceptId?: number) {
  const rows = await tx.select({ id: customers.customerId }).from(customers)
    .where(sql`lower(${customers.emailAddress}) = lower(${email})${exceptId ? sql` and ${customers.customerId} <> ${exceptId}` : sql``}`);
  if (rows.length) throw emailTaken();
}

/** A concurrent insert of the same email passes the check and then hits the unique index. */
async function mapUniqueViolation<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (pgErrorCode(err) === '23505') throw emailTaken();
    throw err;
  }
}

export async function createCustomer(db: Db, input: CustomerInput, actor: Actor): Promise<CustomerRecord> {
  const value = validateCustomer(input);
  return mapUniqueViolation(() => db.transaction(async (tx) => {
    await assertEmailFree(tx, value.emailAddress);
    const [row] = await tx.insert(customers).values(value).returning();
    await recordAudit(tx, actor, { action: 'create', entity: 'customer', entityId: row!.customerId, after: snapshot(row!) });
    return row!;
  }));
}

/** Applies `changes` if the customer is still at `version`; otherwise VersionConflict with the
 * current record and nothing written. Unchanged values write nothing (no version bump, no audit). */
export async function updateCustomer(db: Db, id: number, version: number, changes: Partial<CustomerInput>, actor: Actor): Promise<{ customer: CustomerRecord; changed: boolean }> {
  return mapUniqueViolation(() => db.transaction(async (tx) => {
    // NO KEY UPDATE: orders referencing the customer may still be placed meanwhile.
    const [before] = await tx.select().from(customers).where(eq(customers.customerId, id)).for('no key update');
    if (!before) throw notFound(`Customer #${id}`);
    if (before.version !== version) throw new VersionConflict(snapshot(before), 'customer');
    const value = validateCustomer({ fullName: before.fullName, emailAddress: before.emailAddress, ...changes });
    if (value.fullName === before.fullName && value.emailAddress === before.emailAddress) return { customer: before, changed: false };
    if (value.emailAddress.toLowerCase() !== before.emailAddress.toLowerCase()) await assertEmailFree(tx, value.emailAddress, id);
    const [after] = await tx.update(customers)
      .set({ ...value, version: sql`${customers.version} + 1`, updatedAt: sql`now()` })
      .where(sql`${customers.customerId} = ${id} and ${customers.version} = ${version}`)
      .returning();
    await recordAudit(tx, actor, { action: 'update', entity: 'customer', entityId: id, before: snapshot(before), after: snapshot(after!) });
    return { customer: after!, changed: true };
  }));
}

/** Why a delete is refused, in words for the user. The blockers are counted over all stores, so
 * the words give no figure: staff see the figures of their own stores only. */
export function deleteRefusal(b: { orders: number; shipments: number; accountEmail: string | null }): string | null {
  if (b.orders) return 'This customer has orders and cannot be deleted: order history is kept.';
  if (b.shipments) return 'This customer has shipments and cannot be deleted.';
  if (b.accountEmail) return `This customer is linked to the sign-in account ${b.accountEmail} and cannot be deleted. Deactivate the account instead.`;
  return null;
}

/** Deletes a customer without orders, shipments or a sign-in account. `version`, when given,
 * must still be current. */
export async function deleteCustomer(db: Db, id: number, version: number | undefined, actor: Actor): Promise<CustomerRecord> {
  return db.transaction(async (tx) => {
    // FOR UPDATE conflicts with the key-share lock an order insert takes on its customer, so no
    // order can slip in between the check and the delete.
    const [before] = await tx.select().from(customers).where(eq(customers.customerId, id)).for('update');
    if (!before) throw notFound(`Customer #${id}`);
    if (version !== undefined && before.version !== version) throw new VersionConflict(snapshot(before), 'customer');
    const refusal = deleteRefusal(await deleteBlockers(tx, id));
    if (refusal) throw conflict(refusal);
    await tx.delete(customers).where(eq(customers.customerId, id));
    await recordAudit(tx, actor, { action: 'delete', entity: 'customer', entityId: id, before: snapshot(before) });
    return before;
  });
}
