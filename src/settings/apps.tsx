import { Hono } from 'hono';
import { auditMetaOf, auditStatement } from '../accounts/audit';
import type { SessionState } from '../accounts/sessions';
import { type FormBody, readForm, readJsonObject } from '../http/body';
import type { AppContext, AppEnv } from '../http/context';
import { nowSeconds, publicOrigin } from '../http/context';
import { csrfToken, requireCsrf, requireCsrfHeader } from '../http/csrf';
import { AppError } from '../http/errors';
import {
  type AppKind,
  createApp,
  deleteApp,
  findOwnedApp,
  listOwnedApps,
  MAX_APPS_PER_USER,
  MAX_REDIRECT_URIS,
  rotateAppSecret,
  updateApp,
} from '../oauth/apps';
import type { OAuthClient } from '../oauth/clients';
import { type GrantSummary, listActiveGrants, revokeGrant } from '../oauth/grant-store';
import { parseRedirectUri, RedirectUriError } from '../oauth/redirect-uri';
import { AppsPage, type AppsPageProps, type CreatedApp } from '../ui/apps-page';
import { requireSession, sessionOrRedirect } from './require-session';

const BODY_LIMIT = 16 * 1024;
const MAX_NAME = 100;

/** Validates an app's name and redirect URIs with the same rules as dynamic registration. */
function parseAppInput(name: unknown, redirectUris: unknown): { name: string; redirectUris: string[] } {
  if (typeof name !== 'string' || name.trim().length === 0) {
    throw new AppError('validation_failed', 'Give the app a name.', { details: { field: 'name' } });
  }
  const trimmed = name.trim();
  // biome-ignore lint/suspicious/noControlCharactersInRegex: names must be printable
  if (trimmed.length > MAX_NAME || /[\u0000-\u001f\u007f]/.test(trimmed)) {
    throw new AppError('validation_failed', `Use at most ${MAX_NAME} printable characters for the name.`, {
      details: { field: 'name' },
    });
  }
  const list =
    typeof redirectUris === 'string'
      ? redirectUris
          .split(/\r?\n/)
          .map((s) => s.trim())
          .filter(Boolean)
      : Array.isArray(redirectUris)
        ? redirectUris
        : [];
  if (list.length === 0 || list.length > MAX_REDIRECT_URIS) {
    throw new AppError('validation_failed', `Give between 1 and ${MAX_REDIRECT_URIS} redirect URIs.`, {
      details: { field: 'redirect_uris' },
    });
  }
  const uris: string[] = [];
  for (const uri of list) {
    try {
      uris.push(parseRedirectUri(uri));
    } catch (err) {
      if (!(err instanceof RedirectUriError)) throw err;
      throw new AppError(
        'validation_failed',
        'Each redirect URI must be https, http on localhost, or an app scheme, without a fragment.',
        { details: { field: 'redirect_uris', problem: err.problem } },
      );
    }
  }
  return { name: trimmed, redirectUris: [...new Set(uris)] };
}

function parseKind(value: unknown): AppKind {
  if (value === 'public' || value === 'confidential') return value;
  throw new AppError('validation_failed', 'Choose confidential or public.', { details: { field: 'kind' } });
}

function appToWire(app: OAuthClient) {
  return {
    client_id: app.clientId,
    client_name: app.clientName,
    redirect_uris: app.redirectUris,
    type: app.tokenEndpointAuthMethod === 'none' ? 'public' : 'confidential',
    token_endpoint_auth_method: app.tokenEndpointAuthMethod,
    created_at: new Date(app.createdAt * 1000).toISOString(),
  };
}

function grantToWire(g: GrantSummary) {
  const iso = (s: number | null) => (s === null ? null : new Date(s * 1000).toISOString());
  return {
    id: g.grantId,
    client_id: g.clientId,
    client_name: g.clientName,
    type: g.registrationType,
    redirect_uri: g.redirectUri,
    scope: g.scope,
    created_at: iso(g.createdAt),
    first_used_at: iso(g.firstUsedAt),
    last_used_at: iso(g.lastUsedAt),
  };
}

