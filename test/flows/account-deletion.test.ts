import { describe, expect, it } from 'vitest';
import { createPersonalAccessToken } from '../../src/tokens/pat-store';
import { hasRevocationMarker } from '../../src/tokens/revocation';
import { newId, sha256Hex } from '../../src/tokens/secrets';
import { type Browser, createTestApp, createUser, TEST_PASSWORD, type TestApp } from '../helpers/app';
import {
  approve,
  env,
  pkcePair,
  redeem,
  registerClient,
  signedInBrowser,
  type TokenSet,
} from '../oauth/helpers';
import { mintAccessToken } from '../surfaces/support';

function v2(app: TestApp, token: string, action: string, input: unknown = {}): Promise<Response> {
  return app.fetch(`/api/v2/${action}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(input),
  });
}

/** Authorizes `clientId` in `browser` and redeems the code: the access token and its grant id. */
async function connect(app: TestApp, browser: Browser, clientId: string, redirectUri: string) {
  const { verifier, challenge } = await pkcePair();
  const location = await approve(browser, { clientId, redirectUri, challenge, scope: 'mcp api' });
  const code = location.searchParams.get('code')!;
  const res = await redeem(app, {
    client: { client_id: clientId, redirect_uris: [redirectUri], token_endpoint_auth_method: 'none' },
    code,
    verifier,
    redirectUri,
  });
  expect(res.status).toBe(200);
  const tokens = (await res.json()) as TokenSet;
  const grant = await env.DB.prepare(
    'SELECT id FROM oauth_grants WHERE client_id = ? ORDER BY created_at DESC LIMIT 1',
  )
    .bind(clientId)
    .first<{ id: string }>();
  return { token: tokens.access_token, grantId: grant!.id };
}

describe('POST /settings/account/delete ends every credential at once', () => {
  it("refuses the account's OAuth tokens, its PATs, and other people's tokens for its apps", async () => {
    const app = createTestApp();
    const owner = await signedInBrowser(app);
    const { csrf } = await owner.browser.page('/settings/apps');
    const created = await owner.browser.postForm('/settings/apps', {
      csrf_token: csrf,
      name: 'Owner dashboard',
      redirect_uris: 'https://dash.example/callback',
      kind: 'public',
    });
    expect(created.status).toBe(201);
    const ownedAppId = /Client ID<\/dt><dd><code>([^<]+)<\/code>/.exec(await created.text())![1]!;

    const dcr = await registerClient(app);
    const own = await connect(app, owner.browser, dcr.client_id, dcr.redirect_uris[0]!);
    const other = await signedInBrowser(app);
    const theirs = await connect(app, other.browser, ownedAppId, 'https://dash.example/callback');
    const pat = await createPersonalAccessToken(
      env.DB,
      owner.userId,
      'ci',
      null,
      Math.floor(Date.now() / 1000),
    );
    if (!pat.ok) throw new Error('expected a token');

    // Warm every cache first: the verifiers' memos, the PAT's KV entry, whoAmI's account memo.
    for (const token of [own.token, theirs.token, pat.token]) {
      expect((await v2(app, token, 'whoAmI')).status).toBe(200);
    }

    const page = await owner.browser.page('/settings/account');
    const res = await owner.browser.postForm('/settings/account/delete', {
      password: TEST_PASSWORD,
      confirm: 'Delete my account',
      csrf_token: page.csrf,
    });
    expect(res.status).toBe(303);

    // The markers are what other isolates and locations read; the local memo alone would hide a miss.
    expect(await hasRevocationMarker(env.CACHE, own.grantId)).toBe(true);
    expect(await hasRevocationMarker(env.CACHE, theirs.grantId)).toBe(true);
    expect(await env.CACHE.get(`pat:${await sha256Hex(pat.token)}`)).toBeNull();
    for (const token of [own.token, theirs.token, pat.token]) {
      const answer = await v2(app, token, 'whoAmI');
      expect(answer.status).toBe(401);
      expect(((await answer.json()) as { error: { code: string } }).error.code).toBe('invalid_token');
    }
  });

  it('answers a valid token whose account no longer exists with 401 invalid_token, never a 500', async () => {
    const app = createTestApp();
    const user = await createUser({ verified: true });
    const token = await mintAccessToken(app, { userId: user.id, grantId: newId('g_') });
    // Deleted elsewhere, before this isolate could learn of it (no marker here yet).
    await env.DB.prepare('DELETE FROM users WHERE id = ?').bind(user.id).run();
    const answer = await v2(app, token, 'createProject', { title: 'after deletion' });
    expect(answer.status).toBe(401);
    expect(((await answer.json()) as { error: { code: string } }).error.code).toBe('invalid_token');
  });
});
