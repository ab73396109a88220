import { describe, expect, it } from 'vitest';
import { IsolateCache } from '../src/isolate-cache';

describe('IsolateCache', () => {
  it('never holds more than maxEntries, however many distinct keys arrive', () => {
    const cache = new IsolateCache<string, number>({ maxEntries: 3 });
    for (let i = 0; i < 1000; i++) {
      cache.set(`k${i}`, i, Number.POSITIVE_INFINITY);
      expect(cache.size).toBeLessThanOrEqual(3);
    }
    expect(cache.size).toBe(3);
    expect([997, 998, 999].map((i) => cache.get(`k${i}`, 0))).toEqual([997, 998, 999]);
  });

  it('answers until the expiry and not from the expiry on, then forgets the entry', () => {
    const cache = new IsolateCache<string, string>({ maxEntries: 10 });
    cache.set('a', 'A', 100);
    expect(cache.get('a', 99)).toBe('A');
    expect(cache.get('a', 100)).toBeUndefined();
    expect(cache.size).toBe(0);
    // An expired entry stays expired even if the clock is read backwards afterwards.
    expect(cache.get('a', 50)).toBeUndefined();
  });

  it('keeps an entry with an infinite expiry until it is pushed out or deleted', () => {
    const cache = new IsolateCache<string, boolean>({ maxEntries: 2 });
    cache.set('final', true, Number.POSITIVE_INFINITY);
    expect(cache.get('final', Number.MAX_SAFE_INTEGER)).toBe(true);
    cache.delete('final');
    expect(cache.get('final', 0)).toBeUndefined();
  });

  it('drops the least recently used entry first: a read counts as a use', () => {
    const cache = new IsolateCache<string, number>({ maxEntries: 3 });
    cache.set('a', 1, 1000);
    cache.set('b', 2, 1000);
    cache.set('c', 3, 1000);
    expect(cache.get('a', 0)).toBe(1); // a is now the most recent; b the least
    cache.set('d', 4, 1000);
    expect(cache.get('b', 0)).toBeUndefined();
    expect([cache.get('a', 0), cache.get('c', 0), cache.get('d', 0)]).toEqual([1, 3, 4]);
    cache.set('e', 5, 1000); // order is now a, c, d: a goes
    expect(cache.get('a', 0)).toBeUndefined();
  });

  it('replacing a key takes no second slot and pushes nothing else out', () => {
    const cache = new IsolateCache<string, number>({ maxEntries: 2 });
    cache.set('a', 1, 1000);
    cache.set('b', 2, 1000);
    cache.set('a', 10, 2000);
    expect(cache.size).toBe(2);
    expect(cache.get('b', 0)).toBe(2);
    expect(cache.get('a', 1500)).toBe(10);
  });

  it('takes any key type (the key is compared by identity, as in a Map)', () => {
    const cache = new IsolateCache<object, string>({ maxEntries: 2 });
    const key = {};
    cache.set(key, 'x', 10);
    expect(cache.get(key, 0)).toBe('x');
    expect(cache.get({}, 0)).toBeUndefined();
  });

  it('refuses a size bound that is not a positive integer (a programmer error, TypeError)', () => {
    for (const maxEntries of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new IsolateCache({ maxEntries })).toThrow(TypeError);
    }
  });
});
