import { type AuditMeta, auditStatement } from '../accounts/audit';
import type { BatchGuard } from '../accounts/batch-guard';
import {
  findUserByEmail,
  insertUserWithoutPasswordStatement,
  markEmailVerifiedStatement,
  normalizeEmail,
  type User,
} from '../accounts/users';
import { newId } from '../tokens/secrets';
import { IdentityError } from './errors';
import type { FlowIntent } from './flow-cookie';
import {
  findIdentity,
  insertIdentityStatement,
  type LinkedIdentity,
  touchIdentityStatement,
} from './identity-store';
import type { ExternalIdentity } from './oauth-support';
import type { AuthProvider } from './provider-config';

/**
 * The account rules for an identity a provider vouched for (docs/security.md, "Account linking"):
 *
 * - a known identity signs in to its account;
 * - a new identity whose email no account has creates an account, verified only if the provider
 *   asserts the email verified;
 * - a new identity is linked to an existing account only when the provider asserts the account's
 *   address as verified AND the person proves the account — by being signed in to it, or by a link
 *   mailed to it (`needs_proof`). Never silently: a provider that can claim an address would
 *   otherwise own every account with that address.
 *
 * Operator restrictions (email domains, an Entra tenant) apply before any of these.
 */
export type IdentityOutcome =
  | { kind: 'signed_in'; userId: string }
  | { kind: 'signed_up'; userId: string; email: string; emailVerified: boolean }
  | { kind: 'linked'; userId: string }
  | { kind: 'needs_proof'; userId: string; email: string };

export interface IdentityRequest {
  provider: AuthProvider;
  identity: ExternalIdentity;
  intent: FlowIntent;
  /** The signed-in account; required for `link`. */
  sessionUser: User | null;
}

/** The operator's restrictions for this provider; throws when the identity is outside them. */
function enforceRestrictions(provider: AuthProvider, identity: ExternalIdentity): void {
  if (provider.allowedEmailDomains.length === 0) return;
  const domain = identity.email?.slice(identity.email.lastIndexOf('@') + 1);
  if (!identity.emailVerified || !domain || !provider.allowedEmailDomains.includes(domain)) {
    throw new IdentityError('email_not_allowed');
  }
}

function isConstraintFailure(err: unknown): boolean {
  return err instanceof Error && /SQLITE_CONSTRAINT/.test(err.message);
}

function userExistsGuard(userId: string): BatchGuard {
  return { sql: 'EXISTS (SELECT 1 FROM users WHERE id = ?)', args: [userId] };
}

async function linkToSignedInAccount(
  db: D1Database,
  request: IdentityRequest,
  existing: LinkedIdentity | null,
  meta: AuditMeta,
): Promise<IdentityOutcome> {
  const { provider, identity, sessionUser } = request;
  if (!sessionUser) throw new IdentityError('flow_expired');
  if (existing) {
    if (existing.userId === sessionUser.id) return { kind: 'linked', userId: sessionUser.id };
    throw new IdentityError('identity_taken');
  }
  const accountEmail = normalizeEmail(sessionUser.email);
  if (!identity.emailVerified || !identity.email || identity.email !== accountEmail) {
    throw new IdentityError('email_mismatch');
  }
  try {
    await db.batch([
      insertIdentityStatement(
        db,
        { providerId: provider.id, subject: identity.subject, userId: sessionUser.id, email: identity.email },
        meta.now,
      ),
      // The provider vouched for this very address, in the account owner's own session.
      markEmailVerifiedStatement(db, sessionUser.id, identity.email, meta.now),
      auditStatement(db, sessionUser.id, 'identity_linked', meta, {
        provider: provider.name,
        via: 'session',
      }),
    ]);
  } catch (err) {
    if (!isConstraintFailure(err)) throw err;
    const now = await findIdentity(db, provider.id, identity.subject);
    throw new IdentityError(
      now && now.userId !== sessionUser.id ? 'identity_taken' : 'provider_already_linked',
    );
  }
  return { kind: 'linked', userId: sessionUser.id };
}

/** Decides and applies what an identity means for accounts; see {@link IdentityOutcome}. */
export async function resolveIdentity(
  db: D1Database,
  request: IdentityRequest,
  meta: AuditMeta,
): Promise<IdentityOutcome> {
  const { provider, identity } = request;
  enforceRestrictions(provider, identity);
  const existing = await findIdentity(db, provider.id, identity.subject);
  if (request.intent === 'link') return linkToSignedInAccount(db, request, existing, meta);
  if (existing) {
    await touchIdentityStatement(
      db,
      provider.id,
      identity.subject,
      identity.email ?? existing.email,
      meta.now,
    ).run();
    return { kind: 'signed_in', userId: existing.userId };
  }
  const email = identity.email;
  if (!email) throw new IdentityError('email_missing');
  const userId = newId('usr_');
  try {
    const [inserted] = await db.batch([
      insertUserWithoutPasswordStatement(db, userId, email, identity.emailVerified, meta.now),
      insertIdentityStatement(
        db,
        { providerId: provider.id, subject: identity.subject, userId, email },
        meta.now,
      ),
      auditStatement(db, userId, 'signup', meta, { provider: provider.name }, userExistsGuard(userId)),
    ]);
    if (inserted && inserted.results.length === 1) {
      return { kind: 'signed_up', userId, email, emailVerified: identity.emailVerified };
    }
  } catch (err) {
    // The same identity signed up in parallel: the batch rolled back; the other one won.
    if (!isConstraintFailure(err)) throw err;
    const winner = await findIdentity(db, provider.id, identity.subject);
    if (winner) return { kind: 'signed_in', userId: winner.userId };
    throw err;
  }
  // An account has this address already. Linking needs the provider's word AND the owner's proof.
  if (!identity.emailVerified) throw new IdentityError('account_exists');
  const owner = await findUserByEmail(db, email);
  if (!owner) throw new IdentityError('account_exists');
  return { kind: 'needs_proof', userId: owner.id, email: owner.email };
}
