// Inventory inputs as the back-office forms validate them (strings from the browser, converted by
// parseForm), plus the fixed list of adjustment reasons. The service re-checks every rule, so the
// JSON API (strict TypeBox bodies in api/v1/inventory.ts) gets the same answers.
import Type, { type Static } from 'typebox';

/** Largest quantity one movement may carry; inventory columns are int4. */
export const MAX_MOVE = 1_000_000;
export const MAX_COUNT = 100_000_000;
export const MAX_TRANSFER_LINES = 50;

/** Why stock was adjusted, and which way each reason may move it. */
export const ADJUSTMENT_REASONS = {
  damaged: { label: 'Damaged', direction: 'out' },
  lost: { label: 'Lost', direction: 'out' },
  theft: { label: 'Theft', direction: 'out' },
  expired: { label: 'Expired', direction: 'out' },
  found: { label: 'Found', direction: 'in' },
  correction: { label: 'Correction', direction: 'any' },
  other: { label: 'Other (explain in the note)', direction: 'any' },
} as const;
export type AdjustmentReason = keyof typeof ADJUSTMENT_REASONS;
export const adjustmentReasons = Object.keys(ADJUSTMENT_REASONS) as AdjustmentReason[];

/** The adjustment form asks for units and lets the reason give the direction: a reason that
 * removes stock makes them negative, one that adds keeps them positive. Reasons that go either way
 * (correction, other) keep the sign typed. A sign that agrees with the reason is fine; one that
 * contradicts it is refused rather than guessed. (The API takes a signed quantity as documented.) */
export function signForReason(reason: AdjustmentReason, quantity: number): { ok: true; quantity: number } | { ok: false; message: string } {
  const rule = ADJUSTMENT_REASONS[reason];
  if (quantity === 0) return { ok: false, message: 'An adjustment of 0 changes nothing: enter the number of units.' };
  if (rule.direction === 'out') return { ok: true, quantity: -Math.abs(quantity) };
  if (rule.direction === 'in' && quantity < 0) return { ok: false, message: `${rule.label} adds stock: enter the number of units, without a minus sign.` };
  return { ok: true, quantity };
}

const quantityMessage = `Enter a whole number of units from 1 to ${MAX_MOVE.toLocaleString('en')}.`;
const Quantity = Type.Integer({ minimum: 1, maximum: MAX_MOVE, errorMessage: quantityMessage });
const Reference = Type.Optional(Type.String({ maxLength: 100, errorMessage: 'Use at most 100 characters.' }));
const Note = Type.Optional(Type.String({ maxLength: 500, errorMessage: 'Use at most 500 characters.' }));
export const MAX_ID = 2147483647;
/** A store or product id (int4). */
export const IdSchema = Type.Integer({ minimum: 1, maximum: MAX_ID });
const Id = (message: string) => Type.Integer({ minimum: 1, maximum: MAX_ID, errorMessage: message });

export const ReceiveForm = Type.Object({ quantity: Quantity, reference: Reference });
export type ReceiveForm = Static<typeof ReceiveForm>;

/** Receiving a product a store may not stock yet: the store and the SKU are chosen on the form. */
export const NewReceiptForm = Type.Object({
  storeId: Id('Choose a store.'),
  sku: Type.String({ minLength: 1, maxLength: 64, errorMessage: 'Enter the SKU of the product.' }),
  quantity: Quantity,
  reference: Reference,
});
export type NewReceiptForm = Static<typeof NewReceiptForm>;

export const AdjustForm = Type.Object({
  reason: Type.Union(adjustmentReasons.map((r) => Type.Literal(r)), { errorMessage: 'Choose a reason from the list.' }),
  quantity: Type.Integer({ minimum: -MAX_MOVE, maximum: MAX_MOVE, errorMessage: `Enter a whole number of units other than 0 (at most ${MAX_MOVE.toLocaleString('en')}).` }),
  note: Note,
});
export type AdjustForm = Static<typeof AdjustForm>;

export const CountForm = Type.Object({
  countedQuantity: Type.Integer({ minimum: 0, maximum: MAX_COUNT, errorMessage: 'Enter the number of units counted: a whole number, 0 or more.' }),
});
export type CountForm = Static<typeof CountForm>;

export const TransferRowForm = Type.Object({
  toStoreId: Id('Choose the store that receives the stock.'),
  quantity: Quantity,
  reference: Reference,
});
export type TransferRowForm = Static<typeof TransferRowForm>;

export const ReorderPointForm = Type.Object({
  reorderPoint: Type.Integer({ minimum: 0, maximum: MAX_MOVE, errorMessage: `Enter a whole number from 0 to ${MAX_MOVE.toLocaleString('en')}.` }),
});
export type ReorderPointForm = Static<typeof ReorderPointForm>;

/** The head of the multi-line transfer form; its lines (sku_N, quantity_N) are read separately. */
export const TransferHeadForm = Type.Object({
  fromStoreId: Id('Choose the store the stock leaves.'),
  toStoreId: Id('Choose the store that receives the stock.'),
  reference: Reference,
});

/** Filters of the stock list, shared by the page and the API (query strings are coerced). */
export const StockFilters = {
  storeId: Type.Optional(IdSchema),
  productId: Type.Optional(IdSchema),
  brand: Type.Optional(Type.String({ maxLength: 60 })),
  lowStock: Type.Optional(Type.Boolean()),
  outOfStock: Type.Optional(Type.Boolean()),
};

export const Day = Type.String({ format: 'date' });

/** Filters of the movement history. `actor` is a user id or an email address. */
export const MovementFilters = {
  storeId: Type.Optional(IdSchema),
  productId: Type.Optional(IdSchema),
  kind: Type.Optional(Type.Union([
    Type.Literal('receipt'), Type.Literal('adjustment'), Type.Literal('transfer_out'), Type.Literal('transfer_in'),
    Type.Literal('sale'), Type.Literal('return'), Type.Literal('count'),
  ])),
  from: Type.Optional(Day),
  to: Type.Optional(Day),
  actor: Type.Optional(Type.String({ maxLength: 254 })),
};
