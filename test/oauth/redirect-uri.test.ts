import { describe, expect, it } from 'vitest';
import { isValidRedirectUri, redirectUriMatches } from '../../src/oauth/redirect-uri';
import { HOSTILE_REDIRECT_URIS } from './client-payloads';

describe('redirect URI policy', () => {
  for (const uri of HOSTILE_REDIRECT_URIS) {
    it(`rejects ${JSON.stringify(uri.slice(0, 50))}`, () => {
      expect(isValidRedirectUri(uri)).toBe(false);
      expect(redirectUriMatches([uri], uri)).toBe(false);
    });
  }

  it('matches exactly outside loopback', () => {
    const reg = ['https://a.example/cb'];
    expect(redirectUriMatches(reg, 'https://a.example/cb')).toBe(true);
    for (const asked of [
      'https://a.example/cb/',
      'https://A.example/cb',
      'https://a.example/cb?x',
      'https://a.example:443/cb',
    ]) {
      expect(redirectUriMatches(reg, asked)).toBe(false);
    }
  });

  it('lets only the port vary on loopback (RFC 8252 §7.3)', () => {
    const reg = ['http://localhost/callback', 'http://127.0.0.1:33418/', 'http://[::1]/cb'];
    expect(redirectUriMatches(reg, 'http://localhost:1/callback')).toBe(true);
    expect(redirectUriMatches(reg, 'http://127.0.0.1:5000/')).toBe(true);
    expect(redirectUriMatches(reg, 'http://[::1]:8080/cb')).toBe(true);
    expect(redirectUriMatches(reg, 'http://127.0.0.1:5000/callback')).toBe(false);
    expect(redirectUriMatches(reg, 'http://localhost:99999/callback')).toBe(false);
    expect(redirectUriMatches(reg, 'http://localhost:1/callback#x')).toBe(false);
    expect(
      redirectUriMatches(
        ['cursor://anysphere.cursor-mcp/oauth/callback'],
        'cursor://anysphere.cursor-mcp/oauth/callback',
      ),
    ).toBe(true);
  });
});
