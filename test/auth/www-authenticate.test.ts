import { describe, expect, it } from 'vitest';
import { bearerChallenge, quoteHeaderValue } from '../../src/http/www-authenticate';

describe('bearerChallenge (RFC 6750 §3, RFC 9728 §5.1)', () => {
  it('names the metadata and the scope, and no error when credentials were missing', () => {
    expect(
      bearerChallenge({
        resourceMetadata: 'https://h/.well-known/oauth-protected-resource/mcp',
        scope: 'mcp',
      }),
    ).toBe('Bearer resource_metadata="https://h/.well-known/oauth-protected-resource/mcp", scope="mcp"');
  });

  it('puts the error code first', () => {
    expect(
      bearerChallenge({ error: 'insufficient_scope', scope: 'api', resourceMetadata: 'https://h/m' }),
    ).toBe('Bearer error="insufficient_scope", resource_metadata="https://h/m", scope="api"');
  });

  it('is a bare scheme without parameters', () => {
    expect(bearerChallenge({})).toBe('Bearer');
  });

  it('escapes quotes and backslashes and drops control characters, so no value can add a parameter', () => {
    const hostile = ['a"b', 'a\\b', 'x", error="forged', 'line\r\nX-Injected: 1', '\u0000\u007f'];
    for (const value of hostile) {
      const quoted = quoteHeaderValue(value);
      expect(quoted.startsWith('"') && quoted.endsWith('"')).toBe(true);
      // Every inner quote is escaped: removing escaped pairs leaves no bare quote.
      expect(quoted.slice(1, -1).replace(/\\./g, '')).not.toContain('"');
      // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence
      expect(quoted).not.toMatch(/[\u0000-\u001f\u007f]/);
    }
    expect(bearerChallenge({ error: 'invalid_token', errorDescription: 'x", scope="admin' })).toBe(
      'Bearer error="invalid_token", error_description="x\\", scope=\\"admin"',
    );
  });
});
