import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config';
import { needsReseal, open, parseVaultKeys, seal, VaultError, vaultFor } from '../../src/gateway/vault';

function keySet(...kids: string[]): string {
  return JSON.stringify({
    keys: kids.map((kid) => {
      const bytes = crypto.getRandomValues(new Uint8Array(32));
      const k = btoa(String.fromCharCode(...bytes))
        .replaceAll('+', '-')
        .replaceAll('/', '_')
        .replace(/=+$/, '');
      return { kty: 'oct', kid, k, alg: 'A256GCM' };
    }),
  });
}

const alice = { userId: 'usr_alice', upstreamId: 'linear' };

async function failureOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof VaultError) return err.failure;
    throw err;
  }
  return 'opened';
}

describe('the vault (AES-256-GCM, bound to person and upstream)', () => {
  it('opens what it sealed, for the same binding', async () => {
    const vault = await vaultFor(parseVaultKeys(keySet('k1')));
    const sealed = await seal(vault, alice, '{"access_token":"secret"}');
    expect(sealed).toMatch(/^v1\.k1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('secret');
    expect(await open(vault, alice, sealed)).toBe('{"access_token":"secret"}');
  });

  it('seals the same plaintext differently each time (fresh IV)', async () => {
    const vault = await vaultFor(parseVaultKeys(keySet('k1')));
    expect(await seal(vault, alice, 'x')).not.toBe(await seal(vault, alice, 'x'));
  });

  it('refuses a row copied to another person or another upstream', async () => {
    const vault = await vaultFor(parseVaultKeys(keySet('k1')));
    const sealed = await seal(vault, alice, 'credential');
    expect(await failureOf(open(vault, { ...alice, userId: 'usr_mallory' }, sealed))).toBe('does_not_open');
    expect(await failureOf(open(vault, { ...alice, upstreamId: 'github' }, sealed))).toBe('does_not_open');
  });

  it('cannot be fooled by ids that concatenate alike', async () => {
    const vault = await vaultFor(parseVaultKeys(keySet('k1')));
    const sealed = await seal(vault, { userId: 'a|b', upstreamId: 'c' }, 'credential');
    expect(await failureOf(open(vault, { userId: 'a', upstreamId: 'b|c' }, sealed))).toBe('does_not_open');
  });

  it('refuses a tampered ciphertext, IV or key id', async () => {
    const vault = await vaultFor(parseVaultKeys(keySet('k1', 'k2')));
    const sealed = await seal(vault, alice, 'credential');
    const [v, kid, iv, body] = sealed.split('.') as [string, string, string, string];
    const flip = (s: string) => (s[0] === 'A' ? `B${s.slice(1)}` : `A${s.slice(1)}`);
    expect(await failureOf(open(vault, alice, [v, kid, iv, flip(body)].join('.')))).toBe('does_not_open');
    expect(await failureOf(open(vault, alice, [v, kid, flip(iv), body].join('.')))).toBe('does_not_open');
    // The key id is authenticated too: the same bytes presented under the second key do not open.
    expect(await failureOf(open(vault, alice, [v, 'k2', iv, body].join('.')))).toBe('does_not_open');
    expect(await failureOf(open(vault, alice, [v, 'k9', iv, body].join('.')))).toBe('unknown_key');
    expect(await failureOf(open(vault, alice, `v2.${kid}.${iv}.${body}`))).toBe('malformed');
    expect(await failureOf(open(vault, alice, 'v1.k1.short.x'))).toBe('malformed');
    expect(await failureOf(open(vault, alice, ''))).toBe('malformed');
  });

  it('rotates: the first key seals, the old key still opens, and old values are due for re-sealing', async () => {
    const oldSet = JSON.parse(keySet('old')) as { keys: unknown[] };
    const newSet = JSON.parse(keySet('new')) as { keys: unknown[] };
    const before = await vaultFor(parseVaultKeys(JSON.stringify(oldSet)));
    const sealedBefore = await seal(before, alice, 'credential');
    const after = await vaultFor(parseVaultKeys(JSON.stringify({ keys: [...newSet.keys, ...oldSet.keys] })));
    expect(await open(after, alice, sealedBefore)).toBe('credential');
    expect(needsReseal(after, sealedBefore)).toBe(true);
    const resealed = await seal(after, alice, 'credential');
    expect(resealed.split('.')[1]).toBe('new');
    expect(needsReseal(after, resealed)).toBe(false);
    // Once the old key is dropped, values sealed under it no longer open.
    const dropped = await vaultFor(parseVaultKeys(JSON.stringify(newSet)));
    expect(await failureOf(open(dropped, alice, sealedBefore))).toBe('unknown_key');
  });

  const badKeys: Array<[string, string]> = [
    ['not JSON', '{'],
    ['no keys', '{"keys":[]}'],
    ['a non-oct key', '{"keys":[{"kty":"EC","kid":"a","k":"AAAA"}]}'],
    ['a short key', '{"keys":[{"kty":"oct","kid":"a","k":"AAAA"}]}'],
    [
      'duplicate kids',
      JSON.stringify({ keys: [...JSON.parse(keySet('a')).keys, ...JSON.parse(keySet('a')).keys] }),
    ],
    ['another algorithm', '{"keys":[{"kty":"oct","kid":"a","k":"AAAA","alg":"A128GCM"}]}'],
  ];
  for (const [what, value] of badKeys) {
    it(`refuses VAULT_KEYS with ${what} as a ConfigError`, () => {
      expect(() => parseVaultKeys(value)).toThrow(ConfigError);
    });
  }
});
