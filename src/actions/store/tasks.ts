import { newId } from '../../tokens/secrets';
import { isoTime, LIMITS, type Task } from '../schemas';

/**
 * The `tasks` table (migrations/0003_workspace.sql). Every statement filters on `user_id`, and every
 * statement that names a project checks that the project is the user's too.
 */
interface TaskRow {
  id: string;
  project_id: string;
  text: string;
  notes: string;
  done: number;
  done_at: number | null;
  due_date: string | null;
  position: number;
  created_at: number;
  updated_at: number;
}

const COLUMNS = 'id, project_id, text, notes, done, done_at, due_date, position, created_at, updated_at';

export type TaskStatus = 'all' | 'open' | 'done';

export function toTask(row: TaskRow): Task {
  return {
    id: row.id,
    projectId: row.project_id,
    text: row.text,
    notes: row.notes,
    done: row.done === 1,
    doneAt: row.done_at === null ? null : isoTime(row.done_at),
    dueDate: row.due_date,
    position: row.position,
    createdAt: isoTime(row.created_at),
    updatedAt: isoTime(row.updated_at),
  };
}

/**
 * A project's tasks in order; `after` is the (position, id) of the previous page's last task. Null
 * when the project is not the user's. Both reads run in one batch (one round trip).
 */
export async function listTasks(
  db: D1Database,
  userId: string,
  projectId: string,
  page: { status: TaskStatus; limit: number; after: [number, string] | undefined },
): Promise<{ tasks: Task[]; last: [number, string] | undefined; more: boolean } | null> {
  const where = ['project_id = ?1', 'user_id = ?2'];
  if (page.status !== 'all') where.push(`done = ${page.status === 'done' ? 1 : 0}`);
  if (page.after) where.push('(position > ?4 OR (position = ?4 AND id > ?5))');
  const sql = `SELECT ${COLUMNS} FROM tasks WHERE ${where.join(' AND ')} ORDER BY position, id LIMIT ?3`;
  const params: (string | number)[] = [projectId, userId, page.limit + 1];
  if (page.after) params.push(page.after[0], page.after[1]);
  // The first statement's rows are only counted, so one row type serves both.
  const [project, tasks] = await db.batch<TaskRow>([
    db.prepare('SELECT id FROM projects WHERE id = ? AND user_id = ?').bind(projectId, userId),
    db.prepare(sql).bind(...params),
  ]);
  if (!project || project.results.length === 0 || !tasks) return null;
  const results = tasks.results;
  const more = results.length > page.limit;
  const rows = more ? results.slice(0, page.limit) : results;
  const lastRow = rows.at(-1);
  return { tasks: rows.map(toTask), last: lastRow ? [lastRow.position, lastRow.id] : undefined, more };
}

export async function findTask(db: D1Database, userId: string, id: string): Promise<Task | null> {
  const row = await db
    .prepare(`SELECT ${COLUMNS} FROM tasks WHERE id = ? AND user_id = ?`)
    .bind(id, userId)
    .first<TaskRow>();
  return row ? toTask(row) : null;
}

export type InsertTaskResult = { task: Task } | { error: 'project_not_found' | 'limit_reached' };

/** Appends a task to one of the user's projects, in one statement (ownership, limit and position). */
export async function insertTask(
  db: D1Database,
  userId: string,
  fields: { projectId: string; text: string; notes: string; dueDate: string | null },
  now: number,
): Promise<InsertTaskResult> {
  const row = await db
    .prepare(
      `INSERT INTO tasks (id, user_id, project_id, text, notes, done, done_at, due_date, position, created_at, updated_at)
       SELECT ?1, ?2, p.id, ?4, ?5, 0, NULL, ?6,
              COALESCE((SELECT MAX(position) FROM tasks WHERE project_id = p.id), 0) + 1, ?7, ?7
       FROM projects p
       WHERE p.id = ?3 AND p.user_id = ?2 AND (SELECT COUNT(*) FROM tasks WHERE project_id = p.id) < ?8
       RETURNING ${COLUMNS}`,
    )
    .bind(
      newId('tsk_'),
      userId,
      fields.projectId,
      fields.text,
      fields.notes,
      fields.dueDate,
      now,
      LIMITS.tasksPerProject,
    )
    .first<TaskRow>();
  if (row) return { task: toTask(row) };
  return {
    error: (await projectExists(db, userId, fields.projectId)) ? 'limit_reached' : 'project_not_found',
  };
}

async function projectExists(db: D1Database, userId: string, projectId: string): Promise<boolean> {
  const row = await db
    .prepare('SELECT 1 AS found FROM projects WHERE id = ? AND user_id = ?')
    .bind(projectId, userId)
    .first();
  return row !== null;
}

