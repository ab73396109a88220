import { describe, expect, it } from 'vitest';
import {
  generatePersonalAccessToken,
  isWellFormedPersonalAccessToken,
  personalAccessTokenHint,
} from '../../src/tokens/personal-access-token';

describe('personal access token format', () => {
  it('starts with tskdp_ and carries 43 random base62 characters and a 6-character checksum', () => {
    const token = generatePersonalAccessToken();
    expect(token).toMatch(/^tskdp_[0-9A-Za-z]{49}$/);
    expect(isWellFormedPersonalAccessToken(token)).toBe(true);
  });

  it('never repeats across many tokens', () => {
    const seen = new Set(Array.from({ length: 2000 }, generatePersonalAccessToken));
    expect(seen.size).toBe(2000);
  });

  it('rejects every single-character change by its checksum', () => {
    const token = generatePersonalAccessToken();
    let rejected = 0;
    for (let i = 6; i < token.length; i++) {
      const c = token[i] === 'a' ? 'b' : 'a';
      const altered = token.slice(0, i) + c + token.slice(i + 1);
      if (!isWellFormedPersonalAccessToken(altered)) rejected++;
    }
    expect(rejected).toBe(token.length - 6);
  });

  it('rejects wrong prefixes, lengths and characters', () => {
    const token = generatePersonalAccessToken();
    for (const bad of [
      '',
      'tskdp_',
      token.replace('tskdp_', 'tskdq_'),
      token.slice(0, -1),
      `${token}a`,
      `${token.slice(0, 20)}-${token.slice(21)}`,
      token.toUpperCase(),
      ` ${token}`,
    ]) {
      expect(isWellFormedPersonalAccessToken(bad)).toBe(false);
    }
  });

  it('hints at a token with its prefix and last four characters only', () => {
    const token = generatePersonalAccessToken();
    expect(personalAccessTokenHint(token)).toBe(`tskdp_…${token.slice(-4)}`);
  });
});
