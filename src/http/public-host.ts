/**
 * Whether a host named in a URL we are asked to fetch (a client metadata document, an upstream MCP
 * server) is a public one. This is the static half of the SSRF guard: IP literals in private, loopback,
 * link-local, CGNAT, benchmarking, documentation, multicast and reserved ranges, `localhost`,
 * single-label and local-only names are refused. It does not resolve names: what a public name resolves
 * to is checked where the runtime allows it (the gateway's resolver check), and Workers cannot reach
 * private networks anyway.
 */

function ipv4Octets(host: string): number[] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return undefined;
  const octets = m.slice(1).map(Number);
  return octets.every((o) => o <= 255) ? octets : undefined;
}

/** Private, loopback, link-local, CGNAT, benchmarking, documentation, multicast and reserved IPv4. */
export function isNonPublicIpv4(host: string): boolean {
  const octets = ipv4Octets(host);
  if (!octets) return false;
  const [a, b, c] = octets as [number, number, number, number];
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 0 && (c === 0 || c === 2)) ||
    (a === 192 && b === 168) ||
    (a === 198 && (b === 18 || b === 19)) ||
    (a === 198 && b === 51 && c === 100) ||
    (a === 203 && b === 0 && c === 113) ||
    a >= 224
  );
}

/** Only global unicast (2000::/3) IPv6, minus the ranges that embed or translate IPv4. Unbracketed. */
export function isNonPublicIpv6(address: string): boolean {
  const host = address.toLowerCase();
  const first = host.split(':')[0] ?? '';
  if (first === '' || !/^[0-9a-f]{1,4}$/.test(first)) return true;
  const value = Number.parseInt(first, 16);
  if (value < 0x2000 || value > 0x3fff) return true;
  return host.startsWith('2002:') || host.startsWith('2001:db8') || host.startsWith('2001:0:');
}

const LOCAL_SUFFIXES = ['.localhost', '.local', '.internal', '.intranet', '.lan', '.home.arpa', '.corp'];

/** `host` as `URL.hostname` gives it (lower case, IPv6 in brackets). */
export function isPublicHost(host: string): boolean {
  if (ipv4Octets(host)) return !isNonPublicIpv4(host);
  if (host.startsWith('[')) return host.endsWith(']') && !isNonPublicIpv6(host.slice(1, -1));
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  return name !== 'localhost' && name.includes('.') && !LOCAL_SUFFIXES.some((s) => name.endsWith(s));
}

export function isLoopbackHost(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
}
