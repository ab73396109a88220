import type { BatchGuard } from './batch-guard';
import { deleteAllSessionsStatement } from './sessions';

/**
 * Everything that must end when a person's password changes (reset or change): every session.
 * Modules that hold other credentials (grants, personal access tokens) add their statements here,
 * so the whole cut-off runs in one D1 batch with the password update. Every statement must AND the
 * `guard` (when given) into its WHERE clause, so that it runs only if the batch's consuming
 * statement succeeded for this request.
 */
export function endAllCredentialsStatements(
  db: D1Database,
  userId: string,
  now: number,
  guard?: BatchGuard,
): D1PreparedStatement[] {
  void now;
  return [deleteAllSessionsStatement(db, userId, guard)];
}
