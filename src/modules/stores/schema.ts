// Store fields. A store needs a web address or a physical address (also a CHECK in the
// database); coordinates come as a pair.
import Type, { type Static } from 'typebox';

export const StoreFields = {
  storeName: Type.String({ minLength: 1, maxLength: 120, errorMessage: 'Enter the store name (up to 120 characters).' }),
  webAddress: Type.Optional(Type.String({ maxLength: 500, pattern: '^https?://[^\\s]+$', errorMessage: 'Enter a web address starting with http:// or https://.' })),
  physicalAddress: Type.Optional(Type.String({ maxLength: 500, errorMessage: 'Use at most 500 characters.' })),
  latitude: Type.Optional(Type.Number({ minimum: -90, maximum: 90, errorMessage: 'Latitude is a number from -90 to 90.' })),
  longitude: Type.Optional(Type.Number({ minimum: -180, maximum: 180, errorMessage: 'Longitude is a number from -180 to 180.' })),
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
