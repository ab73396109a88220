import type { AppContext } from '../http/context';
import { publicOrigin } from '../http/context';

/**
 * The one issuer string (RFC 8414 §2, RFC 9207): the public origin with no path and no trailing slash,
 * byte-identical in AS metadata, protected-resource metadata, the `iss` response parameter and JWTs.
 */
export function issuerOf(c: AppContext): string {
  return publicOrigin(c);
}

/** The protected resource clients paste and tokens are minted for (RFC 8707 audience). */
export function mcpResourceOf(c: AppContext): string {
  return `${publicOrigin(c)}/mcp`;
}

export function endpointsOf(c: AppContext) {
  const iss = issuerOf(c);
  return {
    authorization_endpoint: `${iss}/oauth2/authorize`,
    token_endpoint: `${iss}/oauth2/token`,
    registration_endpoint: `${iss}/oauth2/register`,
    revocation_endpoint: `${iss}/oauth2/revoke`,
    jwks_uri: `${iss}/.well-known/jwks.json`,
  };
}
