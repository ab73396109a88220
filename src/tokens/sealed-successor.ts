import { base64url, fromBase64url } from './secrets';

/**
 * Seals a value with a key derived from a secret that is stored only as its hash (a refresh token),
 * so only someone presenting that very secret can open it again. HKDF-SHA256 over the secret's
 * 256 bits of entropy, then AES-256-GCM with a random 96-bit IV: `base64url(iv ‖ ciphertext)`.
 * It does not hide the sealed value's length.
 * @see https://www.rfc-editor.org/rfc/rfc5869
 */

const encoder = new TextEncoder();
const INFO = encoder.encode('gatehouse refresh-token successor v1');
const IV_BYTES = 12;

async function keyFor(secret: string): Promise<CryptoKey> {
  const base = await crypto.subtle.importKey('raw', encoder.encode(secret), 'HKDF', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(32), info: INFO },
    base,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

export async function sealWith(secret: string, plaintext: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv },
    await keyFor(secret),
    encoder.encode(plaintext),
  );
  const out = new Uint8Array(IV_BYTES + sealed.byteLength);
  out.set(iv);
  out.set(new Uint8Array(sealed), IV_BYTES);
  return base64url(out);
}

/** The sealed value, or null when `secret` is not the one it was sealed with (or it was altered). */
export async function openWith(secret: string, sealed: string): Promise<string | null> {
  try {
    const bytes = fromBase64url(sealed);
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: bytes.slice(0, IV_BYTES) },
      await keyFor(secret),
      bytes.slice(IV_BYTES),
    );
    return new TextDecoder().decode(plain);
  } catch {
    return null;
  }
}
