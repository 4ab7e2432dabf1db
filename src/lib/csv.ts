// CSV exports, streamed: rows are read page by page and written through csv-stringify, so a
// million-row export never sits in memory.
import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { FastifyReply } from 'fastify';

// A spreadsheet evaluates a cell that starts with = + - @, and Excel in a `;` locale splits an
// unquoted comma-separated line at `;` (other importers at tab or `|`), so a formula can also
// start after any of those, blanks allowed before it. Every field is quoted, and a ' goes in
// front of each trigger (and of a leading tab or CR): the text stays readable and is never run.
// A plain number, negative included, is not a formula and stays a number.
const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;
// The blanks exclude the separators themselves, so each run is scanned once (linear time).
const TRIGGER = /(^|[;,\t\r\n|])([^\S\t\r\n]*)([=+\-@])/g;

export function neutraliseCell(v: string): string {
  if (PLAIN_NUMBER.test(v)) return v;
  const out = v.replace(TRIGGER, "$1$2'$3");
  return /^[\t\r]/.test(out) ? `'${out}` : out;
}

export interface CsvColumn<Row> { header: string; value: (row: Row) => unknown }

export function sendCsv<Row>(reply: FastifyReply, filename: string, columns: CsvColumn<Row>[], rows: AsyncIterable<Row>) {
  const records = Readable.from((async function* toRecords() {
    for await (const row of rows) yield columns.map((c) => c.value(row));
  })());
  const csv = stringify({
    header: true,
    columns: columns.map((c) => c.header),
    quoted: true,
    cast: { string: neutraliseCell, object: (v) => neutraliseCell(JSON.stringify(v)) },
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
