import { newId } from '../../tokens/secrets';
import { isoTime, LIMITS, type Project } from '../schemas';

/**
 * The `projects` table (migrations/0003_workspace.sql). Every statement filters on `user_id`: a
 * project id alone never reaches a row.
 */
interface ProjectRow {
  id: string;
  title: string;
  description: string;
  created_at: number;
  updated_at: number;
}

const COLUMNS = 'id, title, description, created_at, updated_at';

export function toProject(row: ProjectRow): Project {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    createdAt: isoTime(row.created_at),
    updatedAt: isoTime(row.updated_at),
  };
}

/** Newest first; `after` is the (created_at, id) of the last project of the previous page. */
export async function listProjects(
  db: D1Database,
  userId: string,
  page: { limit: number; after: [number, string] | undefined },
): Promise<{ projects: Project[]; last: [number, string] | undefined; more: boolean }> {
  const stmt = page.after
    ? db
        .prepare(
          `SELECT ${COLUMNS} FROM projects WHERE user_id = ?1 AND (created_at < ?2 OR (created_at = ?2 AND id < ?3))
           ORDER BY created_at DESC, id DESC LIMIT ?4`,
        )
        .bind(userId, page.after[0], page.after[1], page.limit + 1)
    : db
        .prepare(
          `SELECT ${COLUMNS} FROM projects WHERE user_id = ?1 ORDER BY created_at DESC, id DESC LIMIT ?2`,
        )
        .bind(userId, page.limit + 1);
  const { results } = await stmt.all<ProjectRow>();
  const more = results.length > page.limit;
  const rows = more ? results.slice(0, page.limit) : results;
  const lastRow = rows.at(-1);
  return {
    projects: rows.map(toProject),
    last: lastRow ? [lastRow.created_at, lastRow.id] : undefined,
    more,
  };
}

export async function findProject(db: D1Database, userId: string, id: string): Promise<Project | null> {
  const row = await db
    .prepare(`SELECT ${COLUMNS} FROM projects WHERE id = ? AND user_id = ?`)
    .bind(id, userId)
    .first<ProjectRow>();
  return row ? toProject(row) : null;
}

/** A project and how many tasks it holds, in one statement (what deleting it would remove). */
export async function findProjectWithTaskCount(
  db: D1Database,
  userId: string,
  id: string,
): Promise<{ project: Project; taskCount: number } | null> {
  const row = await db
    .prepare(
      `SELECT ${COLUMNS}, (SELECT COUNT(*) FROM tasks WHERE tasks.project_id = projects.id AND tasks.user_id = ?2)
       AS task_count FROM projects WHERE id = ?1 AND user_id = ?2`,
    )
    .bind(id, userId)
    .first<ProjectRow & { task_count: number }>();
  return row ? { project: toProject(row), taskCount: row.task_count } : null;
}

/**
 * Inserts a project unless the user already has the maximum (one statement, no race). A token can
 * outlive its account by the revocation bound (KV markers propagate within a minute), so the insert
 * also requires the account to exist, rather than fail on the foreign key.
 */
export async function insertProject(
  db: D1Database,
  userId: string,
  fields: { title: string; description: string },
  now: number,
): Promise<{ project: Project } | { error: 'limit_reached' | 'no_account' }> {
  const row = await db
    .prepare(
      `INSERT INTO projects (id, user_id, title, description, created_at, updated_at)
       SELECT ?1, ?2, ?3, ?4, ?5, ?5 WHERE EXISTS (SELECT 1 FROM users WHERE id = ?2)
         AND (SELECT COUNT(*) FROM projects WHERE user_id = ?2) < ?6
       RETURNING ${COLUMNS}`,
    )
    .bind(newId('prj_'), userId, fields.title, fields.description, now, LIMITS.projectsPerUser)
    .first<ProjectRow>();
  if (row) return { project: toProject(row) };
  const account = await db.prepare('SELECT 1 AS found FROM users WHERE id = ?').bind(userId).first();
  return { error: account ? 'limit_reached' : 'no_account' };
}

export async function updateProject(
  db: D1Database,
  userId: string,
  id: string,
  fields: { title: string | undefined; description: string | undefined },
  now: number,
): Promise<Project | null> {
  const row = await db
    .prepare(
      `UPDATE projects SET title = COALESCE(?3, title), description = COALESCE(?4, description), updated_at = ?5
       WHERE id = ?1 AND user_id = ?2 RETURNING ${COLUMNS}`,
    )
    .bind(id, userId, fields.title ?? null, fields.description ?? null, now)
    .first<ProjectRow>();
  return row ? toProject(row) : null;
}

/** Deletes a project and its tasks in one batch; returns how many tasks went, or null if not found. */
export async function deleteProject(
  db: D1Database,
  userId: string,
  id: string,
): Promise<{ deletedTasks: number } | null> {
  const [tasks, project] = await db.batch([
    db.prepare('DELETE FROM tasks WHERE project_id = ? AND user_id = ?').bind(id, userId),
    db.prepare('DELETE FROM projects WHERE id = ? AND user_id = ? RETURNING id').bind(id, userId),
  ]);
  if (!project || project.results.length === 0) return null;
  return { deletedTasks: tasks?.meta.changes ?? 0 };
}
