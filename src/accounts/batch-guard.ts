/**
 * A condition that every statement of a D1 batch carries so that the batch's effects happen only if
 * its first statement did what it had to (e.g. consumed a single-use link for *this* request).
 * A D1 batch is one transaction, so a guarded effect either runs together with the consumption or
 * not at all; nothing is ever half-applied.
 */
export interface BatchGuard {
  /** A boolean SQL expression, such as `EXISTS (SELECT 1 FROM … WHERE … = ?)`. */
  readonly sql: string;
  readonly args: readonly unknown[];
}

/** ` AND <guard>` and its parameters, or nothing when there is no guard. */
export function andGuard(guard: BatchGuard | undefined): { sql: string; args: unknown[] } {
  return guard ? { sql: ` AND ${guard.sql}`, args: [...guard.args] } : { sql: '', args: [] };
}
