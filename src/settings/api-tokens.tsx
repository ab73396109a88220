import { Hono } from 'hono';
import { z } from 'zod';
import { auditMetaOf, auditStatement } from '../accounts/audit';
import type { SessionState } from '../accounts/sessions';
import { readForm, readJsonObject } from '../http/body';
import type { AppContext, AppEnv } from '../http/context';
import { nowSeconds, publicOrigin } from '../http/context';
import { csrfToken, requireCsrf, requireCsrfHeader } from '../http/csrf';
import { AppError } from '../http/errors';
import {
  createPersonalAccessToken,
  listPersonalAccessTokens,
  MAX_ACTIVE_TOKENS,
  type PersonalAccessTokenRecord,
  revokePersonalAccessToken,
} from '../tokens/pat-store';
import { ApiTokensPage } from '../ui/settings-pages';
import { requireSession, sessionOrRedirect } from './require-session';

const FORM_LIMIT = 4 * 1024;
const EXPIRY_DAYS = { never: null, '30': 30, '90': 90 } as const;

const createSchema = z.object({
  name: z
    .string()
    .trim()
    .min(1, 'Give the token a name.')
    .max(64, 'Use at most 64 characters for the name.')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: names must be printable
    .refine((v) => !/[\u0000-\u001f\u007f]/.test(v), 'The name contains control characters.'),
  expires_in_days: z.enum(['never', '30', '90']).default('never'),
});

type CreateInput = z.infer<typeof createSchema>;

function toWire(t: PersonalAccessTokenRecord) {
  return {
    id: t.id,
    name: t.name,
    hint: t.hint,
    created_at: new Date(t.createdAt * 1000).toISOString(),
    last_used_at: t.lastUsedAt === null ? null : new Date(t.lastUsedAt * 1000).toISOString(),
    expires_at: t.expiresAt === null ? null : new Date(t.expiresAt * 1000).toISOString(),
  };
}

/** Shared by the page and the JSON API: the verified-email gate, the 5-token limit and the audit entry. */
async function createFor(c: AppContext, session: SessionState, input: CreateInput) {
  if (!session.user.emailVerified) {
    throw new AppError(
      'email_not_verified',
      'Confirm your email address before creating a personal access token.',
    );
  }
  const now = nowSeconds(c);
  const days = EXPIRY_DAYS[input.expires_in_days];
  const name = input.name;
  const result = await createPersonalAccessToken(
    c.env.DB,
    session.user.id,
    name,
    days === null ? null : now + days * 86400,
    now,
    // The security-log row is written in the same batch, so a token can never exist unrecorded.
    (guard) => [auditStatement(c.env.DB, session.user.id, 'token_created', auditMetaOf(c), { name }, guard)],
  );
  if (!result.ok) {
    throw new AppError(
      'limit_reached',
      `You already have ${MAX_ACTIVE_TOKENS} active tokens, the most an account can hold. Revoke one first.`,
    );
  }
  return result;
}

async function revokeFor(c: AppContext, session: SessionState, id: string) {
  const revoked = await revokePersonalAccessToken(
    c.env.DB,
    c.env.CACHE,
    session.user.id,
    id.slice(0, 64),
    nowSeconds(c),
  );
  if (!revoked) throw new AppError('not_found', 'There is no such active token.');
  await auditStatement(c.env.DB, session.user.id, 'token_revoked', auditMetaOf(c), {
    name: revoked.name,
    hint: revoked.hint,
  }).run();
  return revoked;
}

