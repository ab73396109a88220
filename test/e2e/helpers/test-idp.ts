import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Provider } from 'oidc-provider';

/** Who signs in at the test IdP next (the interaction step picks this account without a form). */
export interface IdpAccount {
  sub: string;
  email?: string;
  email_verified?: boolean;
}

export interface TestIdp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Set before each sign-in: the account the IdP's login step will authenticate. */
  nextAccount: IdpAccount;
  /** How many authorization requests reached the IdP (a refused callback must not add token calls). */
  tokenRequests: number;
  stop(): Promise<void>;
}

/**
 * A real OpenID Provider (panva/oidc-provider, OpenID-certified) on loopback, configured for one
 * confidential client: code flow, PKCE S256 required, client_secret_post, RFC 9207 `iss` in the
 * authorization response. Its login/consent interaction is answered by code: the account in
 * `nextAccount` signs in and grants `openid email profile`.
 */
export async function startTestIdp(options: { port: number; redirectUris: string[] }): Promise<TestIdp> {
  const issuer = `http://127.0.0.1:${options.port}`;
  const accounts = new Map<string, IdpAccount>();
  const state: TestIdp = {
    issuer,
    clientId: 'gatehouse-test',
    clientSecret: `test-secret-${Math.random().toString(36).slice(2)}`,
    nextAccount: { sub: 'nobody' },
    tokenRequests: 0,
    stop: async () => {},
  };
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: state.clientId,
        client_secret: state.clientSecret,
        redirect_uris: options.redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    scopes: ['openid', 'email', 'profile'],
    features: { devInteractions: { enabled: false } },
    pkce: { required: () => true },
    cookies: { keys: ['test-idp-cookie-key-0123456789abcdef'] },
    findAccount: async (_ctx, id) => {
      const account = accounts.get(id);
      if (!account) return undefined;
      return {
        accountId: id,
        claims: async () => ({
          sub: id,
          ...(account.email !== undefined ? { email: account.email } : {}),
          ...(account.email_verified !== undefined ? { email_verified: account.email_verified } : {}),
        }),
      };
    },
  });
  provider.on('grant.success', () => {
    state.tokenRequests += 1;
  });
  const handler = provider.callback();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.startsWith('/interaction/')) {
      void (async () => {
        try {
          const details = await provider.interactionDetails(req, res);
          const account = state.nextAccount;
          accounts.set(account.sub, account);
          const grant = new provider.Grant({ accountId: account.sub, clientId: state.clientId });
          grant.addOIDCScope('openid email profile');
          const grantId = await grant.save();
          void details;
          await provider.interactionFinished(
            req,
            res,
            { login: { accountId: account.sub }, consent: { grantId } },
            { mergeWithLastSubmission: false },
          );
        } catch (err) {
          res.statusCode = 500;
          res.end(String(err));
        }
      })();
      return;
    }
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(options.port, '127.0.0.1', resolve));
  state.stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
