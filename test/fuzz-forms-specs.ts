// What each form of the server-rendered pages takes, as valid-ish values the fuzz then breaks.
// Keyed by "METHOD /route" exactly as the app registers it: fuzz-forms.test.ts fails on a
// state-changing page route missing here (classify it) and on an entry whose route is gone.
// Sentinels are resolved when a request is sent (the record's current version, the role's own
// credentials), so a well-formed submission can succeed and show its values again.
import fc from 'fast-check';
import { XSS, xssText, type FormValue } from './fuzz-helpers.ts';
import type { RoleName, World } from './fuzz-world.ts';

export type Fields = Record<string, FormValue | undefined>;
export const VERSION = '\u0002version';
export const MY_EMAIL = '\u0002email';
export const MY_PASSWORD = '\u0002password';

export interface FormSpec {
  valid: (w: World, role: RoleName) => fc.Arbitrary<Fields>;
  /** Pages holding this form (role, address): fields they post must be known to `valid`. */
  pages?: (w: World) => Array<[RoleName, string]>;
  multipart?: true;
}

const pick = (xs: Array<string | number>) => fc.constantFrom(...xs.map(String));
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const text = fc.oneof(xssText, fc.constantFrom('Zoë Ångström', '李小龍', "O'Brien & Sons", 'Fuzz name'), fc.string({ minLength: 1, maxLength: 20 }));
const shortText = fc.oneof(fc.constantFrom('"><b>x</b>', '<script>x</script>', 'Blue', 'XL'), fc.string({ maxLength: 12 }));
const email = fc.tuple(fc.constantFrom('fz', "o'neil", 'Fz.Upper', 'x+tag', '"><b>'), fc.nat(1e9)).map(([a, n]) => `${a}${n}@example.test`);
const password = fc.nat(1e9).map((n) => `Fuzz-pass-${n}-long`);
const qty = fc.integer({ min: 1, max: 3 }).map(String);
const withConfirm = (extra: fc.Arbitrary<Fields>) => fc.tuple(extra, password).map(([f, p]) => ({ ...f, password: p, confirm: p }));

const storeFields = {
  storeName: text, physicalAddress: text,
  webAddress: fc.constantFrom('', 'https://shop.example.test/a', 'https://x.test/"><svg/onload=alert(1)>'),
  latitude: fc.constantFrom('', '51.5', '-33.86'), longitude: fc.constantFrom('', '-0.12', '151.2'),
};
const productFields = (w: World) => ({
  sku: fc.oneof(fc.nat(1e6).map((n) => `FZ-${n}`), pick(w.skus)), productName: text, unitPrice: fc.constantFrom('0', '9.99', '1234.5'),
  brand: shortText, colour: shortText, size: shortText, rating: fc.constantFrom('', '1', '5'), active: maybe(fc.constant('on')),
});
const userFields = (w: World) => ({
  email, fullName: text, role: fc.constantFrom('staff', 'admin'), storeIds: fc.constant<FormValue>([String(w.storeA)]),
});
const none = () => fc.constant({} as Fields);
const id = (w: World, pool: string, i = 0) => String(w.pools[pool]![i]);

