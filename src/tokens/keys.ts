import { importJWK, type JWK } from 'jose';
import type { Config, SigningJwk } from '../config';

export interface VerifyingKey {
  alg: 'ES256' | 'EdDSA';
  key: CryptoKey;
}

export interface KeySet {
  /** The first configured key signs. */
  signer: { kid: string; alg: 'ES256' | 'EdDSA'; key: CryptoKey };
  /** Every configured key verifies, so a rotation never logs anyone out. */
  verifiers: ReadonlyMap<string, VerifyingKey>;
  /** Public halves, as served at /.well-known/jwks.json. */
  jwks: { keys: JWK[] };
}

function publicJwk(k: SigningJwk): JWK {
  const jwk: JWK = { kty: k.kty, crv: k.crv, x: k.x, kid: k.kid, alg: k.alg, use: 'sig' };
  if (k.y) jwk.y = k.y;
  return jwk;
}

async function load(keys: readonly SigningJwk[]): Promise<KeySet> {
  const verifiers = new Map<string, VerifyingKey>();
  for (const k of keys) {
    const key = (await importJWK(publicJwk(k), k.alg)) as CryptoKey;
    verifiers.set(k.kid, { alg: k.alg, key });
  }
  const first = keys[0]!;
  const signingKey = (await importJWK({ ...publicJwk(first), d: first.d }, first.alg)) as CryptoKey;
  return {
    signer: { kid: first.kid, alg: first.alg, key: signingKey },
    verifiers,
    jwks: { keys: keys.map(publicJwk) },
  };
}

const cache = new WeakMap<Config, Promise<KeySet>>();

/** The imported keys for a config, imported once per isolate. */
export function getKeySet(config: Config): Promise<KeySet> {
  let set = cache.get(config);
  if (!set) {
    set = load(config.signingKeys);
    cache.set(config, set);
    set.catch(() => cache.delete(config));
  }
  return set;
}
