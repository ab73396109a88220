import { describe, expect, it } from 'vitest';
import { pkceRequestProblem, verifierMatches } from '../../src/oauth/pkce';
import { pkcePair } from './helpers';

describe('PKCE (RFC 7636), S256 only', () => {
  it('requires a challenge and S256', () => {
    const c = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
    expect(pkceRequestProblem(c, 'S256')).toBeUndefined();
    expect(pkceRequestProblem(undefined, 'S256')).toBe('missing_challenge');
    expect(pkceRequestProblem(c, 'plain')).toBe('unsupported_method');
    expect(pkceRequestProblem(c, undefined)).toBe('unsupported_method');
    expect(pkceRequestProblem(c, 's256')).toBe('unsupported_method');
    expect(pkceRequestProblem('too-short', 'S256')).toBe('malformed_challenge');
  });

  it('verifies the RFC 7636 appendix B example and rejects anything else', async () => {
    const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    expect(await verifierMatches(verifier, 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM')).toBe(true);
    expect(await verifierMatches(verifier, 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN')).toBe(false);
    expect(
      await verifierMatches(
        'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      ),
    ).toBe(false);
    const { verifier: v, challenge } = await pkcePair();
    expect(await verifierMatches(v, challenge)).toBe(true);
    expect(await verifierMatches('short', challenge)).toBe(false);
  });
});
