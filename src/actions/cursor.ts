import { AppError } from '../http/errors';
import { base64url, fromBase64url } from '../tokens/secrets';

/**
 * Keyset-pagination cursors: the sort key of the last item returned, as base64url JSON. A cursor is
 * not a secret and not trusted: it is parsed like any input, and every query using it still filters
 * on the caller's user id, so a forged cursor can only skip within the caller's own rows.
 */
export function encodeCursor(key: readonly [number, string]): string {
  return base64url(new TextEncoder().encode(JSON.stringify(key)));
}

export function parseCursor(cursor: string): [number, string] {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(fromBase64url(cursor)));
  } catch {
    throw badCursor();
  }
  if (
    !Array.isArray(value) ||
    value.length !== 2 ||
    typeof value[0] !== 'number' ||
    !Number.isSafeInteger(value[0]) ||
    typeof value[1] !== 'string' ||
    value[1].length > 64
  ) {
    throw badCursor();
  }
  return [value[0], value[1]];
}

function badCursor(): AppError {
  return new AppError('validation_failed', 'The cursor is not valid; start again without one.', {
    details: { fields: [{ path: 'cursor', message: 'Not a cursor returned by this API.' }] },
  });
}
