import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { z } from 'zod';
import { type AppContext, nowSeconds } from '../http/context';
import { base64url, fromBase64url, hmacBase64url, timingSafeEqual } from '../tokens/secrets';

/**
 * The short-lived cookie that binds a provider sign-in to the browser that started it: `state`,
 * `nonce` and the PKCE verifier live here (signed with SESSION_SECRET, never stored server-side),
 * so a callback is accepted only in the browser that began the flow (RFC 9700 §4.7, OpenID Connect
 * Core §15.5.2). SameSite=Lax is enough: the provider sends the browser back with a top-level GET.
 */
const FLOW_COOKIE = '__Host-gh_idp';
const FLOW_TTL_SECONDS = 600;

export type FlowIntent = 'signin' | 'link';

export interface FlowState {
  providerId: string;
  state: string;
  nonce: string;
  codeVerifier: string;
  intent: FlowIntent;
  /** For `link`: the account that was signed in when the flow started. */
  userId: string | undefined;
  returnTo: string;
  expiresAt: number;
}

const flowSchema = z.object({
  p: z.string().max(64),
  s: z.string().max(128),
  n: z.string().max(128),
  v: z.string().max(128),
  i: z.enum(['signin', 'link']),
  u: z.string().max(64).optional(),
  r: z.string().max(2048),
  e: z.number().int(),
});

const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function sign(c: AppContext, payload: string): Promise<string> {
  return hmacBase64url(c.var.config.sessionSecret, `idp-flow:${payload}`);
}

export async function setFlowCookie(c: AppContext, flow: Omit<FlowState, 'expiresAt'>): Promise<void> {
  const payload = base64url(
    encoder.encode(
      JSON.stringify({
        p: flow.providerId,
        s: flow.state,
        n: flow.nonce,
        v: flow.codeVerifier,
        i: flow.intent,
        u: flow.userId,
        r: flow.returnTo,
        e: nowSeconds(c) + FLOW_TTL_SECONDS,
      }),
    ),
  );
  setCookie(c, FLOW_COOKIE, `${payload}.${await sign(c, payload)}`, {
    path: '/',
    secure: true,
    httpOnly: true,
    sameSite: 'Lax',
    maxAge: FLOW_TTL_SECONDS,
  });
}

/**
 * The flow this browser started, if its cookie is present, untampered and unexpired; the cookie is
 * cleared either way, so a callback URL works at most once per started flow.
 */
export async function takeFlowCookie(c: AppContext): Promise<FlowState | null> {
  const value = getCookie(c, FLOW_COOKIE);
  deleteCookie(c, FLOW_COOKIE, { path: '/', secure: true });
  if (!value || value.length > 4096) return null;
  const dot = value.indexOf('.');
  if (dot < 1) return null;
  const payload = value.slice(0, dot);
  if (!timingSafeEqual(value.slice(dot + 1), await sign(c, payload))) return null;
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(fromBase64url(payload)));
  } catch {
    return null;
  }
  const parsed = flowSchema.safeParse(json);
  if (!parsed.success || parsed.data.e <= nowSeconds(c)) return null;
  const f = parsed.data;
  return {
    providerId: f.p,
    state: f.s,
    nonce: f.n,
    codeVerifier: f.v,
    intent: f.i,
    userId: f.u,
    returnTo: f.r,
    expiresAt: f.e,
  };
}
