const BASE = 'https://gatehouse.invalid';

/**
 * Accepts only a same-origin relative path (`/settings/api?x=1`). Anything else — absolute URLs,
 * protocol-relative `//host`, backslashes (`/\host`, which browsers treat as `//`), control
 * characters, or over-long values — becomes `/`. The check is repeated on the normalised path,
 * because dot segments can collapse into `//host` (`/.//evil` normalises to `//evil`).
 * The fragment is dropped.
 */
export function safeReturnTo(value: string | undefined | null): string {
  if (!value || value.length > 2048) return '/';
  if (!value.startsWith('/') || value.startsWith('//')) return '/';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\\\u0000-\u001f\u007f]/.test(value)) return '/';
  let url: URL;
  try {
    url = new URL(value, BASE);
  } catch {
    return '/';
  }
  if (url.origin !== BASE) return '/';
  const path = url.pathname + url.search;
  return path.startsWith('//') ? '/' : path;
}
