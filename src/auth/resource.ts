import { type AppContext, publicOrigin } from '../http/context';

/** The protected resource every Bearer surface belongs to: the MCP URL people paste, `<origin>/mcp`. */
export function resourceUrl(c: AppContext): string {
  return `${publicOrigin(c)}/mcp`;
}

/** Where the resource's RFC 9728 metadata lives (path-inserted form of {@link resourceUrl}). */
export function resourceMetadataUrl(c: AppContext): string {
  return `${publicOrigin(c)}/.well-known/oauth-protected-resource/mcp`;
}
