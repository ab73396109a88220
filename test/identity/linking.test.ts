import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { AuditMeta } from '../../src/accounts/audit';
import { findUserByEmail, findUserById, userHasPassword } from '../../src/accounts/users';
import { IdentityError, type IdentityErrorCode } from '../../src/identity/errors';
import {
  consumeLinkRequest,
  createLinkRequest,
  findIdentity,
  insertIdentityStatement,
  listIdentities,
  unlinkIdentity,
} from '../../src/identity/identity-store';
import { type IdentityRequest, resolveIdentity } from '../../src/identity/linking';
import type { ExternalIdentity } from '../../src/identity/oauth-support';
import type { AuthProvider } from '../../src/identity/provider-config';
import { createUser, uniqueEmail } from '../helpers/app';

const now = () => Math.floor(Date.now() / 1000);
const meta = (): AuditMeta => ({ ip: '203.0.113.7', userAgent: 'test', now: now() });

function provider(overrides: Partial<AuthProvider> = {}): AuthProvider {
  return {
    id: 'corp',
    type: 'oidc',
    name: 'Corp',
    clientId: 'c',
    clientSecret: 's',
    allowedEmailDomains: [],
    issuer: 'https://id.corp.example',
    tenant: undefined,
    ...overrides,
  } as AuthProvider;
}

let n = 0;
function identity(overrides: Partial<ExternalIdentity> = {}): ExternalIdentity {
  n += 1;
  return {
    subject: `sub-${Date.now()}-${n}-${Math.random()}`,
    email: uniqueEmail('idp'),
    emailVerified: true,
    tenantId: undefined,
    ...overrides,
  };
}

function request(overrides: Partial<IdentityRequest> = {}): IdentityRequest {
  return { provider: provider(), identity: identity(), intent: 'signin', sessionUser: null, ...overrides };
}

async function refusal(promise: Promise<unknown>): Promise<IdentityErrorCode> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof IdentityError) return err.code;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('resolveIdentity: the account rules', () => {
  it('creates an account for a new identity, verified when the provider asserts it, without a password', async () => {
    const req = request();
    const outcome = await resolveIdentity(env.DB, req, meta());
    expect(outcome.kind).toBe('signed_up');
    const user = await findUserByEmail(env.DB, req.identity.email!);
    expect(user?.emailVerified).toBe(true);
    expect(await userHasPassword(env.DB, user!.id)).toBe(false);
    expect((await findIdentity(env.DB, 'corp', req.identity.subject))?.userId).toBe(user!.id);
    const log = await env.DB.prepare("SELECT detail FROM audit_events WHERE user_id = ? AND kind = 'signup'")
      .bind(user!.id)
      .first<{ detail: string }>();
    expect(JSON.parse(log!.detail)).toEqual({ provider: 'Corp' });
  });

  it('leaves the email unverified when the provider does not assert it', async () => {
    const req = request({ identity: identity({ emailVerified: false }) });
    await resolveIdentity(env.DB, req, meta());
    expect((await findUserByEmail(env.DB, req.identity.email!))?.emailVerified).toBe(false);
  });

  it('signs a known identity in to its account, whatever email it now claims', async () => {
    const first = request();
    const created = await resolveIdentity(env.DB, first, meta());
    const again = await resolveIdentity(
      env.DB,
      request({ identity: { ...first.identity, email: uniqueEmail('changed') } }),
      meta(),
    );
    expect(again).toEqual({ kind: 'signed_in', userId: created.userId });
  });

  it('never links silently: an existing account’s verified address needs proof, and nothing is linked yet', async () => {
    const owner = await createUser({ verified: true });
    const req = request({ identity: identity({ email: owner.email }) });
    expect(await resolveIdentity(env.DB, req, meta())).toEqual({
      kind: 'needs_proof',
      userId: owner.id,
      email: owner.email,
    });
    expect(await findIdentity(env.DB, 'corp', req.identity.subject)).toBeNull();
    expect(await listIdentities(env.DB, owner.id)).toEqual([]);
  });

  it('refuses an existing account’s address that the provider does not assert (account_exists)', async () => {
    const owner = await createUser({ verified: true });
    const req = request({ identity: identity({ email: owner.email, emailVerified: false }) });
    expect(await refusal(resolveIdentity(env.DB, req, meta()))).toBe('account_exists');
    expect(await listIdentities(env.DB, owner.id)).toEqual([]);
  });

  it('refuses an identity without an email (email_missing)', async () => {
    expect(
      await refusal(resolveIdentity(env.DB, request({ identity: identity({ email: undefined }) }), meta())),
    ).toBe('email_missing');
  });

  it('applies the operator’s email domains: verified, and in the list', async () => {
    const restricted = provider({ id: 'acme', allowedEmailDomains: ['acme.example'] });
    const outside = identity({ email: uniqueEmail('x') });
    const unverified = identity({ email: `u-${Date.now()}@acme.example`, emailVerified: false });
    const inside = identity({ email: `in-${Date.now()}-${Math.random()}@acme.example` });
    expect(
      await refusal(resolveIdentity(env.DB, request({ provider: restricted, identity: outside }), meta())),
    ).toBe('email_not_allowed');
    expect(
      await refusal(resolveIdentity(env.DB, request({ provider: restricted, identity: unverified }), meta())),
    ).toBe('email_not_allowed');
    expect(
      (await resolveIdentity(env.DB, request({ provider: restricted, identity: inside }), meta())).kind,
    ).toBe('signed_up');
  });

  describe('linking while signed in', () => {
    it('links when the provider asserts the account’s own address as verified', async () => {
      const user = await createUser();
      const req = request({ intent: 'link', sessionUser: user, identity: identity({ email: user.email }) });
      expect(await resolveIdentity(env.DB, req, meta())).toEqual({ kind: 'linked', userId: user.id });
      expect((await listIdentities(env.DB, user.id)).map((i) => i.providerId)).toEqual(['corp']);
      // The provider vouched for the address in the owner's own session.
      expect((await findUserById(env.DB, user.id))?.emailVerified).toBe(true);
    });

    it('refuses another address, or the same one unverified (email_mismatch)', async () => {
      const user = await createUser();
      for (const other of [identity(), identity({ email: user.email, emailVerified: false })]) {
        const req = request({ intent: 'link', sessionUser: user, identity: other });
        expect(await refusal(resolveIdentity(env.DB, req, meta()))).toBe('email_mismatch');
      }
      expect(await listIdentities(env.DB, user.id)).toEqual([]);
    });

    it('refuses an identity that belongs to another account (identity_taken)', async () => {
      const first = request();
      await resolveIdentity(env.DB, first, meta());
      const user = await createUser({ email: uniqueEmail('second') });
      const req = request({
        intent: 'link',
        sessionUser: user,
        identity: { ...first.identity, email: user.email },
      });
      expect(await refusal(resolveIdentity(env.DB, req, meta()))).toBe('identity_taken');
    });

    it('refuses a second identity at the same provider (provider_already_linked)', async () => {
      const user = await createUser();
      const link = (id: ExternalIdentity) =>
        resolveIdentity(env.DB, request({ intent: 'link', sessionUser: user, identity: id }), meta());
      await link(identity({ email: user.email }));
      expect(await refusal(link(identity({ email: user.email })))).toBe('provider_already_linked');
    });

    it('needs the session (flow_expired without it)', async () => {
      expect(await refusal(resolveIdentity(env.DB, request({ intent: 'link' }), meta()))).toBe(
        'flow_expired',
      );
    });
  });
});

