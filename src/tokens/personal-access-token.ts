/**
 * Personal access token format: `tskdp_` + 43 base62 characters (≥ 256 bits of randomness) + a
 * 6-character base62 CRC-32 checksum. The fixed prefix lets secret scanners find leaked tokens;
 * the checksum lets us reject mistyped or made-up tokens without a database lookup.
 */
export const PAT_PREFIX = 'tskdp_';
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const RANDOM_LENGTH = 43;
const CHECKSUM_LENGTH = 6;
const SHAPE = new RegExp(`^${PAT_PREFIX}[0-9A-Za-z]{${RANDOM_LENGTH + CHECKSUM_LENGTH}}$`);

let crcTable: Uint32Array | undefined;
function crc32(text: string): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < text.length; i++) crc = crcTable[(crc ^ text.charCodeAt(i)) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function base62(value: number, width: number): string {
  let out = '';
  let v = value;
  for (let i = 0; i < width; i++) {
    out = ALPHABET[v % 62] + out;
    v = Math.floor(v / 62);
  }
  return out;
}

/** 43 uniformly random base62 characters (rejection sampling: no modulo bias). */
function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of crypto.getRandomValues(new Uint8Array(64))) {
      if (byte < 248 && out.length < length) out += ALPHABET[byte % 62];
    }
  }
  return out;
}

export function generatePersonalAccessToken(): string {
  const body = PAT_PREFIX + randomBase62(RANDOM_LENGTH);
  return body + base62(crc32(body), CHECKSUM_LENGTH);
}

/** Whether a string has the PAT prefix at all (so it is never tried as a JWT). */
export function looksLikePersonalAccessToken(token: string): boolean {
  return token.startsWith(PAT_PREFIX);
}

/** Shape and checksum only; says nothing about whether the token exists or is revoked. */
export function isWellFormedPersonalAccessToken(token: string): boolean {
  if (!SHAPE.test(token)) return false;
  const body = token.slice(0, PAT_PREFIX.length + RANDOM_LENGTH);
  return token.slice(body.length) === base62(crc32(body), CHECKSUM_LENGTH);
}

/** The non-secret hint shown in lists: prefix + last 4 characters. */
export function personalAccessTokenHint(token: string): string {
  return `${PAT_PREFIX}…${token.slice(-4)}`;
}
