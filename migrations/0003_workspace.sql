-- The workspace behind every surface: projects and their tasks, owned by one user.
-- Ids are unguessable (128 random bits). Times are Unix epoch seconds. Every query filters on
-- user_id, so a row can only ever be reached by its owner.

CREATE TABLE projects (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
-- listMyProjects: newest first, keyset pagination on (created_at, id).
CREATE INDEX projects_user_created ON projects(user_id, created_at DESC, id DESC);

CREATE TABLE tasks (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  text TEXT NOT NULL,
  notes TEXT NOT NULL DEFAULT '',
  done INTEGER NOT NULL DEFAULT 0 CHECK (done IN (0, 1)),
  done_at INTEGER,
  due_date TEXT,
  position INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
-- listTasks without a filter: a project's tasks in order, keyset pagination on (position, id).
CREATE INDEX tasks_project_position ON tasks(project_id, position, id);
-- listTasks filtered to open or done tasks.
CREATE INDEX tasks_project_done_position ON tasks(project_id, done, position, id);
-- searchTasks: the user's tasks, most recently changed first.
CREATE INDEX tasks_user_updated ON tasks(user_id, updated_at DESC, id);
