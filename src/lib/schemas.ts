// TypeBox pieces shared by the pages and the JSON API (id parameters, the list query, the list
// answer, error references), so the modules need nothing from src/api.
import Type from 'typebox';

/** Standard error responses for a route, by status code. */
export function errorResponses(...codes: number[]) {
  return Object.fromEntries(codes.map((c) => [c, { $ref: 'Error#' }]));
}

/** `{items, nextCursor}`, the answer of every API list. */
export function ListOf<T extends import('typebox').TSchema>(item: T, title: string) {
  return Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) }, { title });
}

/** Query parameters every API list takes. */
export const ApiListQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 500 })),
  sort: Type.Optional(Type.String({ maxLength: 40 })),
  order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
  q: Type.Optional(Type.String({ maxLength: 200 })),
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])),
};

export const IdParam = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2147483647 }) });
