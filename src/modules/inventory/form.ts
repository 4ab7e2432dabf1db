// parseForm (lib/form.ts) converts "2.5" to the integer 2 for an Integer field, which would
// silently post 2 units. Stock quantities must be whole numbers as typed, so the inventory forms
// also check the raw text of every integer field.
import type { Static, TObject } from 'typebox';
import { parseForm, type FieldErrors, type FormResult } from '../../lib/form.ts';

const WHOLE = /^[+-]?\d+$/;

export function parseWholeForm<S extends TObject>(schema: S, body: unknown): FormResult<Static<S>> {
  const result = parseForm(schema, body);
  const raw = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const errors: FieldErrors = result.ok ? {} : { ...result.errors };
  for (const [name, prop] of Object.entries(schema.properties as Record<string, { type?: string; errorMessage?: string }>)) {
    const value = raw[name];
    if (prop.type !== 'integer' || errors[name] || typeof value !== 'string' || value.trim() === '') continue;
    if (!WHOLE.test(value.trim())) errors[name] = prop.errorMessage ?? 'Enter a whole number.';
  }
  if (result.ok && !Object.keys(errors).length) return result;
  const { _csrf: _token, ...values } = raw;
  return { ok: false, values: result.ok ? values : result.values, errors };
}
