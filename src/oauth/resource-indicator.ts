/**
 * RFC 8707 resource indicators. Gatehouse protects one resource, its `/mcp` URL, so a `resource`
 * parameter is optional (the conformance AS scenario and some clients omit it) but, when present,
 * must name that URL. Scheme and host case and a single trailing slash are forgiven, because clients
 * normalise URLs differently (TS SDK `URL.href`, typescript-sdk#1968); paths, ports, queries and
 * fragments are not.
 */
export function isOurResource(value: string, mcpResource: string): boolean {
  if (value.length > 2048) return false;
  let asked: URL;
  let ours: URL;
  try {
    asked = new URL(value);
    ours = new URL(mcpResource);
  } catch {
    return false;
  }
  if (asked.search || asked.hash || value.includes('#') || asked.username || asked.password) return false;
  const path = (p: string) => (p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p);
  return (
    asked.protocol === ours.protocol && asked.host === ours.host && path(asked.pathname) === ours.pathname
  );
}
