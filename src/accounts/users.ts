import { newId } from '../tokens/secrets';
import { andGuard, type BatchGuard } from './batch-guard';

/** A person's account as the rest of the code sees it (never the password hash). */
export interface User {
  id: string;
  email: string;
  emailVerified: boolean;
  createdAt: number;
  passwordChangedAt: number;
}

interface UserRow {
  id: string;
  email: string;
  email_verified_at: number | null;
  created_at: number;
  password_changed_at: number;
  password_hash: string;
}

const COLUMNS = 'id, email, email_verified_at, created_at, password_changed_at, password_hash';

function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    emailVerified: row.email_verified_at !== null,
    createdAt: row.created_at,
    passwordChangedAt: row.password_changed_at,
  };
}

export const MAX_EMAIL_LENGTH = 254;

/**
 * Trims, NFC-normalises and lower-cases an email, and checks it has the shape `local@domain.tld`.
 * Returns undefined for anything that is not plausibly an address. It does not check deliverability.
 */
export function normalizeEmail(input: string): string | undefined {
  const email = input.trim().normalize('NFC').toLowerCase();
  if (email.length < 3 || email.length > MAX_EMAIL_LENGTH) return undefined;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\s\u0000-\u001f\u007f<>()[\]\\,;:"]/.test(email)) return undefined;
  const at = email.lastIndexOf('@');
  if (at < 1 || at !== email.indexOf('@')) return undefined;
  const domain = email.slice(at + 1);
  if (!/^[^.]+(\.[^.]+)+$/.test(domain)) return undefined;
  return email;
}

export async function findUserByEmail(
  db: D1Database,
  normalized: string,
): Promise<(User & { passwordHash: string }) | null> {
  const row = await db
    .prepare(`SELECT ${COLUMNS} FROM users WHERE email_normalized = ?`)
    .bind(normalized)
    .first<UserRow>();
  return row ? { ...toUser(row), passwordHash: row.password_hash } : null;
}

export async function findUserById(db: D1Database, id: string): Promise<User | null> {
  const row = await db.prepare(`SELECT ${COLUMNS} FROM users WHERE id = ?`).bind(id).first<UserRow>();
  return row ? toUser(row) : null;
}

/** Inserts a user; returns null when the email is taken (the UNIQUE index decides, not a prior read). */
export async function insertUser(
  db: D1Database,
  email: string,
  passwordHash: string,
  now: number,
): Promise<User | null> {
  const id = newId('usr_');
  const row = await db
    .prepare(
      `INSERT INTO users (id, email, email_normalized, password_hash, email_verified_at, password_changed_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, NULL, ?, ?, ?)
       ON CONFLICT(email_normalized) DO NOTHING
       RETURNING ${COLUMNS}`,
    )
    .bind(id, email, email, passwordHash, now, now, now)
    .first<UserRow>();
  return row ? toUser(row) : null;
}

/**
 * Marks the address verified, only while the account still has that address; with a `guard`, only
 * if the guard holds when its batch runs.
 */
export function markEmailVerifiedStatement(
  db: D1Database,
  userId: string,
  email: string,
  now: number,
  guard?: BatchGuard,
): D1PreparedStatement {
  const g = andGuard(guard);
  return db
    .prepare(
      `UPDATE users SET email_verified_at = COALESCE(email_verified_at, ?), updated_at = ?
       WHERE id = ? AND email_normalized = ?${g.sql}`,
    )
    .bind(now, now, userId, email, ...g.args);
}

/** Replaces the password hash; with a `guard`, only if the guard holds when its batch runs. */
export function setPasswordStatement(
  db: D1Database,
  userId: string,
  passwordHash: string,
  now: number,
  guard?: BatchGuard,
): D1PreparedStatement {
  const g = andGuard(guard);
  return db
    .prepare(
      `UPDATE users SET password_hash = ?, password_changed_at = ?, updated_at = ? WHERE id = ?${g.sql}`,
    )
    .bind(passwordHash, now, now, userId, ...g.args);
}

/**
 * `password_hash` of an account created through a sign-in provider: matches no password (it is not
 * a `pbkdf2-sha256$…` string), so the account signs in only through its identities until a reset
 * link sets a password.
 */
const NO_PASSWORD = '';

/**
 * Inserts an account without a password, as a statement for a batch (its identity goes in the same
 * batch). Nothing is inserted when the email is taken; the UNIQUE index decides.
 */
export function insertUserWithoutPasswordStatement(
  db: D1Database,
  id: string,
  email: string,
  emailVerified: boolean,
  now: number,
): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO users (id, email, email_normalized, password_hash, email_verified_at, password_changed_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(email_normalized) DO NOTHING
       RETURNING id`,
    )
    .bind(id, email, email, NO_PASSWORD, emailVerified ? now : null, now, now, now);
}

/** Whether the account has a password (accounts created through a provider may not). */
export async function userHasPassword(db: D1Database, userId: string): Promise<boolean> {
  const row = await db
    .prepare('SELECT password_hash <> ? AS has FROM users WHERE id = ?')
    .bind(NO_PASSWORD, userId)
    .first<{ has: number }>();
  return row?.has === 1;
}

/** The SQL condition "this account has a password", for guards in other tables' statements. */
export const HAS_PASSWORD_SQL = `EXISTS (SELECT 1 FROM users WHERE id = ? AND password_hash <> '${NO_PASSWORD}')`;
