/**
 * Misconfiguration is an operator's mistake, not a client's: it throws a {@link ConfigError} when the
 * Worker first handles anything, and is never turned into a 4xx. Its own module so that the parsers of
 * each configuration area (the upstream catalog, the vault keys) can throw it without importing the
 * config that imports them.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
