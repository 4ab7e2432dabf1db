// Request validation: JSON bodies are checked strictly (no type coercion, unknown fields
// refused), while query strings and path parameters, which are always text, are coerced to the
// declared types. Fastify's default would coerce and silently drop fields everywhere.
import type { FastifyInstance } from 'fastify';
import { Ajv, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function build(options: Options): Ajv {
  // verbose: errors carry the value and the schema, for messages such as "limit must be between 1 and 200".
  const ajv = new Ajv({ useDefaults: true, allErrors: true, removeAdditional: false, strict: false, verbose: true, ...options });
  addFormats(ajv);
  return ajv;
}

export function installValidators(app: FastifyInstance): void {
  const strict = build({ coerceTypes: false });
  const lenient = build({ coerceTypes: 'array' });
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strict : lenient).compile(schema));
}
