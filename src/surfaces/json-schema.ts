import { z } from 'zod';

export type JsonSchemaObject = { [key: string]: unknown };

/**
 * JSON Schema (draft 2020-12) for an action's input or output, from its zod schema. Computed once per
 * schema and cached for the isolate's life: surfaces call this at start-up, never per request.
 */
const cache = new WeakMap<z.ZodType, { input?: JsonSchemaObject; output?: JsonSchemaObject }>();

export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchemaObject {
  let entry = cache.get(schema);
  if (!entry) {
    entry = {};
    cache.set(schema, entry);
  }
  const cached = entry[io];
  if (cached) return cached;
  const json: JsonSchemaObject = z.toJSONSchema(schema, { io, unrepresentable: 'throw' });
  entry[io] = json;
  return json;
}
