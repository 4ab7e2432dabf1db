// Form validation on TypeBox schemas. Form fields arrive as strings: they are trimmed, empty
// ones dropped, converted to the schema's types, then checked. A property's `errorMessage`
// annotation is the message users see for any failure of that field.
import type { TSchema, Static } from 'typebox';
import Value from 'typebox/value';

export type FieldErrors = Record<string, string>;
export type FormResult<T> =
  | { ok: true; value: T }
  | { ok: false; values: Record<string, unknown>; errors: FieldErrors };

const DEFAULT_MESSAGES: Record<string, (p: Record<string, unknown>) => string> = {
  required: () => 'This field is required.',
  minLength: (p) => (p.limit === 1 ? 'This field is required.' : `Use at least ${p.limit} characters.`),
  maxLength: (p) => `Use at most ${p.limit} characters.`,
  format: (p) => (p.format === 'email' ? 'Enter a valid email address.' : 'This value is not in the expected format.'),
  minimum: (p) => `Must be at least ${p.limit}.`,
  maximum: (p) => `Must be at most ${p.limit}.`,
  type: () => 'This value is not valid.',
  pattern: () => 'This value is not in the expected format.',
  enum: () => 'Choose one of the options.',
};

/** The text of a number as forms accept it. Each alternative has one way to match, so it runs in
 * linear time (the old `\d+\.?\d*` could split a run of digits every way: quadratic). */
export const NUMBER_TEXT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;
export const INTEGER_TEXT = /^[+-]?\d+$/;
/** Longest value any form field takes, and longest number text: checked before any pattern. */
export const MAX_TEXT = 10_000;
export const MAX_NUMBER_TEXT = 32;

type Props = Record<string, { type?: string; maxLength?: number; errorMessage?: string }>;

/** Trims, drops empty fields, and refuses an over-long value before any pattern or conversion
 * sees it (kept cut short, so the form is not sent back with a megabyte in it). */
function clean(body: unknown, props: Props): { values: Record<string, unknown>; errors: FieldErrors } {
  const values: Record<string, unknown> = {};
  const errors: FieldErrors = {};
  if (!body || typeof body !== 'object') return { values, errors };
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (k === '_csrf') continue;
    const type = props[k]?.type;
    const numeric = type === 'number' || type === 'integer';
    const limit = numeric ? MAX_NUMBER_TEXT : Math.min(MAX_TEXT, props[k]?.maxLength ?? MAX_TEXT);
    const tooLong = (x: string) => x.length > (numeric ? MAX_NUMBER_TEXT : MAX_TEXT);
    const texts = (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string').map((x) => x.trim());
    if (texts.some(tooLong)) {
      errors[k] = numeric ? `This number is too long (${MAX_NUMBER_TEXT} characters at most).` : `Use at most ${limit.toLocaleString('en')} characters.`;
      values[k] = Array.isArray(v) ? texts.map((x) => x.slice(0, limit)) : texts[0]!.slice(0, limit);
    } else if (typeof v === 'string') {
      if (texts[0] !== '') values[k] = texts[0];
    } else if (Array.isArray(v)) {
      values[k] = texts.filter((x) => x !== '');
    } else if (v !== undefined && v !== null) {
      values[k] = v;
    }
  }
  return { values, errors };
}

/** Field name from a TypeBox error; `required` errors name the missing property in params. */
function fieldOf(error: { instancePath: string; keyword: string; params: Record<string, unknown> }): string {
  if (error.keyword === 'required') {
    const missing = error.params.requiredProperties ?? error.params.missingProperty;
    return Array.isArray(missing) ? String(missing[0]) : String(missing ?? '');
  }
  return error.instancePath.split('/')[1] ?? '';
}

export function parseForm<S extends TSchema>(schema: S, body: unknown): FormResult<Static<S>> {
  const props = (schema as unknown as { properties?: Props }).properties ?? {};
  const { values, errors } = clean(body, props);
  // Value.Convert would quietly turn "2.5" into 2 and "0x3" into 3 for integer fields: check the
  // text of numeric fields first, so a fractional quantity is an error and never a smaller number.
  for (const [k, v] of Object.entries(values)) {
    if (errors[k]) continue;
    const type = props[k]?.type;
    if (typeof v === 'string' && ((type === 'integer' && !INTEGER_TEXT.test(v)) || (type === 'number' && !NUMBER_TEXT.test(v)))) {
      errors[k] = props[k]?.errorMessage ?? (type === 'integer' ? 'Enter a whole number.' : 'Enter a number.');
    }
  }
  // A refused value goes no further (its field already has its message).
  const checked = Object.fromEntries(Object.entries(values).filter(([k]) => !errors[k]));
  const converted = Value.Convert(schema, structuredClone(checked)) as Record<string, unknown>;
  for (const e of Value.Errors(schema, converted)) {
    const err = e as unknown as { instancePath: string; keyword: string; params: Record<string, unknown>; message: string };
    const fields = err.keyword === 'required' && Array.isArray(err.params.requiredProperties)
      ? (err.params.requiredProperties as string[]) : [fieldOf(err)];
    for (const field of fields) {
      if (!field || errors[field]) continue;
      const prop = (schema as unknown as { properties?: Record<string, { errorMessage?: string }> }).properties?.[field];
      errors[field] = prop?.errorMessage ?? DEFAULT_MESSAGES[err.keyword]?.(err.params) ?? err.message;
    }
  }
  if (Object.keys(errors).length) return { ok: false, values, errors };
  // Drop anything the schema does not declare so extra fields never reach the database.
  return { ok: true, value: declaredOnly(schema, props, converted) as Static<S> };
}

/** Value.Clean for the flat objects forms give: the declared top-level fields. (Value.Clean
 * sorts every union of the schema by priority on each call: as dear as the rest of a product
 * list request put together, in a profile.) Anything nested still goes through Value.Clean. */
function declaredOnly(schema: TSchema, props: Record<string, unknown>, value: Record<string, unknown>): unknown {
  const isObject = (x: unknown) => x !== null && typeof x === 'object';
  const nested = (v: unknown) => isObject(v) && (!Array.isArray(v) || v.some(isObject));
  if (!(schema as { properties?: unknown }).properties || Object.values(value).some(nested)) return Value.Clean(schema, value);
  return Object.fromEntries(Object.entries(value).filter(([k]) => Object.hasOwn(props, k)));
}

/** Adds an error found after schema validation (uniqueness, business rules). */
export function fail<T>(values: Record<string, unknown>, field: string, message: string): FormResult<T> {
  return { ok: false, values, errors: { [field]: message } };
}
