import { base64url, fromBase64url, randomBytes, timingSafeEqual } from '../tokens/secrets';

/** workerd caps PBKDF2 at 100 000 iterations; the count is stored with each hash so it can be raised. */
export const PBKDF2_ITERATIONS = 100_000;
export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 256;

const encoder = new TextEncoder();

async function derive(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(password), 'PBKDF2', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt, iterations },
    key,
    256,
  );
  return new Uint8Array(bits);
}

/** Format: `pbkdf2-sha256$<iterations>$<salt b64url>$<hash b64url>`. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await derive(password, salt, PBKDF2_ITERATIONS);
  return `pbkdf2-sha256$${PBKDF2_ITERATIONS}$${base64url(salt)}$${base64url(hash)}`;
}

/** A well-formed hash of a random password, checked against when the account does not exist. */
const DUMMY_HASH = `pbkdf2-sha256$${PBKDF2_ITERATIONS}$${base64url(new Uint8Array(16))}$${base64url(new Uint8Array(32))}`;

/**
 * Checks a password against a stored hash. With `stored === undefined` it still runs the full
 * derivation (against a dummy hash) so that unknown emails cost the same time as wrong passwords.
 */
export async function verifyPassword(password: string, stored: string | undefined): Promise<boolean> {
  // An account without a password (stored as '') costs the same time as an unknown one.
  const [scheme, iterText, saltText, hashText] = (stored || DUMMY_HASH).split('$');
  if (scheme !== 'pbkdf2-sha256' || !iterText || !saltText || !hashText) return false;
  const iterations = Number(iterText);
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > PBKDF2_ITERATIONS) return false;
  const actual = await derive(password, fromBase64url(saltText), iterations);
  return timingSafeEqual(base64url(actual), hashText) && Boolean(stored);
}

/** Why a new password is refused, or undefined when it is acceptable. */
export function passwordProblem(password: string): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) return `Use at least ${MIN_PASSWORD_LENGTH} characters.`;
  if (password.length > MAX_PASSWORD_LENGTH) return `Use at most ${MAX_PASSWORD_LENGTH} characters.`;
  return undefined;
}
