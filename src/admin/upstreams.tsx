import { Hono } from 'hono';
import { auditMetaOf, auditStatement } from '../accounts/audit';
import type { SessionState } from '../accounts/sessions';
import { ConfigError } from '../config-error';
import { addAdminUpstream, removeAdminUpstream } from '../gateway/catalog';
import { countConnectionsByUpstream } from '../gateway/connection-store';
import { disconnectEveryone } from '../gateway/connections';
import { vaultFor } from '../gateway/vault';
import { readForm } from '../http/body';
import { type AppContext, type AppEnv, nowSeconds } from '../http/context';
import { csrfToken, requireCsrf } from '../http/csrf';
import { AppError } from '../http/errors';
import { catalogOf, oauthClientEnv } from '../settings/gateway-context';
import { AdminUpstreamsPage } from '../ui/admin-upstreams-page';
import { adminOrRedirect } from './require-admin';

const FORM_LIMIT = 16 * 1024;
const FIELDS = [
  'id',
  'name',
  'url',
  'prefix',
  'auth_type',
  'header',
  'scheme',
  'client_id',
  'timeout_seconds',
] as const;

/** The form as a catalog entry, shaped exactly like one in `GATEHOUSE_UPSTREAMS`, so one schema checks both. */
function entryFrom(values: Record<string, string>): Record<string, unknown> {
  const type = values.auth_type ?? 'none';
  const auth: Record<string, unknown> = { type };
  if (type === 'oauth' && values.client_id) auth.client_id = values.client_id;
  if (type === 'api_key_per_user' || type === 'api_key_shared') {
    if (values.header) auth.header = values.header;
    if (values.scheme) auth.scheme = values.scheme;
  }
  const entry: Record<string, unknown> = {
    id: values.id ?? '',
    name: values.name ?? '',
    url: values.url ?? '',
    prefix: values.prefix ?? '',
    auth,
  };
  if (values.timeout_seconds) {
    const seconds = Number(values.timeout_seconds);
    entry.timeout_ms = Number.isFinite(seconds) ? Math.round(seconds * 1000) : -1;
  }
  return entry;
}

/** `/admin/upstreams`: the operator's view of the catalog, adding and removing servers. */
export function adminUpstreamRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  async function render(
    c: AppContext,
    session: SessionState,
    extra: { error?: string; notice?: string; values?: Record<string, string> } = {},
    status: 200 | 400 = 200,
  ) {
    c.header('Cache-Control', 'no-store');
    return c.html(
      <AdminUpstreamsPage
        serviceName={c.var.config.serviceName}
        csrfToken={await csrfToken(c)}
        user={session.user}
        upstreams={await catalogOf(c)}
        connected={await countConnectionsByUpstream(c.env.DB)}
        {...extra}
      />,
      status,
    );
  }

  app.get('/admin/upstreams', async (c) => {
    const session = await adminOrRedirect(c);
    if (session instanceof Response) return session;
    const notice = c.req.query('notice');
    return render(c, session, {
      notice:
        notice === 'added'
          ? 'The server was added.'
          : notice === 'removed'
            ? 'The server was removed and every connection to it revoked.'
            : undefined,
    });
  });

  app.post('/admin/upstreams', async (c) => {
    const session = await adminOrRedirect(c);
    if (session instanceof Response) return session;
    const form = await readForm(c.req.raw, FORM_LIMIT);
    await requireCsrf(c, form);
    const values: Record<string, string> = {};
    for (const field of FIELDS) values[field] = (form.get(field) ?? '').trim();
    if (form.duplicated.length > 0)
      return render(c, session, { error: 'Each field may be sent only once.', values }, 400);
    const config = c.get('config');
    if (config.vaultKeys.length === 0) {
      return render(
        c,
        session,
        { error: 'Set the VAULT_KEYS secret before adding servers here.', values },
        400,
      );
    }
    let added: { name: string; id: string };
    try {
      added = await addAdminUpstream(
        c.env.DB,
        config,
        await vaultFor(config.vaultKeys),
        { entry: entryFrom(values), secret: form.get('secret') || undefined },
        session.user.id,
        nowSeconds(c),
      );
    } catch (err) {
      if (err instanceof ConfigError) return render(c, session, { error: `${err.message}.`, values }, 400);
      throw err;
    }
    await auditStatement(c.env.DB, session.user.id, 'upstream_added', auditMetaOf(c), {
      upstream: added.id,
    }).run();
    return c.redirect('/admin/upstreams?notice=added', 303);
  });

  app.post('/admin/upstreams/:id/delete', async (c) => {
    const session = await adminOrRedirect(c);
    if (session instanceof Response) return session;
    const form = await readForm(c.req.raw, FORM_LIMIT);
    await requireCsrf(c, form);
    const upstream = (await catalogOf(c)).find((u) => u.id === c.req.param('id'));
    if (upstream?.source !== 'admin') {
      throw new AppError(
        'not_found',
        'There is no such server on this page (configured servers are changed in the configuration).',
      );
    }
    await removeAdminUpstream(c.env.DB, upstream.id);
    await disconnectEveryone(await oauthClientEnv(c), upstream);
    await auditStatement(c.env.DB, session.user.id, 'upstream_removed', auditMetaOf(c), {
      upstream: upstream.id,
    }).run();
    return c.redirect('/admin/upstreams?notice=removed', 303);
  });

  return app;
}
