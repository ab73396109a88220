import { newId, newSecret, sha256Hex } from '../tokens/secrets';

/**
 * The `oauth_clients` table: every SQL string about clients lives here. Registered clients are
 * durable (clients replay cached ids for months: claude-code#72818, #84614), so nothing expires them.
 */

export type RegistrationType = 'dcr' | 'cimd' | 'app';
export type TokenEndpointAuthMethod = 'none' | 'client_secret_basic' | 'client_secret_post';
/** OpenID Connect Dynamic Client Registration 1.0 §2; `web` when the client does not say. */
export type ApplicationType = 'web' | 'native';
export const APPLICATION_TYPES: readonly ApplicationType[] = ['web', 'native'];
export const AUTH_METHODS: readonly TokenEndpointAuthMethod[] = [
  'none',
  'client_secret_basic',
  'client_secret_post',
];

export interface OAuthClient {
  clientId: string;
  registrationType: RegistrationType;
  ownerUserId: string | null;
  clientName: string;
  clientUri: string | null;
  logoUri: string | null;
  redirectUris: string[];
  grantTypes: string[];
  responseTypes: string[];
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  applicationType: ApplicationType;
  /** SHA-256 hex of the secret; null for public clients. */
  secretHash: string | null;
  scope: string | null;
  softwareId: string | null;
  softwareVersion: string | null;
  metadataFetchedAt: number | null;
  createdAt: number;
  updatedAt: number;
}

interface ClientRow {
  id: string;
  registration_type: RegistrationType;
  owner_user_id: string | null;
  client_name: string;
  client_uri: string | null;
  logo_uri: string | null;
  redirect_uris: string;
  grant_types: string;
  response_types: string;
  token_endpoint_auth_method: TokenEndpointAuthMethod;
  application_type: ApplicationType;
  secret_hash: string | null;
  scope: string | null;
  software_id: string | null;
  software_version: string | null;
  metadata_fetched_at: number | null;
  created_at: number;
  updated_at: number;
}

function stringArray(json: string): string[] {
  const value: unknown = JSON.parse(json);
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function toClient(row: ClientRow): OAuthClient {
  return {
    clientId: row.id,
    registrationType: row.registration_type,
    ownerUserId: row.owner_user_id,
    clientName: row.client_name,
    clientUri: row.client_uri,
    logoUri: row.logo_uri,
    redirectUris: stringArray(row.redirect_uris),
    grantTypes: stringArray(row.grant_types),
    responseTypes: stringArray(row.response_types),
    tokenEndpointAuthMethod: row.token_endpoint_auth_method,
    applicationType: row.application_type,
    secretHash: row.secret_hash,
    scope: row.scope,
    softwareId: row.software_id,
    softwareVersion: row.software_version,
    metadataFetchedAt: row.metadata_fetched_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Longest client_id we look up; CIMD URLs are short, random ids shorter still. */
export const MAX_CLIENT_ID_LENGTH = 1024;

/** The client with this id, or null. Ids longer than any we issue are never looked up. */
export async function findClient(db: D1Database, clientId: string): Promise<OAuthClient | null> {
  if (clientId.length === 0 || clientId.length > MAX_CLIENT_ID_LENGTH) return null;
  const row = await db.prepare('SELECT * FROM oauth_clients WHERE id = ?').bind(clientId).first<ClientRow>();
  return row ? toClient(row) : null;
}

export interface NewClient {
  registrationType: 'dcr' | 'app';
  ownerUserId?: string | null;
  clientName: string;
  clientUri?: string | null;
  logoUri?: string | null;
  redirectUris: string[];
  grantTypes: string[];
  responseTypes: string[];
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  applicationType?: ApplicationType;
  scope?: string | null;
  softwareId?: string | null;
  softwareVersion?: string | null;
}

/**
 * Stores a new client. A secret is generated for confidential methods and returned in the clear once;
 * only its SHA-256 is kept.
 */
export async function insertClient(
  db: D1Database,
  input: NewClient,
  now: number,
): Promise<{ client: OAuthClient; clientSecret: string | undefined }> {
  const clientId = newId();
  const clientSecret = input.tokenEndpointAuthMethod === 'none' ? undefined : newSecret();
  const secretHash = clientSecret === undefined ? null : await sha256Hex(clientSecret);
  const row: ClientRow = {
    id: clientId,
    registration_type: input.registrationType,
    owner_user_id: input.ownerUserId ?? null,
    client_name: input.clientName,
    client_uri: input.clientUri ?? null,
    logo_uri: input.logoUri ?? null,
    redirect_uris: JSON.stringify(input.redirectUris),
    grant_types: JSON.stringify(input.grantTypes),
    response_types: JSON.stringify(input.responseTypes),
    token_endpoint_auth_method: input.tokenEndpointAuthMethod,
    application_type: input.applicationType ?? 'web',
    secret_hash: secretHash,
    scope: input.scope ?? null,
    software_id: input.softwareId ?? null,
    software_version: input.softwareVersion ?? null,
    metadata_fetched_at: null,
    created_at: now,
    updated_at: now,
  };
  await db
    .prepare(
      `INSERT INTO oauth_clients (id, registration_type, owner_user_id, client_name, client_uri, logo_uri,
         redirect_uris, grant_types, response_types, token_endpoint_auth_method, application_type,
         secret_hash, scope, software_id, software_version, metadata_fetched_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .bind(
      row.id,
      row.registration_type,
      row.owner_user_id,
      row.client_name,
      row.client_uri,
      row.logo_uri,
      row.redirect_uris,
      row.grant_types,
      row.response_types,
      row.token_endpoint_auth_method,
      row.application_type,
      row.secret_hash,
      row.scope,
      row.software_id,
      row.software_version,
      row.metadata_fetched_at,
      row.created_at,
      row.updated_at,
    )
    .run();
  return { client: toClient(row), clientSecret };
}

export interface CimdClientInput {
  clientId: string;
  clientName: string;
  clientUri: string | null;
  logoUri: string | null;
  redirectUris: string[];
  applicationType: ApplicationType;
}

/**
 * Records (or refreshes) a client known from its metadata document, so grants can reference it and
 * the token endpoint can authenticate it without fetching again. Only ever touches `cimd` rows: a
 * document can never overwrite a registered client.
 */
export async function upsertCimdClient(
  db: D1Database,
  input: CimdClientInput,
  now: number,
): Promise<OAuthClient> {
  const row = await db
    .prepare(
      `INSERT INTO oauth_clients (id, registration_type, owner_user_id, client_name, client_uri, logo_uri,
         redirect_uris, grant_types, response_types, token_endpoint_auth_method, application_type,
         secret_hash, scope, software_id, software_version, metadata_fetched_at, created_at, updated_at)
       VALUES (?, 'cimd', NULL, ?, ?, ?, ?, '["authorization_code","refresh_token"]', '["code"]', 'none', ?,
         NULL, NULL, NULL, NULL, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET client_name = excluded.client_name, client_uri = excluded.client_uri,
         logo_uri = excluded.logo_uri, redirect_uris = excluded.redirect_uris,
         application_type = excluded.application_type, metadata_fetched_at = excluded.metadata_fetched_at, updated_at = excluded.updated_at
       WHERE oauth_clients.registration_type = 'cimd'
       RETURNING *`,
    )
    .bind(
      input.clientId,
      input.clientName,
      input.clientUri,
      input.logoUri,
      JSON.stringify(input.redirectUris),
      input.applicationType,
      now,
      now,
      now,
    )
    .first<ClientRow>();
  if (!row) throw new TypeError('a registered client already holds this metadata-document id');
  return toClient(row);
}
