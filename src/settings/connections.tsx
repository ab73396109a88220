import { Hono } from 'hono';
import { z } from 'zod';
import { auditMetaOf, auditStatement } from '../accounts/audit';
import type { SessionState } from '../accounts/sessions';
import { listConnections } from '../gateway/connection-store';
import { connectWithApiKey, connectWithOAuth, disconnect, needsConnection } from '../gateway/connections';
import {
  beginAuthorization,
  clientMetadataDocument,
  finishAuthorization,
  UpstreamAuthError,
  upstreamAuthMessage,
} from '../gateway/upstream-oauth';
import type { Upstream } from '../gateway/upstreams';
import { readForm } from '../http/body';
import { type AppContext, type AppEnv, publicOrigin } from '../http/context';
import { csrfToken, requireCsrf } from '../http/csrf';
import { AppError } from '../http/errors';
import { describeError, log } from '../http/log';
import { safeReturnTo } from '../http/return-to';
import { ConnectionsPage, ConnectPage } from '../ui/connections-page';
import { catalogOf, oauthClientEnv } from './gateway-context';
import { sessionOrRedirect } from './require-session';

const FORM_LIMIT = 8 * 1024;

// biome-ignore lint/suspicious/noControlCharactersInRegex: a key is sent as a header value, so none may appear
const PRINTABLE = /^[^\u0000-\u001f\u007f]+$/;
const apiKeySchema = z
  .string()
  .trim()
  .min(8, 'That key looks too short.')
  .max(4096)
  .regex(PRINTABLE, 'A key cannot contain control characters.');

async function upstreamOr404(c: AppContext, id: string): Promise<Upstream> {
  const upstream = (await catalogOf(c)).find((u) => u.id === id);
  if (!upstream) throw new AppError('not_found', 'There is no such server.');
  return upstream;
}

const NOTICES: Record<string, string> = {
  connected: 'Connected.',
  disconnected: 'Disconnected. Your credential was deleted and, where the server allows it, revoked there.',
};

/**
 * `/settings/connections`: each person's connections to the upstream MCP servers, the OAuth callback
 * Gatehouse uses as a client of those servers, and the client ID metadata document it identifies
 * itself with there.
 */
