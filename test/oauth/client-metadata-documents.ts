/**
 * Client ID metadata documents as real MCP clients publish them (research notes on client
 * behaviour, and the clients' own repositories), byte for byte apart from nothing: each `client_id`
 * is the client's real URL. The workerd tests serve them at that URL through the injected fetch;
 * the end-to-end tests serve them from a loopback server, with `client_id` moved to that address
 * (see {@link relocated}).
 *
 * `authorizeRedirectUris` are what the client sends at /authorize — loopback ports differ from the
 * document on purpose (RFC 8252 §7.3); `refusedRedirectUris` are near misses that must never match,
 * because redirect URIs stay strict apart from the loopback port.
 */
export interface MetadataDocumentFixture {
  name: string;
  /** Where the document was observed. */
  source: string;
  document: Record<string, unknown> & { client_id: string };
  authorizeRedirectUris: string[];
  refusedRedirectUris: string[];
  /** What Gatehouse records for it. */
  applicationType: 'web' | 'native';
}

export const METADATA_DOCUMENT_FIXTURES: MetadataDocumentFixture[] = [
  {
    name: 'Claude (claude.ai connectors; lists the jwt-bearer grant)',
    source: 'https://claude.ai/oauth/mcp-oauth-client-metadata as fetched 2026-09',
    document: {
      client_id: 'https://claude.ai/oauth/mcp-oauth-client-metadata',
      client_name: 'Claude',
      client_uri: 'https://claude.ai',
      redirect_uris: ['https://claude.ai/api/mcp/auth_callback'],
      grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:jwt-bearer'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    },
    authorizeRedirectUris: ['https://claude.ai/api/mcp/auth_callback'],
    refusedRedirectUris: [
      'https://claude.com/api/mcp/auth_callback',
      'https://claude.ai/api/mcp/auth_callback/',
      'https://claude.ai/api/mcp/auth_callback?x=1',
    ],
    applicationType: 'web',
  },
  {
    name: 'Claude Code (portless loopback URIs, listens on 3118 or a random port)',
    source: 'https://claude.ai/oauth/claude-code-client-metadata (claude-code#37747)',
    document: {
      client_id: 'https://claude.ai/oauth/claude-code-client-metadata',
      client_name: 'Claude Code',
      client_uri: 'https://claude.ai',
      redirect_uris: ['http://localhost/callback', 'http://127.0.0.1/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    },
    authorizeRedirectUris: ['http://localhost:3118/callback', 'http://127.0.0.1:53172/callback'],
    refusedRedirectUris: [
      'http://localhost:3118/callback/other',
      'http://[::1]:3118/callback',
      'https://localhost:3118/callback',
      'http://localhost.evil.example:3118/callback',
    ],
    applicationType: 'web',
  },
  {
    name: 'VS Code (native; lists the device-code grant: stacklok/toolhive#6290)',
    source: 'https://vscode.dev/oauth/client-metadata.json (vscode PR #271403)',
    document: {
      client_name: 'Visual Studio Code',
      logo_uri: 'https://code.visualstudio.com/assets/branding/code-stable.png',
      grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      application_type: 'native',
      client_id: 'https://vscode.dev/oauth/client-metadata.json',
      client_uri: 'https://vscode.dev/product',
      redirect_uris: ['http://127.0.0.1:33418/', 'https://vscode.dev/redirect'],
    },
    // 33418 as listed, a random port when it is busy (vscode#278512), and the web redirect.
    authorizeRedirectUris: [
      'http://127.0.0.1:33418/',
      'http://127.0.0.1:51877/',
      'https://vscode.dev/redirect',
    ],
    refusedRedirectUris: [
      'http://localhost:33418/',
      'https://insiders.vscode.dev/redirect',
      'http://127.0.0.1:33418/callback',
    ],
    applicationType: 'native',
  },
  {
    name: 'Goose (its first document: bare http://localhost, aaif-goose/goose PR #8550)',
    source: 'documentation/static/oauth/client-metadata.json as first published',
    document: {
      client_id: 'https://goose-docs.ai/oauth/client-metadata.json',
      client_name: 'Goose',
      redirect_uris: ['http://localhost'],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      scope: 'openid profile email',
      code_challenge_methods_supported: ['S256'],
    },
    authorizeRedirectUris: ['http://localhost:54321', 'http://localhost:54321/'],
    refusedRedirectUris: ['http://localhost:54321/oauth_callback', 'http://127.0.0.1:54321/'],
    applicationType: 'web',
  },
  {
    name: 'Goose (current document: http://localhost/oauth_callback)',
    source: 'https://goose-docs.ai/oauth/client-metadata.json',
    document: {
      client_id: 'https://goose-docs.ai/oauth/client-metadata.json',
      client_name: 'Goose',
      redirect_uris: ['http://localhost/oauth_callback'],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      scope: 'openid profile email',
      code_challenge_methods_supported: ['S256'],
    },
    authorizeRedirectUris: ['http://localhost:54321/oauth_callback'],
    refusedRedirectUris: ['http://localhost:54321/', 'http://localhost:54321/oauth_callback/x'],
    applicationType: 'web',
  },
  {
    name: 'opencode (native, loopback on any port)',
    source: 'https://opencode.ai/oauth/opencode/client.json (anomalyco/opencode PR #47737)',
    document: {
      client_id: 'https://opencode.ai/oauth/opencode/client.json',
      client_name: 'opencode',
      client_uri: 'https://opencode.ai',
      logo_uri: 'https://opencode.ai/web-app-manifest-512x512.png',
      application_type: 'native',
      redirect_uris: ['http://127.0.0.1/callback', 'http://localhost/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      token_endpoint_auth_methods_supported: ['none'],
    },
    authorizeRedirectUris: ['http://127.0.0.1:19876/callback', 'http://localhost:19877/callback'],
    refusedRedirectUris: ['http://127.0.0.1:19876/', 'opencode://callback'],
    applicationType: 'native',
  },
  {
    name: 'ChatGPT (offers private_key_jwt and none; registers as none)',
    source: 'https://chatgpt.com/oauth/client.json (workers-oauth-provider 1.2.3 handles it the same way)',
    document: {
      client_id: 'https://chatgpt.com/oauth/client.json',
      client_name: 'ChatGPT',
      client_uri: 'https://chatgpt.com/',
      redirect_uris: ['https://chatgpt.com/connector_platform_oauth_redirect'],
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_methods_supported: ['none', 'private_key_jwt'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      jwks_uri: 'https://chatgpt.com/oauth/jwks.json',
    },
    authorizeRedirectUris: ['https://chatgpt.com/connector_platform_oauth_redirect'],
    refusedRedirectUris: [
      'https://chatgpt.com/connector/oauth/c_4f2a9b7e',
      'https://chatgpt.com.evil.example/connector_platform_oauth_redirect',
    ],
    applicationType: 'web',
  },
];

/** The same document published at another address (a loopback server in the end-to-end tests). */
export function relocated(fixture: MetadataDocumentFixture, clientId: string): Record<string, unknown> {
  return { ...fixture.document, client_id: clientId };
}
