// Reads a CSV answer the way a spreadsheet does (every field is quoted on the wire), so tests
// compare cells, not quoting.
import { parse } from 'csv-parse/sync';

/** The rows of a CSV body, header first, each a list of cells. */
export const csvRows = (body: string): string[][] => parse(body, { skip_empty_lines: true, relax_column_count: true }) as string[][];

/** The same rows as comma-joined text (cells unquoted): `lines[0] === 'id,name'`. */
export const csvLines = (body: string): string[] => csvRows(body).map((r) => r.join(','));
