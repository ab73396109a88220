/**
 * The scheduled purge: deletes what has expired, in bounded batches so one run never holds D1 for
 * long. Each rule keeps rows as long as they still prove something — consumed codes and rotated
 * refresh tokens are kept until they expire, because a replay must still be recognised as one.
 */

const DAY = 86400;
/** Rows deleted per statement, and statements per table per run: at most 10 000 rows a table a run. */
const BATCH = 500;
const MAX_ROUNDS = 20;

interface Rule {
  table: string;
  /** SQL condition; `?` is bound to the cutoff computed by `cutoff(now)`. */
  where: string;
  cutoff: (now: number) => number;
}

export const PURGE_RULES: readonly Rule[] = [
  { table: 'sessions', where: 'expires_at <= ?', cutoff: (now) => now },
  { table: 'email_tokens', where: 'expires_at <= ?', cutoff: (now) => now - DAY },
  { table: 'identity_link_requests', where: 'expires_at <= ?', cutoff: (now) => now - DAY },
  { table: 'oauth_authorization_codes', where: 'expires_at <= ?', cutoff: (now) => now - DAY },
  { table: 'oauth_refresh_tokens', where: 'expires_at <= ?', cutoff: (now) => now },
  {
    table: 'oauth_grants',
    where: 'revoked_at IS NOT NULL AND revoked_at <= ?',
    cutoff: (now) => now - 90 * DAY,
  },
  {
    table: 'personal_access_tokens',
    where: '(revoked_at IS NOT NULL AND revoked_at <= ?1) OR (expires_at IS NOT NULL AND expires_at <= ?1)',
    cutoff: (now) => now - 90 * DAY,
  },
  { table: 'audit_events', where: 'created_at <= ?', cutoff: (now) => now - 90 * DAY },
  // Gateway sign-ins in flight are single use and live 10 minutes; a spent or lapsed one proves nothing.
  { table: 'upstream_authorizations', where: 'expires_at <= ?', cutoff: (now) => now },
  { table: 'dev_outbox', where: 'created_at <= ?', cutoff: (now) => now - 7 * DAY },
];

export type PurgeReport = Record<string, number>;

/** Runs every rule; `now` in seconds (injectable for tests). Returns rows deleted per table. */
export async function purgeExpired(db: D1Database, now: number): Promise<PurgeReport> {
  const report: PurgeReport = {};
  for (const rule of PURGE_RULES) {
    const statement = db.prepare(
      `DELETE FROM ${rule.table} WHERE rowid IN (SELECT rowid FROM ${rule.table} WHERE ${rule.where} LIMIT ${BATCH})`,
    );
    let deleted = 0;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const result = await statement.bind(rule.cutoff(now)).run();
      const changes = result.meta.changes ?? 0;
      deleted += changes;
      if (changes < BATCH) break;
    }
    report[rule.table] = deleted;
  }
  return report;
}