/** The operations, shared by the page and the JSON API; every one is scoped to the session's person. */
const ops = {
  async create(
    c: AppContext,
    s: SessionState,
    input: { name: string; redirectUris: string[]; kind: AppKind },
  ) {
    // The consent page names the app's owner by email: that must be an address someone proved.
    if (!s.user.emailVerified) {
      throw new AppError('email_not_verified', 'Confirm your email address before registering an app.');
    }
    const result = await createApp(c.env.DB, s.user.id, input, nowSeconds(c));
    if (result === 'limit_reached') {
      throw new AppError('limit_reached', `You can register at most ${MAX_APPS_PER_USER} apps.`);
    }
    await auditStatement(c.env.DB, s.user.id, 'app_created', auditMetaOf(c), {
      client_id: result.client.clientId,
    }).run();
    return result;
  },
  async update(
    c: AppContext,
    s: SessionState,
    clientId: string,
    input: { name: string; redirectUris: string[] },
  ) {
    if (!(await updateApp(c.env.DB, s.user.id, clientId, input, nowSeconds(c)))) {
      throw new AppError('not_found', 'There is no such app.');
    }
    await auditStatement(c.env.DB, s.user.id, 'app_updated', auditMetaOf(c), { client_id: clientId }).run();
  },
  async rotate(c: AppContext, s: SessionState, clientId: string) {
    const secret = await rotateAppSecret(c.env.DB, s.user.id, clientId, nowSeconds(c));
    if (!secret) throw new AppError('not_found', 'There is no such confidential app.');
    await auditStatement(c.env.DB, s.user.id, 'app_secret_rotated', auditMetaOf(c), {
      client_id: clientId,
    }).run();
    return secret;
  },
  async remove(c: AppContext, s: SessionState, clientId: string) {
    const ttl = c.var.config.accessTokenTtlSeconds;
    if (!(await deleteApp(c.env.DB, c.env.CACHE, s.user.id, clientId, ttl))) {
      throw new AppError('not_found', 'There is no such app.');
    }
    await auditStatement(c.env.DB, s.user.id, 'app_deleted', auditMetaOf(c), { client_id: clientId }).run();
  },
  async disconnect(c: AppContext, s: SessionState, grantId: string) {
    const grants = await listActiveGrants(c.env.DB, s.user.id);
    const grant = grants.find((g) => g.grantId === grantId);
    if (!grant) throw new AppError('not_found', 'There is no such connected app.');
    await revokeGrant(c.env.DB, c.env.CACHE, grantId, {
      now: nowSeconds(c),
      accessTokenTtlSeconds: c.var.config.accessTokenTtlSeconds,
      userId: s.user.id,
    });
    await auditStatement(c.env.DB, s.user.id, 'app_revoked', auditMetaOf(c), {
      client_id: grant.clientId,
      client_name: grant.clientName.slice(0, 100),
    }).run();
  },
};

