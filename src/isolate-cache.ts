/**
 * The one memo for anything kept across requests in a Worker isolate: at most `maxEntries` entries,
 * each with its own expiry, the least recently used dropped first when full. An isolate serves many
 * people and has 128 MB, so every per-isolate memo needs a size bound as well as an expiry: a flood
 * of distinct keys (tokens, grants) must push old entries out, never grow the isolate.
 *
 * Time is the caller's: every read and write takes `now` in seconds from the request's clock
 * (`deps.clock`), so tests move time instead of sleeping. An entry is gone once `now` reaches its
 * `expiresAt`; `Infinity` keeps it until it is pushed out or deleted.
 *
 * What it deliberately does not do: share entries between isolates or Cloudflare locations, or
 * notice a change in storage. A hit is a shortcut, so callers must bound how stale it may be (its
 * expiry) and stay correct when it is missing. Values derived from one object and never stale (the
 * config of an env, the imported key set of a config) stay in WeakMaps: they live exactly as long as
 * that object, so they need neither a bound nor an expiry.
 */
export class IsolateCache<K, V> {
  readonly #entries = new Map<K, { value: V; expiresAt: number }>();
  readonly maxEntries: number;

  constructor(opts: { maxEntries: number }) {
    if (!Number.isSafeInteger(opts.maxEntries) || opts.maxEntries < 1) {
      throw new TypeError('IsolateCache: maxEntries must be a positive integer');
    }
    this.maxEntries = opts.maxEntries;
  }

  get(key: K, now: number): V | undefined {
    const hit = this.#entries.get(key);
    if (!hit) return undefined;
    if (hit.expiresAt <= now) {
      this.#entries.delete(key);
      return undefined;
    }
    // A Map iterates in insertion order: moving the entry to the end marks it most recently used.
    this.#entries.delete(key);
    this.#entries.set(key, hit);
    return hit.value;
  }

  set(key: K, value: V, expiresAt: number): void {
    this.#entries.delete(key);
    if (this.#entries.size >= this.maxEntries) {
      const leastRecent = this.#entries.keys().next();
      if (!leastRecent.done) this.#entries.delete(leastRecent.value);
    }
    this.#entries.set(key, { value, expiresAt });
  }

  delete(key: K): void {
    this.#entries.delete(key);
  }

  /** Entries held, expired ones included until they are read or pushed out. */
  get size(): number {
    return this.#entries.size;
  }
}
