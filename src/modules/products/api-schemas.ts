// TypeBox shapes of the products API, built from the field schemas in schema.ts so the API, the
// forms and the import validate the same rules. Bodies are strict (no coercion, no extra fields):
// a price sent as a JSON number is refused, prices are decimal strings.
import Type from 'typebox';
import { ApiListQuery } from '../../lib/schemas.ts';
import { OptionalFields, ProductFields, ProductFilterFields, productSorts } from './schema.ts';

const nullable = <T extends import('typebox').TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const ApiProduct = Type.Object({
  productId: Type.Integer(),
  sku: Type.String(),
  productName: Type.String(),
  unitPrice: Type.String({ description: 'Decimal string with two decimals, e.g. "19.99"' }),
  colour: nullable(Type.String()),
  brand: nullable(Type.String()),
  size: nullable(Type.String()),
  rating: nullable(Type.Integer()),
  active: Type.Boolean(),
  available: Type.Integer({ description: 'Sum of on hand minus reserved over the stores the caller may see (staff: their stores)' }),
  version: Type.Integer({ description: 'Optimistic-lock token: send it back with PUT' }),
}, { title: 'Product' });

export const ApiProductStock = Type.Object({
  storeId: Type.Integer(),
  storeName: Type.String(),
  onHand: Type.Optional(Type.Integer({ description: 'Not shown to customers' })),
  reserved: Type.Optional(Type.Integer({ description: 'Not shown to customers' })),
  available: Type.Integer(),
  reorderPoint: Type.Optional(Type.Integer({ description: 'Not shown to customers' })),
}, { title: 'ProductStock' });

export const ApiProductDetail = Type.Object({
  ...ApiProduct.properties,
  stock: Type.Array(ApiProductStock, { description: 'Per store with an inventory row; staff see only their stores' }),
}, { title: 'ProductDetail' });

const { sku, productName, unitPrice } = ProductFields;
const { brand, colour, size, rating } = OptionalFields;

/** Create and replace. Optional descriptive fields may be null (or omitted) to clear them. */
export const ApiProductBody = Type.Object({
  sku,
  // At least one visible character: a name of spaces is no name.
  productName: Type.String({ ...productName, pattern: '\\S' }),
  unitPrice,
  brand: Type.Optional(nullable(brand)),
  colour: Type.Optional(nullable(colour)),
  size: Type.Optional(nullable(size)),
  rating: Type.Optional(nullable(rating)),
  active: Type.Optional(Type.Boolean({ description: 'Default true on create; unchanged when omitted on update' })),
}, { additionalProperties: false, title: 'ProductInput' });

export const ApiProductUpdate = Type.Object({
  ...ApiProductBody.properties,
  version: Type.Integer({ minimum: 1, description: 'The version you read; 409 with the current product if it changed since' }),
}, { additionalProperties: false, title: 'ProductUpdate' });

export const ApiProductQuery = Type.Object({
  ...ApiListQuery,
  sort: Type.Optional(Type.Union(productSorts.map((s) => Type.Literal(s)), { description: 'Default productName' })),
  ...ProductFilterFields,
});

export const ApiProductConflict = Type.Object({
  status: Type.Integer(),
  message: Type.String(),
  errors: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }))),
  current: Type.Optional(ApiProduct),
}, { title: 'ProductConflict' });

export const ApiBrandList = Type.Object({
  items: Type.Array(Type.Object({ brand: Type.String(), productCount: Type.Integer() })),
  nextCursor: Type.Null({ description: 'Always null: the list of brands is short and comes whole' }),
}, { title: 'BrandList' });
