// Shared TypeBox shapes for the JSON API, referenced from route schemas so the OpenAPI document
// describes exactly what the routes validate.
import Type from 'typebox';
import type { FastifyBodyParser } from 'fastify';

/** The JSON parser, except that an empty body is no body: a client that sends
 * `content-type: application/json` with nothing after it means the same as sending nothing.
 * Routes that require a body still refuse it (400), through their schema. */
export function emptyOrJson(parse: FastifyBodyParser<string>): FastifyBodyParser<string> {
  return function parseJsonOrNothing(req, body, done) {
    if (body.trim() === '') return done(null, undefined);
    return parse(req, body, done);
  };
}

/** preValidation for routes whose body fields are all optional: no body means `{}`. */
export async function optionalBody(req: { body: unknown }): Promise<void> {
  if (req.body === undefined || req.body === null) req.body = {};
}

export const ErrorBody = Type.Object({
  status: Type.Integer(),
  message: Type.String(),
  errors: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }))),
}, { $id: 'Error', title: 'Error' });

export const ApiUser = Type.Object({
  id: Type.Integer(),
  email: Type.String(),
  fullName: Type.String(),
  role: Type.Union([Type.Literal('admin'), Type.Literal('staff'), Type.Literal('customer')]),
  customerId: Type.Union([Type.Integer(), Type.Null()]),
  storeIds: Type.Array(Type.Integer()),
}, { title: 'User' });

export { errorResponses, ListOf, ApiListQuery, IdParam } from '../lib/schemas.ts';
