// openapi-fuzzer-core reads Swagger 2 documents (parameters with their type inline, bodies as
// `in: body` parameters referring to `definitions`); the app writes OpenAPI 3. This turns one
// into the other without dropping anything the fuzzer reads.
export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
export interface Doc { paths: Record<string, Record<string, Json>>; components?: Json }

/** JSON schema of OpenAPI 3 → the Swagger 2 flavour (`anyOf` of literals → `enum`, $ref inlined). */
function flatten(schema: Json | undefined, doc: Doc): Json {
  if (!schema) return {};
  if (schema.$ref) return flatten(doc.components?.schemas?.[String(schema.$ref).split('/').pop()!], doc);
  const out: Json = { ...schema };
  if (Array.isArray(schema.anyOf) && schema.anyOf.every((s: Json) => s.enum || s.const !== undefined)) {
    out.type = schema.anyOf[0].type ?? 'string';
    out.enum = schema.anyOf.flatMap((s: Json) => s.enum ?? [s.const]);
    delete out.anyOf;
  }
  if (schema.properties) out.properties = Object.fromEntries(Object.entries(schema.properties as Json).map(([k, s]) => [k, flatten(s as Json, doc)]));
  if (schema.items) out.items = flatten(schema.items, doc);
  return out;
}

export function toFuzzerInput(doc: Doc): Json {
  const definitions: Json = {};
  const paths: Json = {};
  for (const [path, item] of Object.entries(doc.paths)) {
    paths[path] = {};
    for (const [method, op] of Object.entries(item)) {
      const parameters: Json[] = ((op.parameters ?? []) as Json[]).map((p) => ({ ...flatten(p.schema, doc), name: p.name, in: p.in, required: p.required }));
      const body = op.requestBody?.content?.['application/json']?.schema as Json | undefined;
      if (body) {
        const name = `${op.operationId ?? `${method}${path}`}Body`;
        definitions[name] = flatten(body, doc);
        parameters.push({ name: 'body', in: 'body', schema: { $ref: `#/definitions/${name}` } });
      }
      paths[path][method] = { parameters };
    }
  }
  return { basePath: '', paths, definitions };
}