/** `/settings/api` pages and the `/api/v1/me/tokens` JSON API (session + CSRF; never a Bearer token). */
export function apiTokenRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  async function render(
    c: AppContext,
    session: SessionState,
    extra: { created?: { token: string; name: string }; error?: string; notice?: string } = {},
    status: 200 | 201 | 400 | 403 | 404 | 409 = 200,
  ) {
    c.header('Cache-Control', 'no-store');
    const tokens = await listPersonalAccessTokens(c.env.DB, session.user.id, nowSeconds(c));
    return c.html(
      <ApiTokensPage
        serviceName={c.var.config.serviceName}
        csrfToken={await csrfToken(c)}
        user={session.user}
        tokens={tokens}
        max={MAX_ACTIVE_TOKENS}
        origin={publicOrigin(c)}
        {...extra}
      />,
      status,
    );
  }

  app.get('/settings/api', async (c) => {
    const session = await sessionOrRedirect(c);
    if (session instanceof Response) return session;
    const notice = c.req.query('notice');
    return render(c, session, { notice: notice === 'revoked' ? 'The token was revoked.' : undefined });
  });

  app.post('/settings/api/tokens', async (c) => {
    const session = await sessionOrRedirect(c);
    if (session instanceof Response) return session;
    const form = await readForm(c.req.raw, FORM_LIMIT);
    await requireCsrf(c, form);
    const parsed = createSchema.safeParse({
      name: form.get('name') ?? '',
      expires_in_days: form.get('expires_in_days'),
    });
    if (!parsed.success || form.duplicated.length > 0) {
      return render(
        c,
        session,
        { error: parsed.error?.issues[0]?.message ?? 'Each field may be sent only once.' },
        400,
      );
    }
    try {
      const result = await createFor(c, session, parsed.data);
      return render(c, session, { created: { token: result.token, name: result.record.name } }, 201);
    } catch (err) {
      if (err instanceof AppError && (err.code === 'limit_reached' || err.code === 'email_not_verified')) {
        return render(c, session, { error: err.message }, err.status as 403 | 409);
      }
      throw err;
    }
  });

  app.post('/settings/api/tokens/:id/revoke', async (c) => {
    const session = await sessionOrRedirect(c);
    if (session instanceof Response) return session;
    const form = await readForm(c.req.raw, FORM_LIMIT);
    await requireCsrf(c, form);
    try {
      await revokeFor(c, session, c.req.param('id'));
    } catch (err) {
      if (err instanceof AppError && err.code === 'not_found')
        return render(c, session, { error: err.message }, 404);
      throw err;
    }
    return c.redirect('/settings/api?notice=revoked', 303);
  });

  // JSON API for the same, for a signed-in browser session. A Bearer token (PAT or OAuth) is refused
  // here on purpose: a leaked token must not be able to mint more tokens.
  app.use('/api/v1/me/tokens', refuseBearer);
  app.use('/api/v1/me/tokens/*', refuseBearer);

  app.get('/api/v1/me/tokens', async (c) => {
    const session = await requireSession(c);
    const tokens = await listPersonalAccessTokens(c.env.DB, session.user.id, nowSeconds(c));
    return c.json({ ok: true, tokens: tokens.map(toWire), max_active: MAX_ACTIVE_TOKENS }, 200, {
      'Cache-Control': 'no-store',
    });
  });

  app.post('/api/v1/me/tokens', async (c) => {
    const session = await requireSession(c);
    await requireCsrfHeader(c);
    const body = await readJsonObject(c.req.raw, FORM_LIMIT);
    const parsed = createSchema.safeParse({
      name: body.name,
      expires_in_days:
        body.expires_in_days === undefined || body.expires_in_days === null
          ? 'never'
          : String(body.expires_in_days),
    });
    if (!parsed.success) {
      throw new AppError('validation_failed', parsed.error.issues[0]?.message ?? 'Invalid token request.', {
        details: { field: String(parsed.error.issues[0]?.path[0] ?? '') },
      });
    }
    const result = await createFor(c, session, parsed.data);
    return c.json({ ok: true, token: result.token, record: toWire(result.record) }, 201, {
      'Cache-Control': 'no-store',
    });
  });

  app.delete('/api/v1/me/tokens/:id', async (c) => {
    const session = await requireSession(c);
    await requireCsrfHeader(c);
    const revoked = await revokeFor(c, session, c.req.param('id'));
    return c.json({ ok: true, revoked: toWire(revoked) }, 200, { 'Cache-Control': 'no-store' });
  });

  /** The CSRF token for JSON calls from a signed-in session (sent back in `X-CSRF-Token`). */
  app.get('/api/v1/me/session', async (c) => {
    const session = await requireSession(c);
    return c.json(
      {
        ok: true,
        user: { id: session.user.id, email: session.user.email, email_verified: session.user.emailVerified },
        csrf_token: await csrfToken(c),
      },
      200,
      { 'Cache-Control': 'no-store' },
    );
  });

  return app;
}

async function refuseBearer(c: AppContext, next: () => Promise<void>) {
  if (c.req.header('authorization')) {
    throw new AppError(
      'forbidden',
      'Tokens are managed with a signed-in session; a Bearer token cannot manage tokens.',
    );
  }
  await next();
}
