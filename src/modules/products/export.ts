// The CSV export of the product list, shared by the back office and the API: the same filters and
// sort as the screen, read in keyset pages and streamed, so memory stays flat however many rows.
import type { FastifyReply } from 'fastify';
import type { Db } from '../../db/client.ts';
import { sendCsv, type CsvColumn } from '../../lib/csv.ts';
import { allPages } from '../../lib/list.ts';
import { listProducts, type ListOptions, type ProductRow, type StockScope } from './repository.ts';

export const PRODUCT_CSV_COLUMNS: CsvColumn<ProductRow>[] = [
  { header: 'productId', value: (r) => r.productId },
  { header: 'sku', value: (r) => r.sku },
  { header: 'productName', value: (r) => r.productName },
  { header: 'brand', value: (r) => r.brand ?? '' },
  { header: 'colour', value: (r) => r.colour ?? '' },
  { header: 'size', value: (r) => r.size ?? '' },
  { header: 'rating', value: (r) => r.rating ?? '' },
  { header: 'unitPrice', value: (r) => r.unitPrice },
  { header: 'available', value: (r) => r.available },
  { header: 'active', value: (r) => (r.active ? 'true' : 'false') },
];

/** Rows per query while exporting. Each query sums stock in one pass over the inventory (see
 * listProducts' `bulk`), so big pages mean few passes; 20,000 rows of a few hundred bytes still
 * keep memory flat. */
const EXPORT_PAGE = 20000;

export function sendProductsCsv(reply: FastifyReply, db: Db, scope: StockScope, opts: ListOptions) {
  const { cursor: _ignored, limit: _all, ...rest } = opts;
  const rows = allPages((cursor) => listProducts(db, scope, { ...rest, cursor, limit: EXPORT_PAGE }, { bulk: true }));
  return sendCsv(reply, 'products.csv', PRODUCT_CSV_COLUMNS, rows);
}
