/** Who is calling an API surface, resolved from a Bearer token by `requireBearer`. */
export interface Principal {
  userId: string;
  /** The OAuth client the token was issued to; undefined for personal access tokens. */
  clientId: string | undefined;
  scopes: readonly string[];
  kind: 'oauth' | 'pat';
  /** The grant an OAuth token belongs to, or the PAT's id. */
  credentialId: string;
}
