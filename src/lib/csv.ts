// CSV exports, streamed: rows are read page by page and written through csv-stringify, so a
// million-row export never sits in memory.
import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { FastifyReply } from 'fastify';

export interface CsvColumn<Row> { header: string; value: (row: Row) => unknown }

export function sendCsv<Row>(reply: FastifyReply, filename: string, columns: CsvColumn<Row>[], rows: AsyncIterable<Row>) {
  const records = Readable.from((async function* toRecords() {
    for await (const row of rows) yield columns.map((c) => c.value(row));
  })());
  const csv = stringify({
    header: true,
    columns: columns.map((c) => c.header),
    // A leading = + - @ would make a spreadsheet evaluate the cell: quote it as text.
    cast: { string: (v) => (/^[=+\-@\t\r]/.test(v) ? `'${v}` : v) },
  });
  records.on('error', (err) => csv.destroy(err));
  reply.header('content-type', 'text/csv; charset=utf-8');
  reply.header('content-disposition', `attachment; filename="${filename.replace(/[^\w.-]/g, '_')}"`);
  reply.header('cache-control', 'no-store');
  return reply.send(records.pipe(csv));
}

/** True when the request asks for CSV (`?format=csv` or an Accept header of text/csv). */
export const wantsCsv = (query: { format?: string }, accept?: string): boolean =>
  query.format === 'csv' || (!!accept && accept.startsWith('text/csv'));