export const FORM_SPECS: Record<string, FormSpec> = {
  'POST /login': {
    valid: () => fc.record({ email: fc.constant(MY_EMAIL), password: fc.constantFrom(MY_PASSWORD, 'not the password'), next: fc.constantFrom('/dashboard', '//evil.test/', 'https://evil.test', '/\\evil.test', 'javascript:alert(1)', XSS[1]!) }),
    pages: () => [['anonymous', '/login']],
  },
  'POST /logout': { valid: none },
  'POST /register': {
    valid: () => withConfirm(fc.record({ fullName: text, email })),
    pages: () => [['anonymous', '/register']],
  },
  'POST /register/confirm': { valid: () => fc.record({ token: fc.stringMatching(/^[A-Za-z0-9_-]{43}$/), password }) },
  'POST /forgot-password': {
    valid: (w) => fc.record({ email: fc.oneof(fc.constant(w.victimEmail), email) }),
    pages: () => [['anonymous', '/forgot-password']],
  },
  'POST /reset-password': { valid: () => withConfirm(fc.record({ token: fc.stringMatching(/^[A-Za-z0-9_-]{43}$/) })) },
  'POST /account/password': {
    valid: () => withConfirm(fc.record({ current: fc.constantFrom(MY_PASSWORD, 'not the password') })),
    pages: () => [['admin', '/account/password']],
  },
  'POST /cart/items': { valid: (w) => fc.record({ productId: pick(w.pools.products!), quantity: qty }), pages: () => [['customer', '/shop']] },
  'POST /cart/items/:productId': { valid: () => fc.record({ quantity: fc.integer({ min: 0, max: 5 }).map(String) }) },
  'POST /cart/store': { valid: (w) => fc.record({ storeId: pick(w.pools.stores!) }) },
  'POST /checkout': { valid: () => fc.record({ checkoutKey: fc.uuid() }) },
  'POST /account/orders/:id/cancel': {
    valid: () => fc.record({ version: fc.constant(VERSION) }),
    pages: (w) => [['customer', `/account/orders/${id(w, 'orders', 2)}`]],
  },
  'POST /stores': { valid: () => fc.record(storeFields), pages: () => [['admin', '/stores/new']] },
  'POST /stores/:id': { valid: () => fc.record({ ...storeFields, version: fc.constant(VERSION) }), pages: (w) => [['admin', `/stores/${w.storeA}/edit`]] },
  'POST /stores/:id/delete': { valid: none, pages: (w) => [['admin', `/stores/${w.storeA}`]] },
  'POST /customers': { valid: () => fc.record({ fullName: text, emailAddress: email }), pages: () => [['admin', '/customers/new']] },
  'POST /customers/:id/edit': {
    valid: () => fc.record({ fullName: text, emailAddress: email, version: fc.constant(VERSION) }),
    pages: (w) => [['admin', `/customers/${id(w, 'customers')}/edit`]],
  },
  'POST /customers/:id/delete': { valid: () => fc.record({ version: fc.constant(VERSION) }), pages: (w) => [['admin', `/customers/${id(w, 'customers', 2)}`]] },
  'POST /products': { valid: (w) => fc.record(productFields(w)), pages: () => [['admin', '/products/new']] },
  'POST /products/:id': {
    valid: (w) => fc.record({ ...productFields(w), version: fc.constant(VERSION) }),
    pages: (w) => [['admin', `/products/${id(w, 'products')}/edit`]],
  },
  'POST /products/:id/deactivate': { valid: none, pages: (w) => [['admin', `/products/${id(w, 'products')}`]] },
  'POST /products/:id/reactivate': { valid: none },
  'POST /products/:id/delete': { valid: none },
  'POST /inventory/receive': {
    valid: (w) => fc.record({ storeId: pick(w.pools.stores!), sku: pick(w.skus), quantity: qty, reference: text, idempotencyKey: maybe(fc.uuid()) }),
    pages: () => [['staff', '/inventory/receive']],
  },
  'POST /inventory/transfers/new': {
    valid: (w) => fc.record({
      fromStoreId: fc.constant(String(w.storeA)), toStoreId: pick(w.pools.stores!), reference: text, lines: fc.constantFrom('5', '7', '-1', '999'),
      sku_0: pick(w.skus), quantity_0: qty, sku_1: maybe(pick(w.skus)), quantity_1: maybe(qty), sku_4: maybe(pick(w.skus)), quantity_4: maybe(qty),
      more: maybe(fc.constant('More lines')), idempotencyKey: maybe(fc.uuid()),
    }),
    pages: () => [['staff', '/inventory/transfers/new']],
  },
  'POST /inventory/:storeId/:productId/:action': {
    valid: (w) => fc.record({
      quantity: fc.integer({ min: -3, max: 3 }).map(String), reference: maybe(text), reason: fc.constantFrom('damaged', 'found', 'correction', 'other'),
      note: maybe(text), countedQuantity: fc.integer({ min: 0, max: 60 }).map(String), toStoreId: pick(w.pools.stores!), reorderPoint: fc.integer({ min: 0, max: 9 }).map(String),
      idempotencyKey: maybe(fc.uuid()),
    }),
    pages: (w) => ['receive', 'adjust', 'count', 'transfer', 'reorder-point'].map((a) => ['staff', `/inventory/${w.storeA}/${w.stocked[0]}/${a}`]),
  },
  'POST /imports': { valid: () => fc.record({ kind: fc.constantFrom('products', 'customers'), file: fc.constant('(csv)') }), multipart: true, pages: () => [['staff', '/imports/new?kind=products']] },
  'POST /imports/:id/apply': { valid: none },
  'POST /orders': {
    valid: (w) => fc.record({
      customer: fc.oneof(pick(w.pools.customers!), fc.constant('xss.customer@example.test'), text), storeId: fc.constant(String(w.storeA)),
      lines: fc.array(fc.tuple(pick([...w.skus, ...w.stocked]), qty), { minLength: 1, maxLength: 3 }),
      idempotencyKey: fc.uuid(), intent: fc.constantFrom(undefined, undefined, 'check', 'add', 'place'),
    }).map(({ lines, ...rest }): Fields => ({ ...rest, product: lines.map((l) => l[0]), quantity: lines.map((l) => l[1]) })),
    pages: () => [['staff', '/orders/new']],
  },
  'POST /orders/:id/actions/:action': {
    valid: () => fc.record({ version: fc.constant(VERSION), note: maybe(text), 'returns.1': maybe(fc.constantFrom('0', '1', '2')), 'returns.2': maybe(fc.constantFrom('0', '1')) }),
    pages: (w) => [['admin', `/orders/${id(w, 'orders', 2)}`]],
  },
  'POST /orders/:id/shipments': {
    valid: () => fc.record({ version: fc.constant(VERSION), lineItemId: fc.constantFrom(['1'], ['1', '2'], ['2']), deliveryAddress: maybe(text) }),
    pages: (w) => [['admin', `/orders/${id(w, 'orders', 3)}`]],
  },
  'POST /shipments/:id/actions/:action': { valid: () => fc.record({ version: fc.constant(VERSION) }), pages: (w) => [['admin', `/shipments/${id(w, 'shipments')}`]] },
  'POST /users': {
    valid: (w) => fc.record({ ...userFields(w), passwordMode: fc.constantFrom('email', 'set'), password }),
    pages: () => [['admin', '/users/new']],
  },
  'POST /users/:id': { valid: (w) => fc.record({ ...userFields(w), version: fc.constant(VERSION) }), pages: (w) => [['admin', `/users/${id(w, 'users')}/edit`]] },
  'POST /users/:id/deactivate': { valid: none, pages: (w) => [['admin', `/users/${id(w, 'users')}`]] },
  'POST /users/:id/reactivate': { valid: none },
  'POST /users/:id/password-link': { valid: none },
};

/** Field names as the pages spell them, with line numbers folded (sku_3 → sku_N, returns.7 → returns.N). */
export const fieldKey = (name: string) => name.replace(/_\d+$/, '_N').replace(/\.\d+$/, '.N');
