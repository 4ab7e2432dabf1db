// The brand, colour and size choices of the catalogue filters (back office and shop). Computing
// them means reading every product (160 ms at 100,000 products), on every list view; so they are
// remembered per process under the catalogue's version: the newest product change and the
// highest product id, read through two index probes on each request. Any create, edit, import or
// (de)activation from any process moves the version and the next view recomputes. A deleted
// product (only ever an unreferenced one) can leave its value listed until the next change; the
// filter then simply finds nothing. updated_at is a transaction's start time, so an edit that
// commits after a later-started one could hide behind the newer version: the minute is part of
// the key too, which bounds that to a minute.
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../db/client.ts';
import { memo } from '../../lib/memo.ts';

export interface FilterChoices { brands: string[]; colours: string[]; sizes: string[] }

/** The catalogue's version, for a statement to read along with its own rows (the product list
 * does, saving the page a round trip): uncorrelated, so PostgreSQL computes it once. */
export const CATALOGUE_VERSION = sql`((select max(updated_at) from products)::text || '/' || (select max(product_id) from products)::text)`;

const versionKey = (v: string | null | undefined) => `${v ?? 'empty'}@${Math.floor(Date.now() / 60_000)}`;

async function catalogueVersion(db: Db): Promise<string> {
  const [row] = await queryRows<{ v: string | null }>(db, sql`select ${CATALOGUE_VERSION} as v`);
  return versionKey(row?.v);
}

/** Distinct brands, colours and sizes, all products or active ones only, sorted. `version`: the
 * catalogue version as just read with CATALOGUE_VERSION, if the caller has it. */
export async function filterChoices(db: Db, activeOnly = false, version?: string | null): Promise<FilterChoices> {
  const key = version !== undefined ? versionKey(version) : await catalogueVersion(db);
  return memo(db, key, `facets:${activeOnly}`, async () => {
    const where = activeOnly ? sql`active and` : sql``;
    const [row] = await queryRows<{ brands: string[] | null; colours: string[] | null; sizes: string[] | null }>(db, sql`select
      array(select distinct brand from products where ${where} brand is not null order by 1) as brands,
      array(select distinct colour from products where ${where} colour is not null order by 1) as colours,
      array(select distinct size from products where ${where} size is not null order by 1) as sizes`);
    return { brands: row?.brands ?? [], colours: row?.colours ?? [], sizes: row?.sizes ?? [] };
  });
}
