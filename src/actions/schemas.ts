import { z } from 'zod';

/**
 * The shapes shared by the workspace actions: limits, id formats and the project and task records as
 * every surface returns them. Records are camelCase on every surface; times are ISO 8601 strings.
 */
export const LIMITS = {
  titleLength: 200,
  descriptionLength: 4000,
  taskTextLength: 500,
  notesLength: 10_000,
  queryLength: 200,
  pageSize: 100,
  defaultPageSize: 50,
  searchResults: 50,
  projectsPerUser: 1000,
  tasksPerProject: 5000,
} as const;

// An id is opaque to clients; the pattern only keeps junk out of SQL and logs.
const id = (what: string) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, `Not a valid ${what} id.`)
    .describe(`The ${what}'s id, as returned when it was created.`);

export const projectId = id('project');
export const taskId = id('task');

export const cursor = z
  .string()
  .max(512)
  .describe('Opaque cursor from the previous page’s nextCursor; omit for the first page.');

export const pageSize = z
  .number()
  .int()
  .min(1)
  .max(LIMITS.pageSize)
  .describe(`How many items to return (1–${LIMITS.pageSize}, default ${LIMITS.defaultPageSize}).`);

/** A single line of text: trimmed, no control characters. */
export function line(max: number) {
  return z
    .string()
    .trim()
    .min(1)
    .max(max)
    .regex(/^[^\p{Cc}]*$/u, 'Must not contain control characters.');
}

/** Free text: newlines and tabs allowed, other control characters not. */
export function text(max: number) {
  return z
    .string()
    .max(max)
    .regex(/^(?:[^\p{Cc}]|[\n\r\t])*$/u, 'Must not contain control characters other than newlines and tabs.');
}

export const dueDate = z.iso.date().describe('Due date as YYYY-MM-DD, or null for none.');

export const projectSchema = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Project = z.infer<typeof projectSchema>;

export const taskSchema = z.object({
  id: z.string(),
  projectId: z.string(),
  text: z.string(),
  notes: z.string(),
  done: z.boolean(),
  doneAt: z.string().nullable(),
  dueDate: z.string().nullable(),
  position: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Task = z.infer<typeof taskSchema>;

export function isoTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}
