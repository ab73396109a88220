import type { Config } from '../config';
import { ConfigError } from '../config-error';
import { log } from '../http/log';
import { checkCatalog, parseUpstreamEntry, type Upstream, upstreamSecretName } from './upstreams';
import { open, seal, type Vault } from './vault';

/**
 * The whole catalog: the upstreams in `GATEHOUSE_UPSTREAMS` plus those added on the admin page
 * (`admin_upstreams`, the one owner of that table). Configuration wins: an admin entry cannot take a
 * configured id or prefix. Admin entries are re-validated every time they are read, exactly as the
 * configuration is, and one that no longer validates (the rules tightened) is left out and logged,
 * never served half-checked. Read once per isolate per {@link CATALOG_TTL_MS}; a change made in this
 * isolate is seen at once, one made elsewhere within that time.
 */

export const CATALOG_TTL_MS = 30_000;
const SECRET_BINDING = '#catalog';

interface AdminRow {
  id: string;
  entry: string;
  secret: string | null;
  created_at: number;
  updated_at: number;
}

let memo: { at: number; config: Config; upstreams: Promise<readonly Upstream[]> } | undefined;

/** Forgets the memo (after an admin change in this isolate). */
export function invalidateCatalog(): void {
  memo = undefined;
}

async function adminUpstreams(db: D1Database, config: Config, vault: Vault | undefined): Promise<Upstream[]> {
  const { results } = await db
    .prepare('SELECT id, entry, secret, created_at, updated_at FROM admin_upstreams ORDER BY created_at, id')
    .all<AdminRow>();
  const out: Upstream[] = [];
  for (const row of results) {
    try {
      const secret =
        row.secret && vault
          ? await open(vault, { userId: SECRET_BINDING, upstreamId: row.id }, row.secret)
          : undefined;
      const upstream = parseUpstreamEntry(
        JSON.parse(row.entry),
        `admin upstream "${row.id}"`,
        {
          allowHttpLoopback: config.upstreamAllowHttpLoopback,
          secret: (name) =>
            name === upstreamSecretName(row.id, 'API_KEY') ||
            name === upstreamSecretName(row.id, 'CLIENT_SECRET')
              ? secret
              : undefined,
        },
        'admin',
      );
      checkCatalog([...config.upstreams, ...out, upstream], (u) => `admin upstream "${u.id}"`);
      out.push(upstream);
    } catch (err) {
      log('error', 'gateway.catalog_entry_skipped', {
        upstream: row.id,
        reason: err instanceof Error ? err.message : 'unreadable',
      });
    }
  }
  return out;
}

/** Every upstream, configured first. */
export function loadCatalog(
  db: D1Database,
  config: Config,
  vault: Vault | undefined,
  nowMs: number,
): Promise<readonly Upstream[]> {
  // Without operators there is no admin page, so nothing can have been added: no query at all.
  if (config.adminEmails.length === 0) return Promise.resolve(config.upstreams);
  if (memo && memo.config === config && nowMs - memo.at < CATALOG_TTL_MS) return memo.upstreams;
  const upstreams = adminUpstreams(db, config, vault).then((admin) =>
    Object.freeze([...config.upstreams, ...admin]),
  );
  memo = { at: nowMs, config, upstreams };
  upstreams.catch(() => {
    if (memo?.upstreams === upstreams) memo = undefined;
  });
  return upstreams;
}

export interface AdminUpstreamInput {
  /** The catalog entry as the var would hold it (`id`, `name`, `url`, `prefix`, `timeout_ms`, `auth`). */
  readonly entry: Record<string, unknown>;
  /** The operator's client secret (`oauth`) or shared key (`api_key_shared`), if any. */
  readonly secret: string | undefined;
}

/**
 * Validates an entry from the admin page against the same rules as the configuration and against the
 * current catalog; throws {@link ConfigError} with a sentence for the form.
 */
export async function addAdminUpstream(
  db: D1Database,
  config: Config,
  vault: Vault,
  input: AdminUpstreamInput,
  createdBy: string,
  now: number,
): Promise<Upstream> {
  const id = typeof input.entry.id === 'string' ? input.entry.id : '';
  const upstream = parseUpstreamEntry(
    input.entry,
    'This server',
    {
      allowHttpLoopback: config.upstreamAllowHttpLoopback,
      secret: () => input.secret || undefined,
    },
    'admin',
  );
  const current = await loadCatalog(db, config, vault, Date.now());
  checkCatalog([...current, upstream], () => 'This server');
  const sealed = input.secret
    ? await seal(vault, { userId: SECRET_BINDING, upstreamId: id }, input.secret)
    : null;
  const result = await db
    .prepare(
      'INSERT INTO admin_upstreams (id, entry, secret, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
    )
    .bind(upstream.id, JSON.stringify(input.entry), sealed, createdBy, now, now)
    .run();
  invalidateCatalog();
  if ((result.meta.changes ?? 0) === 0) throw new ConfigError('This server: id is used twice');
  return upstream;
}

/** Removes an admin-added upstream; configured ones can only be removed from the configuration. */
export async function removeAdminUpstream(db: D1Database, id: string): Promise<boolean> {
  const result = await db.prepare('DELETE FROM admin_upstreams WHERE id = ?').bind(id).run();
  invalidateCatalog();
  return (result.meta.changes ?? 0) > 0;
}
