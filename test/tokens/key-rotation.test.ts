import { env } from 'cloudflare:test';
import { generateKeyPair, importJWK, base64url as jose64, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { parseConfig, type SigningJwk } from '../../src/config';
import { AccessTokenError, signAccessToken, verifyAccessToken } from '../../src/tokens/access-token';
import { getKeySet } from '../../src/tokens/keys';

async function newKey(kid: string): Promise<SigningJwk> {
  const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  const jwk = (await crypto.subtle.exportKey('jwk', pair.privateKey)) as JsonWebKey;
  return { kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y!, d: jwk.d!, kid, alg: 'ES256' };
}

const base64urlDecode = (s: string) => jose64.decode(s);

function configWith(keys: SigningJwk[]) {
  return parseConfig({ ...env, SIGNING_KEYS: JSON.stringify({ keys }) });
}

const now = Math.floor(Date.now() / 1000);
const expected = { issuer: 'http://localhost', audience: 'http://localhost/mcp', now };
const claims = { ...expected, userId: 'usr_1', clientId: 'c', scope: 'mcp', grantId: 'g', ttlSeconds: 3600 };

describe('signing-key rotation', () => {
  it('keeps old tokens valid when a key is added, signs with the promoted key, and rejects tokens of a retired key', async () => {
    const oldKey = await newKey('old');
    const nextKey = await newKey('next');

    const before = await getKeySet(configWith([oldKey]));
    const oldToken = await signAccessToken(before, claims);

    // 1. add: the new key verifies but does not sign yet
    const added = await getKeySet(configWith([oldKey, nextKey]));
    expect((await verifyAccessToken(added, oldToken, expected)).userId).toBe('usr_1');
    expect(JSON.parse(atob((await signAccessToken(added, claims)).split('.')[0]!)).kid).toBe('old');

    // 2. promote: new tokens use the new key; old ones still verify
    const promoted = await getKeySet(configWith([nextKey, oldKey]));
    const newToken = await signAccessToken(promoted, claims);
    expect(JSON.parse(atob(newToken.split('.')[0]!)).kid).toBe('next');
    expect((await verifyAccessToken(promoted, oldToken, expected)).userId).toBe('usr_1');

    // 3. retire: the old key's tokens fail, the new key's pass
    const retired = await getKeySet(configWith([nextKey]));
    await expect(verifyAccessToken(retired, oldToken, expected)).rejects.toMatchObject({
      code: 'bad_signature',
    });
    expect((await verifyAccessToken(retired, newToken, expected)).userId).toBe('usr_1');
    expect(promoted.jwks.keys.map((k) => k.kid)).toEqual(['next', 'old']);
    expect(promoted.jwks.keys.every((k) => !('d' in k))).toBe(true);
  });

  it('rejects a correctly signed token whose kid names a key of another algorithm, or no key, with bad_signature', async () => {
    const a = await newKey('a');
    const keys = await getKeySet(configWith([a]));
    const payload = JSON.parse(
      new TextDecoder().decode(base64urlDecode((await signAccessToken(keys, claims)).split('.')[1]!)),
    ) as Record<string, unknown>;
    const sign = (key: CryptoKey | Uint8Array, header: { alg: string; kid: string }) =>
      new SignJWT(payload).setProtectedHeader({ ...header, typ: 'at+jwt' }).sign(key);

    // Signed by a's own private key, but naming a kid the key set does not hold: no fallback to a.
    const aPrivate = await importJWK({ ...a }, 'ES256');
    const noKey = await sign(aPrivate, { alg: 'ES256', kid: 'unknown' });
    await expect(verifyAccessToken(keys, noKey, expected)).rejects.toMatchObject({ code: 'bad_signature' });

    // A valid EdDSA signature under kid "a", which names an ES256 key: the algorithm must match the key.
    const ed = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const otherAlg = await sign(ed.privateKey, { alg: 'EdDSA', kid: 'a' });
    await expect(verifyAccessToken(keys, otherAlg, expected)).rejects.toMatchObject({
      code: 'bad_signature',
    });

    const noneHeader = btoa(JSON.stringify({ alg: 'none', kid: 'a', typ: 'at+jwt' })).replace(/=+$/, '');
    const body = (await signAccessToken(keys, claims)).split('.')[1];
    await expect(verifyAccessToken(keys, `${noneHeader}.${body}.`, expected)).rejects.toBeInstanceOf(
      AccessTokenError,
    );
  });
});
