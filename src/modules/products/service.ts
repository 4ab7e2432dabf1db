// Product writes. Each use case is one transaction: lock the row, check, write, and record the
// audit event (before/after) in the same transaction, so a refused change writes nothing at all.
import { and, eq, ne, sql } from 'drizzle-orm';
import { products } from '../../db/schema/index.ts';
import type { Db } from '../../db/client.ts';
import { recordAudit, type Actor } from '../../lib/audit.ts';
import { HttpError, notFound, pgErrorCode } from '../../lib/errors.ts';
import { VersionConflict } from '../../lib/versioned.ts';
import { productReferences, type ProductRecord, type ProductReferences } from './repository.ts';
import { normalizeSku, type ProductInput } from './schema.ts';

/** 409: the SKU belongs to another product. Forms show it next to the SKU field. */
export class SkuTakenError extends HttpError {
  constructor(readonly sku: string) {
    const message = `Another product already has SKU ${sku} (SKUs are not case-sensitive).`;
    super(409, message, [{ field: 'sku', message }]);
  }
}

/** 409: order lines, stock rows or movements still point at the product. Says which kinds, not
 * how many: they are counted over all stores, and staff see the figures of their own stores. */
export class ProductInUseError extends HttpError {
  constructor(readonly refs: ProductReferences) {
    const kinds = [refs.orderLines && 'order lines', refs.stockRows && 'stock records', refs.movements && 'stock movements']
      .filter((k): k is string => Boolean(k));
    const list = kinds.length > 1 ? `${kinds.slice(0, -1).join(', ')} and ${kinds.at(-1)}` : kinds[0];
    super(409, `This product cannot be deleted: it is referenced by ${list}. Deactivate it instead: it disappears from the shop and cannot be ordered, and its history stays intact.`,
      [{ field: 'productId', message: 'is still referenced', references: kinds }]);
  }
}

const RETURNING = {
  productId: products.productId, sku: products.sku, productName: products.productName, unitPrice: products.unitPrice,
  colour: products.colour, brand: products.brand, size: products.size, rating: products.rating, active: products.active,
  version: products.version,
};

const ENTITY = 'product';

async function lockProduct(tx: Db, id: number): Promise<ProductRecord> {
  const [row] = await tx.select(RETURNING).from(products).where(eq(products.productId, id)).for('update');
  if (!row) throw notFound(`Product #${id}`);
  return row;
}

/** SKUs compare case-insensitively: upper(sku) also catches rows some other writer stored in
 * lower case (the unique index alone only guards exact spellings). */
async function assertSkuFree(tx: Db, sku: string, exceptId?: number): Promise<void> {
  const taken = await tx.select({ id: products.productId }).from(products)
    .where(and(sql`upper(${products.sku}) = ${sku}`, exceptId ? ne(products.productId, exceptId) : undefined)).limit(1);
  if (taken.length) throw new SkuTakenError(sku);
}

/** A concurrent writer can still win the race for a SKU: the unique index then says so. */
async function skuRace<T>(sku: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (pgErrorCode(err) === '23505') throw new SkuTakenError(sku);
    throw err;
  }
}

const columns = (input: ProductInput) => ({
  sku: normalizeSku(input.sku),
  productName: input.productName,
  unitPrice: input.unitPrice,
  brand: input.brand,
  colour: input.colour,
  size: input.size,
  rating: input.rating,
});

export async function createProduct(db: Db, input: ProductInput, actor: Actor): Promise<ProductRecord> {
  const values = { ...columns(input), active: input.active ?? true };
  return skuRace(values.sku, () => db.transaction(async (tx) => {
    await assertSkuFree(tx, values.sku);
    const [row] = await tx.insert(products).values(values).returning(RETURNING);
    await recordAudit(tx, actor, { action: 'create', entity: ENTITY, entityId: row!.productId, after: row });
    return row!;
  }));
}

/** Saves the edit if nobody saved since `version`; otherwise VersionConflict with the current row. */
export async function updateProduct(db: Db, id: number, version: number, input: ProductInput, actor: Actor): Promise<ProductRecord> {
  const values = columns(input);
  return skuRace(values.sku, () => db.transaction(async (tx) => {
    const before = await lockProduct(tx, id);
    if (before.version !== version) throw new VersionConflict(before, 'product');
    if (values.sku !== before.sku) await assertSkuFree(tx, values.sku, id);
    const [after] = await tx.update(products)
      .set({ ...values, active: input.active ?? before.active, version: sql`${products.version} + 1`, updatedAt: sql`now()` })
      .where(and(eq(products.productId, id), eq(products.version, version)))
      .returning(RETURNING);
    await recordAudit(tx, actor, { action: 'update', entity: ENTITY, entityId: id, before, after });
    return after!;
  }));
}

/** Deactivates or reactivates. Not tied to a version: it does not overwrite anyone's edit, and it
 * bumps the version so an edit form opened before it reports a conflict. */
export async function setProductActive(db: Db, id: number, active: boolean, actor: Actor): Promise<ProductRecord> {
  return db.transaction(async (tx) => {
    const before = await lockProduct(tx, id);
    if (before.active === active) return before;
    const [after] = await tx.update(products)
      .set({ active, version: sql`${products.version} + 1`, updatedAt: sql`now()` })
      .where(eq(products.productId, id)).returning(RETURNING);
    await recordAudit(tx, actor, { action: active ? 'reactivate' : 'deactivate', entity: ENTITY, entityId: id, before, after });
    return after!;
  });
}

/** Deletes a product nothing refers to. The row lock taken first makes a concurrent order line or
 * stock row wait for us (its foreign key check needs a share lock), then fail cleanly. */
export async function deleteProduct(db: Db, id: number, actor: Actor): Promise<ProductRecord> {
  return db.transaction(async (tx) => {
    const before = await lockProduct(tx, id);
    const refs = await productReferences(tx, id);
    if (refs.orderLines || refs.stockRows || refs.movements) throw new ProductInUseError(refs);
    await tx.delete(products).where(eq(products.productId, id));
    await recordAudit(tx, actor, { action: 'delete', entity: ENTITY, entityId: id, before });
    return before;
  });
}
