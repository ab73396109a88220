import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

/** What is wrong with the next ID token the forging IdP mints. */
export type Forgery =
  | 'none'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'wrong_nonce'
  | 'expired'
  | 'unsigned'
  | 'other_key';

export interface ForgingIdp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The defect of the next ID token; `none` mints a correct one (the control case). */
  forgery: Forgery;
  /** When true, every endpoint answers 503, as a provider that is down. */
  down: boolean;
  subject: string;
  email: string;
  stop(): Promise<void>;
}

function b64url(value: string): string {
  return Buffer.from(value).toString('base64url');
}

/**
 * A hand-rolled OpenID provider for the attacks oidc-provider will not perform: its discovery,
 * JWKS and authorization endpoints are honest, and its token endpoint returns an ID token with the
 * chosen defect. Everything else about the answer is correct, so each test isolates one check.
 */
export async function startForgingIdp(options: { port: number }): Promise<ForgingIdp> {
  const issuer = `http://127.0.0.1:${options.port}`;
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const other = await generateKeyPair('RS256');
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid: 'honest', alg: 'RS256', use: 'sig' };
  const codes = new Map<string, { nonce: string }>();
  const state: ForgingIdp = {
    issuer,
    clientId: 'gatehouse-forge',
    clientSecret: `forge-secret-${randomBytes(8).toString('hex')}`,
    forgery: 'none',
    down: false,
    subject: 'forged-subject',
    email: 'forged@example.com',
    stop: async () => {},
  };

  async function idToken(nonce: string): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const f = state.forgery;
    const claims = {
      sub: state.subject,
      email: state.email,
      email_verified: true,
      nonce: f === 'wrong_nonce' ? 'not-the-nonce' : nonce,
    };
    if (f === 'unsigned') {
      const header = b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }));
      const body = b64url(
        JSON.stringify({ ...claims, iss: issuer, aud: state.clientId, iat: now, exp: now + 300 }),
      );
      return `${header}.${body}.`;
    }
    const key = f === 'other_key' ? other.privateKey : privateKey;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'honest', typ: 'JWT' })
      .setIssuer(f === 'wrong_issuer' ? 'http://127.0.0.1:1/elsewhere' : issuer)
      .setAudience(f === 'wrong_audience' ? 'someone-else' : state.clientId)
      .setIssuedAt(f === 'expired' ? now - 7200 : now)
      .setExpirationTime(f === 'expired' ? now - 3600 : now + 300)
      .sign(key);
  }

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', issuer);
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (state.down) {
        res.writeHead(503, { 'content-type': 'text/plain' });
        res.end('down');
        return;
      }
      if (url.pathname === '/.well-known/openid-configuration') {
        return json(200, {
          issuer,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: `${issuer}/token`,
          jwks_uri: `${issuer}/jwks`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
          code_challenge_methods_supported: ['S256'],
        });
      }
      if (url.pathname === '/jwks') return json(200, { keys: [publicJwk] });
      if (url.pathname === '/authorize') {
        const code = randomBytes(16).toString('hex');
        codes.set(code, { nonce: url.searchParams.get('nonce') ?? '' });
        const back = new URL(url.searchParams.get('redirect_uri') ?? '');
        back.searchParams.set('code', code);
        back.searchParams.set('state', url.searchParams.get('state') ?? '');
        res.writeHead(303, { location: back.href });
        res.end();
        return;
      }
      if (url.pathname === '/token' && req.method === 'POST') {
        let body = '';
        for await (const chunk of req) body += chunk;
        const form = new URLSearchParams(body);
        const grant = codes.get(form.get('code') ?? '');
        codes.delete(form.get('code') ?? '');
        if (!grant || form.get('client_secret') !== state.clientSecret) {
          return json(400, { error: 'invalid_grant' });
        }
        return json(200, {
          access_token: randomBytes(16).toString('hex'),
          token_type: 'Bearer',
          expires_in: 300,
          id_token: await idToken(grant.nonce),
        });
      }
      res.writeHead(404);
      res.end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(options.port, '127.0.0.1', resolve));
  state.stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