describe('unlinkIdentity: never the last way to sign in', () => {
  it('keeps the only identity of an account without a password, and unlinks one of two', async () => {
    const req = request();
    const { userId } = await resolveIdentity(env.DB, req, meta());
    expect(await unlinkIdentity(env.DB, userId, 'corp')).toBe(false);
    await insertIdentityStatement(
      env.DB,
      { providerId: 'other', subject: 's', userId, email: '' },
      now(),
    ).run();
    expect(await unlinkIdentity(env.DB, userId, 'corp')).toBe(true);
    expect(await unlinkIdentity(env.DB, userId, 'other')).toBe(false);
    expect((await listIdentities(env.DB, userId)).map((i) => i.providerId)).toEqual(['other']);
  });

  it('of two parallel unlinks on a password-less account with two identities, exactly one succeeds', async () => {
    const { userId } = await resolveIdentity(env.DB, request(), meta());
    await insertIdentityStatement(
      env.DB,
      { providerId: 'other', subject: `p-${userId}`, userId, email: '' },
      now(),
    ).run();
    const results = await Promise.all([
      unlinkIdentity(env.DB, userId, 'corp'),
      unlinkIdentity(env.DB, userId, 'other'),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await listIdentities(env.DB, userId)).toHaveLength(1);
  });

  it('unlinks the only identity of an account that has a password', async () => {
    const user = await createUser();
    await insertIdentityStatement(
      env.DB,
      { providerId: 'corp', subject: `pw-${user.id}`, userId: user.id, email: '' },
      now(),
    ).run();
    expect(await unlinkIdentity(env.DB, user.id, 'corp')).toBe(true);
  });
});

describe('consumeLinkRequest: the mailed proof', () => {
  const browser = 'b'.repeat(43);

  async function pending() {
    const owner = await createUser({ verified: true });
    const link = { userId: owner.id, providerId: 'corp', subject: `mail-${owner.id}`, email: owner.email };
    const token = await createLinkRequest(env.DB, link, browser, now());
    return { owner, link, token };
  }
  const effects = (
    l: Parameters<typeof insertIdentityStatement>[1],
    g: Parameters<typeof insertIdentityStatement>[3],
  ) => [insertIdentityStatement(env.DB, l, now(), g)];

  it('links only with the starting browser’s secret, and only once', async () => {
    const { owner, token } = await pending();
    expect(await consumeLinkRequest(env.DB, token, 'x'.repeat(43), now(), effects)).toBeNull();
    expect(await listIdentities(env.DB, owner.id)).toEqual([]);
    expect(await consumeLinkRequest(env.DB, token, browser, now(), effects)).not.toBeNull();
    expect(await listIdentities(env.DB, owner.id)).toHaveLength(1);
    expect(await consumeLinkRequest(env.DB, token, browser, now(), effects)).toBeNull();
  });

  it('expires after an hour', async () => {
    const { owner, token } = await pending();
    expect(await consumeLinkRequest(env.DB, token, browser, now() + 3601, effects)).toBeNull();
    expect(await listIdentities(env.DB, owner.id)).toEqual([]);
  });

  it('of parallel uses exactly one links', async () => {
    const { owner, token } = await pending();
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        consumeLinkRequest(env.DB, token, browser, now(), effects).catch(() => null),
      ),
    );
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    expect(await listIdentities(env.DB, owner.id)).toHaveLength(1);
  });
});
