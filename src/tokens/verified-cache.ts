/**
 * A per-isolate memo of access tokens whose signature and claims already verified. A JWT is
 * immutable, so its signature check is done once per isolate instead of on every request; everything
 * that can change — expiry against the clock, the revocation marker, scopes — is still checked on
 * every request by the caller. Entries are keyed by issuer, audience and the exact token string, and
 * the memo belongs to one key set, so a rotated-out key's tokens are never served from it.
 */
export class VerifiedTokenCache<T extends { expiresAt: number }> {
  readonly #entries = new Map<string, T>();
  constructor(readonly maxEntries = 2000) {}

  get(key: string, now: number): T | undefined {
    const hit = this.#entries.get(key);
    if (!hit) return undefined;
    if (hit.expiresAt <= now) {
      this.#entries.delete(key);
      return undefined;
    }
    return hit;
  }

  set(key: string, value: T): void {
    if (this.#entries.size >= this.maxEntries) {
      // Map keeps insertion order: drop the oldest entry.
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(key, value);
  }

  get size(): number {
    return this.#entries.size;
  }
}
