/**
 * Shape checks for the params our handlers read, done before the SDK sees the request: the SDK
 * answers the same mistakes with its validation library's raw issue list, while a client (and the
 * model behind it) is better served by one short sentence. Same answer in both eras: -32602.
 * @see https://www.jsonrpc.org/specification#error_object
 */

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A short reason when a request's params cannot be what its method needs; undefined otherwise. */
export function malformedParams(body: unknown): string | undefined {
  if (!isRecord(body) || typeof body.method !== 'string' || !Object.hasOwn(body, 'id')) return undefined;
  const params = body.params;
  if (body.method === 'tools/call') {
    if (!isRecord(params) || typeof params.name !== 'string')
      return 'tools/call needs params.name, a string.';
    if (params.arguments !== undefined && !isRecord(params.arguments)) {
      return 'tools/call arguments must be a JSON object.';
    }
  }
  if (body.method === 'resources/read' && (!isRecord(params) || typeof params.uri !== 'string')) {
    return 'resources/read needs params.uri, a string.';
  }
  return undefined;
}
