/**
 * Why a sign-in through a provider did not go through. A closed union with fixed sentences: the
 * page shows the sentence, the log and the tests see the code, and nothing from the provider's
 * answer is ever echoed to the person.
 */
export type IdentityErrorCode =
  | 'unknown_provider'
  | 'flow_expired'
  | 'state_mismatch'
  | 'access_denied'
  | 'provider_error'
  | 'invalid_response'
  | 'provider_unavailable'
  | 'email_missing'
  | 'email_not_allowed'
  | 'tenant_not_allowed'
  | 'account_exists'
  | 'email_mismatch'
  | 'identity_taken'
  | 'provider_already_linked'
  | 'link_invalid';

const sentences: Record<IdentityErrorCode, string> = {
  unknown_provider: 'That sign-in method is not offered here.',
  flow_expired: 'The sign-in took too long or was started in another browser. Please start again.',
  state_mismatch: 'The sign-in could not be matched to this browser. Please start again.',
  access_denied: 'The sign-in was cancelled at the provider.',
  provider_error: 'The provider refused the sign-in. Please try again.',
  invalid_response: 'The provider’s answer could not be verified, so you were not signed in.',
  provider_unavailable:
    'The provider cannot be reached right now. Try again later or use another way to sign in.',
  email_missing: 'The provider did not share an email address, which this service needs.',
  email_not_allowed: 'Sign-in with this provider is limited to verified addresses in certain domains.',
  tenant_not_allowed: 'Sign-in with this provider is limited to one organisation.',
  account_exists:
    'An account with this email already exists. Sign in to it, then link this provider from your account settings.',
  email_mismatch:
    'This provider did not confirm the same email address as your account, so it was not linked.',
  identity_taken: 'This identity is already linked to another account.',
  provider_already_linked: 'Your account is already linked to an identity at this provider. Unlink it first.',
  link_invalid:
    'This link is invalid, expired or already used, or was opened in another browser than the one you signed in with.',
};

export class IdentityError extends Error {
  override readonly name = 'IdentityError';
  readonly code: IdentityErrorCode;
  constructor(code: IdentityErrorCode, options: { cause?: unknown } = {}) {
    super(sentences[code], { cause: options.cause });
    this.code = code;
  }
}
