// Store fields. A store needs a web address or a physical address (also a CHECK in the
// database); coordinates come as a pair.
import Type, { type Static } from 'typebox';

export const STORE_NAME_MESSAGE = 'Enter the store name (up to 120 characters).';
export const LATITUDE_MESSAGE = 'Latitude is a number from -90 to 90.';
export const LONGITUDE_MESSAGE = 'Longitude is a number from -180 to 180.';

export const StoreFields = {
  storeName: Type.String({ minLength: 1, maxLength: 120, errorMessage: STORE_NAME_MESSAGE }),
  webAddress: Type.Optional(Type.String({ maxLength: 500, pattern: '^https?://[^\\s]+$', errorMessage: 'Enter a web address starting with http:// or https://.' })),
  physicalAddress: Type.Optional(Type.String({ maxLength: 500, errorMessage: 'Use at most 500 characters.' })),
  latitude: Type.Optional(Type.Number({ minimum: -90, maximum: 90, errorMessage: LATITUDE_MESSAGE })),
  longitude: Type.Optional(Type.Number({ minimum: -180, maximum: 180, errorMessage: LONGITUDE_MESSAGE })),
};

export const StoreForm = Type.Object({
  ...StoreFields,
  version: Type.Optional(Type.Integer({ minimum: 1, errorMessage: 'The form is out of date: reload it.' })),
});
export type StoreForm = Static<typeof StoreForm>;

/** Rules across fields, as field errors. */
export function storeRuleErrors(v: { webAddress?: string; physicalAddress?: string; latitude?: number; longitude?: number }): Record<string, string> {
  const errors: Record<string, string> = {};
  if (!v.webAddress && !v.physicalAddress) errors.physicalAddress = 'Enter a physical address or a web address (or both).';
  if ((v.latitude === undefined) !== (v.longitude === undefined)) errors[v.latitude === undefined ? 'latitude' : 'longitude'] = 'Enter both coordinates or neither.';
  if (v.latitude !== undefined && !v.physicalAddress) errors.latitude = 'Coordinates belong to a physical address.';
  return errors;
}

/** What the services take: the form or API body after type checks, before the cross-field rules. */
export interface StoreInput {
  storeName: string;
  webAddress?: string | null;
  physicalAddress?: string | null;
  latitude?: number | null;
  longitude?: number | null;
}

/** Blank strings mean "not set", so the database gets NULL (its CHECK wants one address). */
export function normalizeStore(v: StoreInput): Required<StoreInput> {
  const text = (s: string | null | undefined) => (typeof s === 'string' && s.trim() !== '' ? s.trim() : null);
  const num = (n: number | null | undefined) => (typeof n === 'number' && Number.isFinite(n) ? n : null);
  return {
    storeName: v.storeName.trim(),
    webAddress: text(v.webAddress),
    physicalAddress: text(v.physicalAddress),
    latitude: num(v.latitude),
    longitude: num(v.longitude),
  };
}

/** storeRuleErrors for normalized input (nulls instead of missing fields). */
export function storeInputErrors(v: Required<StoreInput>): Record<string, string> {
  const errors = storeRuleErrors({
    webAddress: v.webAddress ?? undefined,
    physicalAddress: v.physicalAddress ?? undefined,
    latitude: v.latitude ?? undefined,
    longitude: v.longitude ?? undefined,
  });
  if (!v.storeName || v.storeName.length > 120) errors.storeName = STORE_NAME_MESSAGE;
  // The API schema checks ranges too; this keeps the service safe for any caller.
  if (v.latitude !== null && (v.latitude < -90 || v.latitude > 90)) errors.latitude = LATITUDE_MESSAGE;
  if (v.longitude !== null && (v.longitude < -180 || v.longitude > 180)) errors.longitude = LONGITUDE_MESSAGE;
  return errors;
}