export function connectionRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  async function renderList(
    c: AppContext,
    session: SessionState,
    extra: { error?: string; notice?: string } = {},
    status: 200 | 400 | 502 = 200,
  ) {
    c.header('Cache-Control', 'no-store');
    const connections = await listConnections(c.env.DB, session.user.id);
    const views = (await catalogOf(c)).map((upstream) => ({
      upstream,
      connection: connections.find((x) => x.upstreamId === upstream.id) ?? null,
    }));
    return c.html(
      <ConnectionsPage
        serviceName={c.var.config.serviceName}
        csrfToken={await csrfToken(c)}
        user={session.user}
        views={views}
        mcpUrl={`${publicOrigin(c)}/mcp`}
        {...extra}
      />,
      status,
    );
  }

  async function renderConnect(
    c: AppContext,
    session: SessionState,
    upstream: Upstream,
    returnTo: string,
    extra: { error?: string; notice?: string } = {},
    status: 200 | 400 | 502 = 200,
  ) {
    c.header('Cache-Control', 'no-store');
    const connection =
      (await listConnections(c.env.DB, session.user.id)).find((x) => x.upstreamId === upstream.id) ?? null;
    return c.html(
      <ConnectPage
        serviceName={c.var.config.serviceName}
        csrfToken={await csrfToken(c)}
        user={session.user}
        upstream={upstream}
        connection={connection}
        returnTo={returnTo}
        {...extra}
      />,
      status,
    );
  }

  app.get('/gateway/client-metadata.json', (c) => {
    const doc = clientMetadataDocument(publicOrigin(c), c.get('config').serviceName);
    return c.json(doc, 200, { 'Cache-Control': 'public, max-age=3600' });
  });

  app.get('/settings/connections', async (c) => {
    const session = await sessionOrRedirect(c);
    if (session instanceof Response) return session;
    return renderList(c, session, { notice: NOTICES[c.req.query('notice') ?? ''] });
  });

  app.get('/settings/connections/callback', async (c) => {
    const session = await sessionOrRedirect(c);
    if (session instanceof Response) return session;
    const env = await oauthClientEnv(c);
    const catalog = await catalogOf(c);
    try {
      const done = await finishAuthorization(
        env,
        catalog,
        { userId: session.user.id, sessionHash: session.idHash },
        new URL(c.req.url),
      );
      const upstream = await upstreamOr404(c, done.upstreamId);
      await connectWithOAuth(env, upstream, session.user.id, done.credential, null);
      await auditStatement(c.env.DB, session.user.id, 'upstream_connected', auditMetaOf(c), {
        upstream: upstream.name,
      }).run();
      const back = safeReturnTo(done.returnTo);
      return c.redirect(back === '/' ? `/settings/connections/${upstream.id}?notice=connected` : back, 303);
    } catch (err) {
      if (err instanceof UpstreamAuthError) {
        log('warn', 'gateway.connect_failed', { failure: err.failure, ...describeError(err.cause) });
        const placeholder = { name: 'the server' } as Upstream;
        return renderList(c, session, { error: upstreamAuthMessage(err.failure, placeholder) }, 400);
      }
      throw err;
    }
  });

  app.get('/settings/connections/:id', async (c) => {
    const session = await sessionOrRedirect(c);
    if (session instanceof Response) return session;
    const upstream = await upstreamOr404(c, c.req.param('id'));
    return renderConnect(c, session, upstream, safeReturnTo(c.req.query('return_to')), {
      notice: NOTICES[c.req.query('notice') ?? ''],
    });
  });

  app.post('/settings/connections/:id/connect', async (c) => {
    const session = await sessionOrRedirect(c);
    if (session instanceof Response) return session;
    const form = await readForm(c.req.raw, FORM_LIMIT);
    await requireCsrf(c, form);
    const upstream = await upstreamOr404(c, c.req.param('id'));
    const returnTo = safeReturnTo(form.get('return_to'));
    if (!needsConnection(upstream)) return c.redirect('/settings/connections', 303);
    const env = await oauthClientEnv(c);
    if (upstream.auth.type === 'api_key_per_user') {
      const parsed = apiKeySchema.safeParse(form.get('api_key') ?? '');
      if (!parsed.success || form.duplicated.length > 0) {
        return renderConnect(
          c,
          session,
          upstream,
          returnTo,
          { error: parsed.error?.issues[0]?.message ?? 'Each field may be sent only once.' },
          400,
        );
      }
      await connectWithApiKey(env, upstream, session.user.id, parsed.data);
      await auditStatement(c.env.DB, session.user.id, 'upstream_connected', auditMetaOf(c), {
        upstream: upstream.name,
      }).run();
      return c.redirect(`/settings/connections/${upstream.id}?notice=connected`, 303);
    }
    try {
      const url = await beginAuthorization(
        env,
        upstream,
        { userId: session.user.id, sessionHash: session.idHash },
        returnTo,
      );
      return c.redirect(url, 303);
    } catch (err) {
      if (err instanceof UpstreamAuthError) {
        log('warn', 'gateway.connect_failed', {
          upstream: upstream.id,
          failure: err.failure,
          ...describeError(err.cause),
        });
        return renderConnect(
          c,
          session,
          upstream,
          returnTo,
          { error: upstreamAuthMessage(err.failure, upstream) },
          502,
        );
      }
      throw err;
    }
  });

  app.post('/settings/connections/:id/disconnect', async (c) => {
    const session = await sessionOrRedirect(c);
    if (session instanceof Response) return session;
    const form = await readForm(c.req.raw, FORM_LIMIT);
    await requireCsrf(c, form);
    const upstream = await upstreamOr404(c, c.req.param('id'));
    const removed = await disconnect(await oauthClientEnv(c), upstream, session.user.id);
    if (!removed) return renderList(c, session, { error: `${upstream.name} was not connected.` }, 400);
    await auditStatement(c.env.DB, session.user.id, 'upstream_disconnected', auditMetaOf(c), {
      upstream: upstream.name,
    }).run();
    return c.redirect('/settings/connections?notice=disconnected', 303);
  });

  return app;
}
