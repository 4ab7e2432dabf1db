// What each kind of import accepts: its columns (header names in snake_case or camelCase; the
// match ignores case, spaces, "-" and "_"), the row schema shared with the forms and the API, and
// the column that must be unique (per file and against the database).
import Type, { type Static, type TSchema } from 'typebox';
import { CustomerImportRow } from '../customers/schema.ts';
import { ProductImportRow, normalizeSku } from '../products/schema.ts';
import { importKinds } from '../../db/schema/index.ts';
import { ListParams } from '../../lib/list.ts';

export type ImportKind = (typeof importKinds)[number];
export const isImportKind = (v: unknown): v is ImportKind => importKinds.includes(v as ImportKind);

export interface ImportColumn {
  field: string;
  /** The name the template uses; the camelCase field name is accepted too. */
  header: string;
  label: string;
  required: boolean;
  help: string;
  aliases?: string[];
}

export interface KindSpec {
  kind: ImportKind;
  /** "product" / "customer": the audit entity and the words on the pages. */
  noun: string;
  schema: TSchema;
  columns: ImportColumn[];
  /** The unique field: the same value twice in a file, or one already stored, is a bad row. */
  key: string;
  /** The value compared for uniqueness (emails and SKUs are unique case-insensitively). */
  keyOf: (value: string) => string;
  /** Brings a valid row to the form every writer stores (SKUs upper-cased). */
  normalize?: (value: Record<string, unknown>) => void;
  keyLabel: string;
}

export const KINDS: Record<ImportKind, KindSpec> = {
  customers: {
    kind: 'customers',
    noun: 'customer',
    schema: CustomerImportRow,
    key: 'emailAddress',
    keyOf: (v) => v.toLowerCase(),
    keyLabel: 'email',
    columns: [
      { field: 'emailAddress', header: 'email_address', label: 'Email', required: true, help: 'A valid email address, unique (case does not matter).' },
      { field: 'fullName', header: 'full_name', label: 'Full name', required: true, help: 'Up to 200 characters.' },
    ],
  },
  products: {
    kind: 'products',
    noun: 'product',
    schema: ProductImportRow,
    key: 'sku',
    keyOf: normalizeSku,
    normalize: (v) => { v.sku = normalizeSku(String(v.sku)); },
    keyLabel: 'SKU',
    columns: [
      { field: 'sku', header: 'sku', label: 'SKU', required: true, help: '1–64 letters, digits and . _ / -, unique whatever the case; stored upper-case.' },
      { field: 'productName', header: 'product_name', label: 'Name', required: true, help: 'Up to 200 characters.' },
      { field: 'unitPrice', header: 'unit_price', label: 'Unit price', required: true, help: '0 or more, at most two decimals, e.g. 19.99.' },
      { field: 'brand', header: 'brand', label: 'Brand', required: false, help: 'Up to 60 characters.' },
      { field: 'colour', header: 'colour', label: 'Colour', required: false, help: 'Up to 60 characters ("color" is accepted as the header).', aliases: ['color'] },
      { field: 'size', header: 'size', label: 'Size', required: false, help: 'Up to 30 characters.' },
      { field: 'rating', header: 'rating', label: 'Rating', required: false, help: 'A whole number from 1 to 5.' },
    ],
  },
};

const normalize = (name: string) => name.toLowerCase().replace(/[\s_-]+/g, '');

/** A refused header row: the whole file is refused with this message. */
export class HeaderError extends Error {}

/** Maps the file's header row to field names, or throws HeaderError saying what is wrong. */
export function mapHeader(spec: KindSpec, header: string[]): string[] {
  const separator = header.length === 1 ? /[;\t|]/.exec(header[0]!)?.[0] : undefined;
  if (separator) {
    const name = separator === '\t' ? 'tabs' : separator === ';' ? 'semicolons' : 'vertical bars';
    throw new HeaderError(`The file separates values with ${name}; save it as comma-separated CSV (UTF-8) and upload it again. Expected columns: ${expectedHeaders(spec)}.`);
  }
  const byName = new Map<string, ImportColumn>();
  for (const c of spec.columns) for (const n of [c.field, c.header, ...(c.aliases ?? [])]) byName.set(normalize(n), c);
  const unknown: string[] = [];
  const seen = new Map<string, string>();
  const problems: string[] = [];
  const fields = header.map((raw, i) => {
    const name = raw.trim();
    if (!name) { problems.push(`column ${i + 1} has no name`); return ''; }
    const column = byName.get(normalize(name));
    if (!column) { unknown.push(`"${name}"`); return ''; }
    const twin = seen.get(column.field);
    if (twin) problems.push(`"${twin}" and "${name}" are the same column`);
    seen.set(column.field, name);
    return column.field;
  });
  if (unknown.length) problems.push(`unknown ${unknown.length === 1 ? 'column' : 'columns'} ${unknown.join(', ')}`);
  const missing = spec.columns.filter((c) => c.required && !seen.has(c.field)).map((c) => `"${c.header}"`);
  if (missing.length) problems.push(`missing required ${missing.length === 1 ? 'column' : 'columns'} ${missing.join(', ')}`);
  if (problems.length) {
    const problemText = problems.join('; ');
    throw new HeaderError(`The header row does not match a ${spec.noun} import: ${problemText}. `
      + `Expected columns: ${expectedHeaders(spec)}.`);
  }
  return fields;
}

export function expectedHeaders(spec: KindSpec): string {
  const example = spec.columns.find((c) => c.field !== c.header)!;
  return `${spec.columns.map((c) => `${c.header}${c.required ? '' : ' (optional)'}`).join(', ')} `
    + `(camelCase names such as ${example.field} work too)`;
}

/** The header line of the downloadable template. */
export const templateCsv = (spec: KindSpec): string => `${spec.columns.map((c) => c.header).join(',')}\r\n`;

export const JobParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2147483647 }) });
export type JobParams = Static<typeof JobParams>;

export const JobsQuery = Type.Object({
  limit: ListParams.limit,
  cursor: ListParams.cursor,
  format: ListParams.format,
});
export type JobsQuery = Static<typeof JobsQuery>;

export const RowsQuery = Type.Object({
  show: Type.Optional(Type.Union([Type.Literal('bad'), Type.Literal('good')])),
  limit: ListParams.limit,
  cursor: ListParams.cursor,
  format: ListParams.format,
});
export type RowsQuery = Static<typeof RowsQuery>;

export const NewQuery = Type.Object({ kind: Type.Optional(Type.String({ maxLength: 20 })) });
export type NewQuery = Static<typeof NewQuery>;