/** `/settings/apps` (OAuth apps a person registers + connected apps) and its JSON API. */
export function appsRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  async function render(
    c: AppContext,
    s: SessionState,
    extra: Partial<Pick<AppsPageProps, 'created' | 'error' | 'notice' | 'form'>> = {},
    status: 200 | 201 | 400 | 403 | 404 | 409 = 200,
  ) {
    c.header('Cache-Control', 'no-store');
    const [apps, grants] = await Promise.all([
      listOwnedApps(c.env.DB, s.user.id),
      listActiveGrants(c.env.DB, s.user.id),
    ]);
    return c.html(
      <AppsPage
        serviceName={c.var.config.serviceName}
        csrfToken={await csrfToken(c)}
        user={s.user}
        origin={publicOrigin(c)}
        apps={apps}
        grants={grants}
        {...extra}
      />,
      status,
    );
  }

  /** Runs a page action; expected failures re-render the page with the message. */
  async function pageAction(
    c: AppContext,
    action: (
      s: SessionState,
      form: FormBody,
    ) => Promise<Response | { created?: CreatedApp; notice?: string }>,
  ) {
    const s = await sessionOrRedirect(c);
    if (s instanceof Response) return s;
    const form = await readForm(c.req.raw, BODY_LIMIT);
    await requireCsrf(c, form);
    try {
      if (form.duplicated.length > 0)
        throw new AppError('validation_failed', 'Each field may be sent only once.');
      const result = await action(s, form);
      if (result instanceof Response) return result;
      return render(c, s, result, result.created && !result.created.rotated ? 201 : 200);
    } catch (err) {
      if (err instanceof AppError && err.status < 500) {
        const formValues = {
          name: (form.get('name') ?? '').slice(0, MAX_NAME),
          redirectUris: (form.get('redirect_uris') ?? '').slice(0, 4000),
          kind: form.get('kind') ?? 'confidential',
        };
        return render(c, s, { error: err.message, form: formValues }, err.status as 400 | 403 | 404 | 409);
      }
      throw err;
    }
  }

  app.get('/settings/apps', async (c) => {
    const s = await sessionOrRedirect(c);
    if (s instanceof Response) return s;
    const notice = c.req.query('notice');
    const notices: Record<string, string> = {
      disconnected: 'The app was disconnected.',
      deleted: 'The app was deleted and every connection to it ended.',
      saved: 'Your changes were saved.',
    };
    return render(c, s, { notice: notice ? notices[notice] : undefined });
  });

  app.post('/settings/apps', (c) =>
    pageAction(c, async (s, form) => {
      const input = parseAppInput(form.get('name'), form.get('redirect_uris') ?? '');
      const created = await ops.create(c, s, {
        ...input,
        kind: parseKind(form.get('kind') ?? 'confidential'),
      });
      return { created };
    }),
  );

  app.post('/settings/apps/grants/:grantId/revoke', (c) =>
    pageAction(c, async (s) => {
      await ops.disconnect(c, s, c.req.param('grantId'));
      return c.redirect('/settings/apps?notice=disconnected', 303);
    }),
  );

  app.post('/settings/apps/:clientId', (c) =>
    pageAction(c, async (s, form) => {
      await ops.update(
        c,
        s,
        c.req.param('clientId'),
        parseAppInput(form.get('name'), form.get('redirect_uris') ?? ''),
      );
      return c.redirect('/settings/apps?notice=saved', 303);
    }),
  );

  app.post('/settings/apps/:clientId/rotate-secret', (c) =>
    pageAction(c, async (s) => {
      const clientId = c.req.param('clientId');
      const secret = await ops.rotate(c, s, clientId);
      const client = await findOwnedApp(c.env.DB, s.user.id, clientId);
      if (!client) throw new AppError('not_found', 'There is no such app.');
      return { created: { client, clientSecret: secret, rotated: true } };
    }),
  );

  app.post('/settings/apps/:clientId/delete', (c) =>
    pageAction(c, async (s) => {
      await ops.remove(c, s, c.req.param('clientId'));
      return c.redirect('/settings/apps?notice=deleted', 303);
    }),
  );

  // JSON API for a signed-in session (X-CSRF-Token on writes). Bearer tokens are refused here: apps and
  // grants are managed by the person, not by a token.
  for (const path of ['/api/v1/me/apps', '/api/v1/me/apps/*', '/api/v1/me/grants', '/api/v1/me/grants/*']) {
    app.use(path, async function sessionOnly(c, next) {
      if (c.req.header('authorization')) {
        throw new AppError(
          'forbidden',
          'Apps and connected apps are managed with a signed-in session, not a Bearer token.',
        );
      }
      await next();
    });
  }
  const noStore = { 'Cache-Control': 'no-store' };

  app.get('/api/v1/me/apps', async (c) => {
    const s = await requireSession(c);
    return c.json(
      { ok: true, apps: (await listOwnedApps(c.env.DB, s.user.id)).map(appToWire) },
      200,
      noStore,
    );
  });

  app.post('/api/v1/me/apps', async (c) => {
    const s = await requireSession(c);
    await requireCsrfHeader(c);
    const body = await readJsonObject(c.req.raw, BODY_LIMIT);
    const input = parseAppInput(body.client_name, body.redirect_uris);
    const { client, clientSecret } = await ops.create(c, s, {
      ...input,
      kind: parseKind(body.type ?? 'confidential'),
    });
    return c.json({ ok: true, app: appToWire(client), client_secret: clientSecret ?? null }, 201, noStore);
  });

  app.patch('/api/v1/me/apps/:clientId', async (c) => {
    const s = await requireSession(c);
    await requireCsrfHeader(c);
    const body = await readJsonObject(c.req.raw, BODY_LIMIT);
    const clientId = c.req.param('clientId');
    const current = await findOwnedApp(c.env.DB, s.user.id, clientId);
    if (!current) throw new AppError('not_found', 'There is no such app.');
    const input = parseAppInput(
      body.client_name ?? current.clientName,
      body.redirect_uris ?? current.redirectUris,
    );
    await ops.update(c, s, clientId, input);
    const updated = await findOwnedApp(c.env.DB, s.user.id, clientId);
    return c.json({ ok: true, app: updated ? appToWire(updated) : null }, 200, noStore);
  });

  app.post('/api/v1/me/apps/:clientId/rotate-secret', async (c) => {
    const s = await requireSession(c);
    await requireCsrfHeader(c);
    const secret = await ops.rotate(c, s, c.req.param('clientId'));
    return c.json({ ok: true, client_secret: secret }, 200, noStore);
  });

  app.delete('/api/v1/me/apps/:clientId', async (c) => {
    const s = await requireSession(c);
    await requireCsrfHeader(c);
    await ops.remove(c, s, c.req.param('clientId'));
    return c.json({ ok: true }, 200, noStore);
  });

  app.get('/api/v1/me/grants', async (c) => {
    const s = await requireSession(c);
    return c.json(
      { ok: true, grants: (await listActiveGrants(c.env.DB, s.user.id)).map(grantToWire) },
      200,
      noStore,
    );
  });

  app.delete('/api/v1/me/grants/:grantId', async (c) => {
    const s = await requireSession(c);
    await requireCsrfHeader(c);
    await ops.disconnect(c, s, c.req.param('grantId'));
    return c.json({ ok: true }, 200, noStore);
  });

  return app;
}
