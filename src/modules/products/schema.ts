// Product fields as the back office, the API and the CSV import all validate them. Prices are
// decimal strings with at most two decimals (numeric(10,2) in the database).
import Type, { type Static } from 'typebox';

export const PRICE_PATTERN = '^(0|[1-9][0-9]{0,7})(\\.[0-9]{1,2})?$';
export const SKU_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$';

export const ProductFields = {
  sku: Type.String({ pattern: SKU_PATTERN, errorMessage: 'Use 1–64 letters, digits, and . _ / - (starting with a letter or digit).' }),
  productName: Type.String({ minLength: 1, maxLength: 200, errorMessage: 'Enter the product name (up to 200 characters).' }),
  unitPrice: Type.String({ pattern: PRICE_PATTERN, errorMessage: 'Enter a price of 0 or more with at most two decimals, e.g. 19.99.' }),
  brand: Type.Optional(Type.String({ maxLength: 60, errorMessage: 'Use at most 60 characters.' })),
  colour: Type.Optional(Type.String({ maxLength: 60, errorMessage: 'Use at most 60 characters.' })),
  size: Type.Optional(Type.String({ maxLength: 30, errorMessage: 'Use at most 30 characters.' })),
  rating: Type.Optional(Type.Integer({ minimum: 1, maximum: 5, errorMessage: 'Choose a rating from 1 to 5.' })),
};

export const ProductForm = Type.Object({
  ...ProductFields,
  /** Checkbox: present ("on"/"true") when active. */
  active: Type.Optional(Type.Union([Type.Literal('on'), Type.Literal('true'), Type.Literal('false')])),
  version: Type.Optional(Type.Integer({ minimum: 1, errorMessage: 'The form is out of date: reload it.' })),
});
export type ProductForm = Static<typeof ProductForm>;

export const ProductImportRow = Type.Object(ProductFields);
