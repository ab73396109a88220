import { z } from 'zod';
import { ConfigError } from '../config-error';
import { base64url, fromBase64url } from '../tokens/secrets';

/**
 * The vault: upstream credentials (OAuth tokens Gatehouse obtained, keys people pasted) are stored
 * only as AES-256-GCM ciphertext under a key from the `VAULT_KEYS` secret. The additional data binds a
 * ciphertext to one person and one upstream, so a row copied to another person or another upstream
 * fails to open instead of handing over someone else's credential.
 *
 * `VAULT_KEYS` is a JWK set of `oct` keys (`{"keys":[{"kty":"oct","kid":"…","k":"<32 bytes, base64url>"}]}`):
 * the first key seals, every key opens, so a new key is put first and the old one kept until every
 * credential has been re-sealed (each credential is re-sealed under the first key whenever it is
 * written, e.g. on refresh). This module checks integrity and binding; it does not decide who may read
 * a credential — that is the connection store's caller.
 * @see https://www.rfc-editor.org/rfc/rfc5116 (AEAD)
 */

export interface VaultKey {
  readonly kid: string;
  readonly key: CryptoKey;
}

export interface Vault {
  readonly keys: readonly VaultKey[];
}

/** What a sealed value is bound to; both must match when it is opened. */
export interface VaultBinding {
  readonly userId: string;
  readonly upstreamId: string;
}

export class VaultError extends Error {
  override readonly name = 'VaultError';
  constructor(readonly failure: 'malformed' | 'unknown_key' | 'does_not_open') {
    super(`vault: ${failure}`);
  }
}

const FORMAT = 'v1';
const KID = /^[A-Za-z0-9_-]{1,64}$/;

const keySetSchema = z.object({
  keys: z
    .array(
      z.object({
        kty: z.literal('oct'),
        kid: z.string().regex(KID),
        k: z.string().regex(/^[A-Za-z0-9_-]+$/),
        alg: z.literal('A256GCM').optional(),
      }),
    )
    .min(1)
    .max(16),
});

export interface VaultKeyMaterial {
  readonly kid: string;
  readonly raw: Uint8Array;
}

/** Parses `VAULT_KEYS` when the config is read (synchronously); throws {@link ConfigError}. */
export function parseVaultKeys(value: string): readonly VaultKeyMaterial[] {
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    throw new ConfigError('VAULT_KEYS is not valid JSON');
  }
  const parsed = keySetSchema.safeParse(json);
  if (!parsed.success) throw new ConfigError('VAULT_KEYS must be a JWK set of 256-bit oct keys');
  const kids = new Set(parsed.data.keys.map((k) => k.kid));
  if (kids.size !== parsed.data.keys.length) throw new ConfigError('VAULT_KEYS has duplicate kid values');
  return Object.freeze(
    parsed.data.keys.map((jwk) => {
      let raw: Uint8Array;
      try {
        raw = fromBase64url(jwk.k);
      } catch {
        throw new ConfigError(`VAULT_KEYS key "${jwk.kid}" is not base64url`);
      }
      if (raw.byteLength !== 32) throw new ConfigError(`VAULT_KEYS key "${jwk.kid}" must be 32 bytes`);
      return Object.freeze({ kid: jwk.kid, raw });
    }),
  );
}

const vaults = new WeakMap<readonly VaultKeyMaterial[], Promise<Vault>>();

/** The vault for a parsed key set; its keys are imported once per isolate (non-extractable). */
export function vaultFor(material: readonly VaultKeyMaterial[]): Promise<Vault> {
  let vault = vaults.get(material);
  if (!vault) {
    vault = Promise.all(
      material.map(async ({ kid, raw }) => {
        const key = await crypto.subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, [
          'encrypt',
          'decrypt',
        ]);
        return Object.freeze({ kid, key });
      }),
    ).then((keys) => Object.freeze({ keys: Object.freeze(keys) }));
    vaults.set(material, vault);
  }
  return vault;
}

/** Length-prefixed, so no choice of ids can make two different bindings encode the same way. */
function additionalData(kid: string, binding: VaultBinding): Uint8Array {
  const parts = [FORMAT, kid, binding.userId, binding.upstreamId];
  return new TextEncoder().encode(parts.map((p) => `${p.length}:${p}`).join('|'));
}

/** Seals `plaintext` under the first key: `v1.<kid>.<iv>.<ciphertext+tag>`, base64url. */
export async function seal(vault: Vault, binding: VaultBinding, plaintext: string): Promise<string> {
  const first = vault.keys[0];
  if (!first) throw new TypeError('vault has no keys');
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ciphertext = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: additionalData(first.kid, binding) },
    first.key,
    new TextEncoder().encode(plaintext),
  );
  return [FORMAT, first.kid, base64url(iv), base64url(new Uint8Array(ciphertext))].join('.');
}

/** Opens a sealed value for the same binding; throws {@link VaultError} otherwise. */
export async function open(vault: Vault, binding: VaultBinding, sealed: string): Promise<string> {
  const parts = sealed.split('.');
  if (parts.length !== 4 || parts[0] !== FORMAT) throw new VaultError('malformed');
  const [, kid, ivText, bodyText] = parts as [string, string, string, string];
  const entry = vault.keys.find((k) => k.kid === kid);
  if (!entry) throw new VaultError('unknown_key');
  let iv: Uint8Array;
  let body: Uint8Array;
  try {
    iv = fromBase64url(ivText);
    body = fromBase64url(bodyText);
  } catch {
    throw new VaultError('malformed');
  }
  if (iv.byteLength !== 12 || body.byteLength < 16) throw new VaultError('malformed');
  try {
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv, additionalData: additionalData(kid, binding) },
      entry.key,
      body,
    );
    return new TextDecoder().decode(plain);
  } catch {
    throw new VaultError('does_not_open');
  }
}

/** Whether a sealed value is under a key other than the first, i.e. due to be re-sealed. */
export function needsReseal(vault: Vault, sealed: string): boolean {
  return sealed.split('.')[1] !== vault.keys[0]?.kid;
}