/** `dueDate: undefined` keeps the date, `null` clears it. */
export async function updateTask(
  db: D1Database,
  userId: string,
  id: string,
  fields: { text: string | undefined; notes: string | undefined; dueDate: string | null | undefined },
  now: number,
): Promise<Task | null> {
  const row = await db
    .prepare(
      `UPDATE tasks SET text = COALESCE(?3, text), notes = COALESCE(?4, notes),
         due_date = CASE WHEN ?5 THEN ?6 ELSE due_date END, updated_at = ?7
       WHERE id = ?1 AND user_id = ?2 RETURNING ${COLUMNS}`,
    )
    .bind(
      id,
      userId,
      fields.text ?? null,
      fields.notes ?? null,
      fields.dueDate === undefined ? 0 : 1,
      fields.dueDate ?? null,
      now,
    )
    .first<TaskRow>();
  return row ? toTask(row) : null;
}

/** Marks a task done or open; completing a done task keeps its first completion time. */
export async function setTaskDone(
  db: D1Database,
  userId: string,
  id: string,
  done: boolean,
  now: number,
): Promise<Task | null> {
  const row = await db
    .prepare(
      done
        ? `UPDATE tasks SET done = 1, done_at = COALESCE(done_at, ?3), updated_at = ?3
           WHERE id = ?1 AND user_id = ?2 RETURNING ${COLUMNS}`
        : `UPDATE tasks SET done = 0, done_at = NULL, updated_at = ?3
           WHERE id = ?1 AND user_id = ?2 RETURNING ${COLUMNS}`,
    )
    .bind(id, userId, now)
    .first<TaskRow>();
  return row ? toTask(row) : null;
}

/**
 * Moves a task into one of the user's projects (possibly its own) at a 0-based index, or last.
 * One batch, so one transaction: make room at the index, then place the task there. When the task
 * or the target project is not the user's, or the move would put more than the per-project limit
 * into the target (as createTask refuses), neither statement touches a row.
 */
export async function moveTask(
  db: D1Database,
  userId: string,
  id: string,
  target: { projectId: string; index: number | undefined },
  now: number,
): Promise<{ task: Task } | { error: 'not_found' | 'limit_reached' }> {
  const room = `((SELECT project_id FROM tasks WHERE id = ?1) = ?3
    OR (SELECT COUNT(*) FROM tasks WHERE project_id = ?3) < ${LIMITS.tasksPerProject})`;
  const owned = `EXISTS (SELECT 1 FROM tasks WHERE id = ?1 AND user_id = ?2)
    AND EXISTS (SELECT 1 FROM projects WHERE id = ?3 AND user_id = ?2) AND ${room}`;
  const atIndex = `(SELECT position FROM tasks WHERE project_id = ?3 AND user_id = ?2 AND id != ?1
    ORDER BY position, id LIMIT 1 OFFSET ?4)`;
  const index = target.index ?? LIMITS.tasksPerProject;
  const [, moved] = await db.batch<TaskRow>([
    db
      .prepare(
        `UPDATE tasks SET position = position + 1
         WHERE project_id = ?3 AND user_id = ?2 AND id != ?1 AND position >= ${atIndex} AND ${owned}`,
      )
      .bind(id, userId, target.projectId, index),
    db
      .prepare(
        `UPDATE tasks SET project_id = ?3, updated_at = ?5, position = COALESCE(${atIndex} - 1,
           (SELECT COALESCE(MAX(position), 0) FROM tasks WHERE project_id = ?3 AND id != ?1) + 1)
         WHERE id = ?1 AND user_id = ?2 AND EXISTS (SELECT 1 FROM projects WHERE id = ?3 AND user_id = ?2)
           AND ${room}
         RETURNING ${COLUMNS}`,
      )
      .bind(id, userId, target.projectId, index, now),
  ]);
  const row = moved?.results[0];
  if (row) return { task: toTask(row) };
  const found = await db
    .prepare(
      `SELECT 1 AS found FROM tasks t, projects p
       WHERE t.id = ?1 AND t.user_id = ?2 AND p.id = ?3 AND p.user_id = ?2`,
    )
    .bind(id, userId, target.projectId)
    .first();
  return { error: found ? 'limit_reached' : 'not_found' };
}

export async function deleteTask(db: D1Database, userId: string, id: string): Promise<boolean> {
  const row = await db
    .prepare('DELETE FROM tasks WHERE id = ? AND user_id = ? RETURNING id')
    .bind(id, userId)
    .first();
  return row !== null;
}

/** Case-insensitive (ASCII) substring search in the text and notes of all the user's tasks. */
export async function searchTasks(
  db: D1Database,
  userId: string,
  query: { text: string; status: TaskStatus; limit: number },
): Promise<Task[]> {
  const pattern = `%${query.text.replace(/[\\%_]/g, '\\$&')}%`;
  const status = query.status === 'all' ? '' : ` AND done = ${query.status === 'done' ? 1 : 0}`;
  const { results } = await db
    .prepare(
      `SELECT ${COLUMNS} FROM tasks
       WHERE user_id = ?1 AND (text LIKE ?2 ESCAPE '\\' OR notes LIKE ?2 ESCAPE '\\')${status}
       ORDER BY updated_at DESC, id LIMIT ?3`,
    )
    .bind(userId, pattern, query.limit)
    .all<TaskRow>();
  return results.map(toTask);
}
