import type { FormBody } from '../http/body';
import { OAuthError } from '../http/errors';
import { sha256Hex, timingSafeEqual } from '../tokens/secrets';
import { findClient, type OAuthClient, type TokenEndpointAuthMethod } from './clients';

/**
 * Client authentication at the token and revocation endpoints (RFC 6749 §2.3, OAuth 2.1 §2.4):
 * `none` (client_id in the body), `client_secret_basic` and `client_secret_post`. A client must use
 * the method it registered (workers-oauth-provider#209 accepted any); only "OAuth apps" created in
 * settings may use either secret method, because Claude sends POST-body secrets for manually entered
 * credentials whatever is advertised (claude-ai-mcp#667). Every failure is 401 `invalid_client`
 * — including a malformed Basic header, which must never become a 500 (workers-oauth-provider#243) —
 * so clients such as Claude know to register again.
 */

export interface PresentedCredentials {
  clientId: string;
  secret: string | undefined;
  method: TokenEndpointAuthMethod;
}

const BASIC = /^Basic[ ]+([A-Za-z0-9+/]+={0,2})[ ]*$/i;

function invalidClient(usedBasic: boolean): OAuthError {
  // RFC 6749 §5.2: a client that tried the Authorization header gets a challenge back.
  return new OAuthError(
    'invalid_client',
    'Client authentication failed.',
    401,
    usedBasic ? { 'WWW-Authenticate': 'Basic realm="gatehouse", charset="UTF-8"' } : {},
  );
}

function formDecode(part: string): string {
  // RFC 6749 §2.3.1: id and secret are form-urlencoded before being joined with ':'.
  return decodeURIComponent(part.replace(/\+/g, ' '));
}

/** Reads which client is calling and how; throws `invalid_client` / `invalid_request`. */
export function parseClientCredentials(
  authorization: string | undefined,
  form: FormBody,
): PresentedCredentials {
  const bodyId = form.get('client_id');
  const bodySecret = form.get('client_secret');
  if (authorization !== undefined && authorization !== '') {
    const m = BASIC.exec(authorization);
    if (!m) throw invalidClient(true);
    let id: string;
    let secret: string;
    try {
      const decoded = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(
        Uint8Array.from(atob(m[1]!), (ch) => ch.charCodeAt(0)),
      );
      const colon = decoded.indexOf(':');
      if (colon < 0) throw new Error('no colon');
      id = formDecode(decoded.slice(0, colon));
      secret = formDecode(decoded.slice(colon + 1));
    } catch {
      throw invalidClient(true);
    }
    if (!id || !secret) throw invalidClient(true);
    // RFC 6749 §2.3: a client MUST NOT use more than one authentication method per request.
    if (bodySecret !== undefined) {
      throw new OAuthError('invalid_request', 'Use one client authentication method per request.');
    }
    if (bodyId !== undefined && bodyId !== id) throw invalidClient(true);
    return { clientId: id, secret, method: 'client_secret_basic' };
  }
  if (!bodyId) throw invalidClient(false);
  if (bodySecret !== undefined) return { clientId: bodyId, secret: bodySecret, method: 'client_secret_post' };
  return { clientId: bodyId, secret: undefined, method: 'none' };
}

function methodAccepted(client: OAuthClient, used: TokenEndpointAuthMethod): boolean {
  if (used === client.tokenEndpointAuthMethod) return true;
  return client.registrationType === 'app' && used !== 'none' && client.tokenEndpointAuthMethod !== 'none';
}

/**
 * Authenticates the calling client. The secret is compared as SHA-256 digests in constant time; an
 * unknown client and a wrong secret are indistinguishable to the caller.
 */
export async function authenticateClient(
  db: D1Database,
  authorization: string | undefined,
  form: FormBody,
): Promise<OAuthClient> {
  const presented = parseClientCredentials(authorization, form);
  const usedBasic = presented.method === 'client_secret_basic';
  const client = await findClient(db, presented.clientId);
  const presentedHash = presented.secret === undefined ? '' : await sha256Hex(presented.secret);
  if (!client || !methodAccepted(client, presented.method)) throw invalidClient(usedBasic);
  if (client.tokenEndpointAuthMethod !== 'none') {
    if (!client.secretHash || !timingSafeEqual(presentedHash, client.secretHash))
      throw invalidClient(usedBasic);
  }
  return client;
}
