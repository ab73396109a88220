import { deleteAllSessionsStatement } from './sessions';

/**
 * Everything that must end when a person's password changes (reset or change): every session.
 * Modules that hold other credentials (grants, personal access tokens) add their statements here,
 * so the whole cut-off runs in one D1 batch with the password update.
 */
export function endAllCredentialsStatements(
  db: D1Database,
  userId: string,
  now: number,
): D1PreparedStatement[] {
  void now;
  return [deleteAllSessionsStatement(db, userId)];
}
