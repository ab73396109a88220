/**
 * Registration bodies as real MCP clients send them (see the research notes on client behaviour:
 * redirect URIs, auth methods and quirks per client), with the redirect URI each one then uses at
 * /authorize. The loopback ports at authorization differ from the registered ones on purpose: Claude
 * Code, VS Code and mcp-remote listen on ephemeral ports (RFC 8252 §7.3).
 */
export interface ClientFixture {
  name: string;
  registration: Record<string, unknown>;
  authorizeRedirectUri: string;
  /** The scope string the client asks for at /authorize, as observed. */
  scope?: string;
}

export const CLIENT_FIXTURES: ClientFixture[] = [
  {
    name: 'Claude (claude.ai, client_secret_post: claude-ai-mcp#1043)',
    registration: {
      client_name: 'Claude',
      redirect_uris: ['https://claude.ai/api/mcp/auth_callback', 'https://claude.com/api/mcp/auth_callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
      scope: 'claudeai',
    },
    authorizeRedirectUri: 'https://claude.com/api/mcp/auth_callback',
    scope: 'claudeai',
  },
  {
    name: 'Claude Code (DCR, ephemeral localhost port)',
    registration: {
      client_name: 'Claude Code (gatehouse)',
      redirect_uris: ['http://localhost/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    },
    authorizeRedirectUri: 'http://localhost:49213/callback',
    scope: 'mcp',
  },
  {
    name: 'Cursor (custom scheme, https and loopback in one request)',
    registration: {
      client_name: 'Cursor',
      redirect_uris: [
        'cursor://anysphere.cursor-mcp/oauth/callback',
        'https://www.cursor.com/agents/mcp/oauth/callback',
        'http://localhost:8787/callback',
      ],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    },
    authorizeRedirectUri: 'cursor://anysphere.cursor-mcp/oauth/callback',
  },
  {
    name: 'VS Code (random port when 33418 is busy: vscode#278512)',
    registration: {
      client_name: 'Visual Studio Code',
      redirect_uris: [
        'https://insiders.vscode.dev/redirect',
        'https://vscode.dev/redirect',
        'http://127.0.0.1/',
        'http://127.0.0.1:33418/',
      ],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    },
    authorizeRedirectUri: 'http://127.0.0.1:51877/',
    scope: 'mcp',
  },
  {
    name: 'ChatGPT (per-connector redirect)',
    registration: {
      client_name: 'ChatGPT',
      redirect_uris: [
        'https://chatgpt.com/connector_platform_oauth_redirect',
        'https://chatgpt.com/connector/oauth/c_4f2a9b7e',
      ],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    authorizeRedirectUri: 'https://chatgpt.com/connector/oauth/c_4f2a9b7e',
    scope: 'mcp',
  },
  {
    name: 'mcp-remote 0.1.38 (software_id, falls back to openid email profile)',
    registration: {
      redirect_uris: ['http://localhost:3335/oauth/callback'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      client_name: 'MCP CLI Proxy',
      client_uri: 'https://github.com/modelcontextprotocol/mcp-cli',
      software_id: '2e6dc280-f3c3-4e01-99a7-8181dbd1d23d',
      software_version: '0.1.38',
    },
    authorizeRedirectUri: 'http://localhost:3335/oauth/callback',
    scope: 'openid email profile',
  },
  {
    name: 'MCP Inspector (browser, two callbacks)',
    registration: {
      client_name: 'MCP Inspector',
      redirect_uris: ['http://localhost:6274/oauth/callback', 'http://localhost:6274/oauth/callback/debug'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      client_uri: 'https://github.com/modelcontextprotocol/inspector',
      scope: 'mcp',
    },
    authorizeRedirectUri: 'http://localhost:6274/oauth/callback/debug',
  },
];

/** Redirect URIs that must never be registered, with the tricks used to smuggle them past filters. */
export const HOSTILE_REDIRECT_URIS: string[] = [
  'javascript:alert(1)',
  'JavaScript:alert(1)',
  'JAVASCRIPT://%0aalert(1)',
  'javascript://example.com/%0aalert(1)',
  ' javascript:alert(1)',
  'java\tscript:alert(1)',
  'java\nscript:alert(1)',
  'javascript\r:alert(1)',
  '\u0000javascript:alert(1)',
  '\u00a0javascript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'DATA:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
  'file:///etc/passwd',
  'FILE://localhost/etc/passwd',
  'vbscript:msgbox(1)',
  'VbScript:msgbox(1)',
  'blob:https://client.example/1234',
  'https://client.example/cb#fragment',
  'https://client.example/cb#',
  'https://client.example/c\u0000b',
  'https://client.example/cb\r\nSet-Cookie: x=1',
  'https://client.example/cb ',
  ' https://client.example/cb',
  'https://client.example/c b',
  'https://client.example\\@evil.example/cb',
  'https://client.example/\u2028',
  'http://client.example/cb',
  'http://127.0.0.1.evil.example/cb',
  'http://localhost.evil.example/cb',
  'http://169.254.169.254/latest',
  'https://user:pass@client.example/cb',
  '//client.example/cb',
  '/relative/cb',
  'client.example/cb',
  '',
  'https://',
  'x'.repeat(3000),
];
