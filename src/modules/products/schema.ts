// Product fields as the back office, the API and the CSV import all validate them. Prices are
// decimal strings with at most two decimals (numeric(10,2) in the database).
import Type, { type Static } from 'typebox';

export const PRICE_PATTERN = '^(0|[1-9][0-9]{0,7})(\\.[0-9]{1,2})?$';
export const SKU_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$';

/** The optional fields' own schemas, for the API to make them nullable. */
export const OptionalFields = {
  brand: Type.String({ maxLength: 60, errorMessage: 'Use at most 60 characters.' }),
  colour: Type.String({ maxLength: 60, errorMessage: 'Use at most 60 characters.' }),
  size: Type.String({ maxLength: 30, errorMessage: 'Use at most 30 characters.' }),
  rating: Type.Integer({ minimum: 1, maximum: 5, errorMessage: 'Choose a rating from 1 to 5.' }),
};

export const ProductFields = {
  sku: Type.String({ pattern: SKU_PATTERN, errorMessage: 'Use 1–64 letters, digits, and . _ / - (starting with a letter or digit).' }),
  productName: Type.String({ minLength: 1, maxLength: 200, errorMessage: 'Enter the product name (up to 200 characters).' }),
  unitPrice: Type.String({ pattern: PRICE_PATTERN, errorMessage: 'Enter a price of 0 or more with at most two decimals, e.g. 19.99.' }),
  brand: Type.Optional(OptionalFields.brand),
  colour: Type.Optional(OptionalFields.colour),
  size: Type.Optional(OptionalFields.size),
  rating: Type.Optional(OptionalFields.rating),
};

export const ProductForm = Type.Object({
  ...ProductFields,
  /** Checkbox: present ("on"/"true") when active. */
  active: Type.Optional(Type.Union([Type.Literal('on'), Type.Literal('true'), Type.Literal('false')])),
  version: Type.Optional(Type.Integer({ minimum: 1, errorMessage: 'The form is out of date: reload it.' })),
});
export type ProductForm = Static<typeof ProductForm>;

export const ProductImportRow = Type.Object(ProductFields);

/** SKUs are case-insensitive identifiers: "abc-1" and "ABC-1" are the same article. They are
 * stored upper-cased, so the unique index on sku enforces that; every writer (forms, API,
 * import) should pass them through here. */
export const normalizeSku = (sku: string): string => sku.trim().toUpperCase();

/** The values every writer hands to the service, whatever the transport. */
export interface ProductInput {
  sku: string;
  productName: string;
  unitPrice: string;
  brand: string | null;
  colour: string | null;
  size: string | null;
  rating: number | null;
  active?: boolean;
}

// ---- Lists: the filters of the page and of the API (same names, SPEC "JSON API contract") ----

const priceFilter = (what: string) => Type.Optional(Type.String({
  pattern: PRICE_PATTERN, maxLength: 12,
  errorMessage: `Enter a ${what} price of 0 or more with at most two decimals, e.g. 19.99.`,
}));

export const activeFilters = ['all', 'true', 'false'] as const;
export type ActiveFilter = (typeof activeFilters)[number];

export const ProductFilterFields = {
  q: Type.Optional(Type.String({ maxLength: 200, errorMessage: 'Search for at most 200 characters.', description: 'Name contains (case-insensitive)' })),
  brand: Type.Optional(Type.String({ maxLength: 60, errorMessage: 'Use at most 60 characters.' })),
  colour: Type.Optional(Type.String({ maxLength: 60, errorMessage: 'Use at most 60 characters.' })),
  size: Type.Optional(Type.String({ maxLength: 30, errorMessage: 'Use at most 30 characters.' })),
  minPrice: priceFilter('minimum'),
  maxPrice: priceFilter('maximum'),
  active: Type.Optional(Type.Union([Type.Literal('all'), Type.Literal('true'), Type.Literal('false')], {
    errorMessage: 'Choose all, active (true) or inactive (false).',
    description: '`true`, `false` or `all` (default `all`; customers only ever see active products)',
  })),
};

export const productSorts = ['productId', 'sku', 'productName', 'brand', 'colour', 'size', 'rating', 'unitPrice', 'available'] as const;
export type ProductSort = (typeof productSorts)[number];

/** The back-office list's query string, checked like a form so errors show next to the filters. */
export const ProductPageQuery = Type.Object({
  ...ProductFilterFields,
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, errorMessage: 'Show 1 to 200 rows per page.' })),
  cursor: Type.Optional(Type.String({ maxLength: 500 })),
  sort: Type.Optional(Type.Union(productSorts.map((s) => Type.Literal(s)), { errorMessage: `Sort by one of: ${productSorts.join(', ')}.` })),
  order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')], { errorMessage: 'Order is asc or desc.' })),
  format: Type.Optional(Type.Union([Type.Literal('html'), Type.Literal('csv'), Type.Literal('json')])),
});
export type ProductPageQuery = Static<typeof ProductPageQuery>;

export interface ProductFilters {
  q?: string;
  brand?: string;
  colour?: string;
  size?: string;
  minPrice?: string;
  maxPrice?: string;
  active?: ActiveFilter;
}

/** Rules across fields that a schema cannot express; `null` when the filters are consistent. */
export function priceRangeError(f: ProductFilters): string | null {
  if (f.minPrice !== undefined && f.maxPrice !== undefined && Number(f.minPrice) > Number(f.maxPrice)) {
    return 'The maximum price must be at least the minimum price.';
  }
  return null;
}
