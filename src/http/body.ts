import { AppError } from './errors';

/** Default cap for form and JSON bodies. Pages and OAuth endpoints send far less. */
export const DEFAULT_BODY_LIMIT = 64 * 1024;

function mediaType(request: Request): string {
  return (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * Reads the body as text, refusing more than `maxBytes` (by Content-Length up front and by counting
 * while streaming, since the header may be absent or lie).
 */
export async function readTextLimited(request: Request | Response, maxBytes: number): Promise<string> {
  const declared = request.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > maxBytes) throw tooLarge();
  if (!request.body) return '';
  if (declared !== null && /^\d+$/.test(declared)) {
    // A declared length within the limit: the runtime reads the body in one go (it refuses a body
    // longer than its Content-Length), far cheaper than counting chunks in JavaScript.
    const bytes = new Uint8Array(await request.arrayBuffer());
    if (bytes.byteLength > maxBytes) throw tooLarge();
    return decodeUtf8(bytes);
  }
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return decodeUtf8(bytes);
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new AppError('bad_request', 'The request body is not valid UTF-8.');
  }
}

function tooLarge(): AppError {
  return new AppError('payload_too_large', 'The request body is too large.');
}

/**
 * A parsed `application/x-www-form-urlencoded` body in which every field appears at most once
 * (RFC 6749 §3.1: "Request and response parameters MUST NOT be included more than once").
 */
export class FormBody {
  readonly #values = new Map<string, string>();
  readonly duplicated: readonly string[];

  constructor(params: URLSearchParams) {
    const duplicated = new Set<string>();
    for (const [key, value] of params) {
      if (this.#values.has(key)) duplicated.add(key);
      else this.#values.set(key, value);
    }
    this.duplicated = [...duplicated];
  }

  /** The field's value, or undefined when absent or empty. */
  get(name: string): string | undefined {
    const v = this.#values.get(name);
    return v === undefined || v === '' ? undefined : v;
  }

  has(name: string): boolean {
    return this.#values.has(name);
  }

  entries(): IterableIterator<[string, string]> {
    return this.#values.entries();
  }
}

/** Reads a form body; wrong content type → 415, too large → 413. Duplicates are reported, not rejected. */
export async function readForm(request: Request, maxBytes = DEFAULT_BODY_LIMIT): Promise<FormBody> {
  if (mediaType(request) !== 'application/x-www-form-urlencoded') {
    throw new AppError('unsupported_media_type', 'Send the form as application/x-www-form-urlencoded.');
  }
  const text = await readTextLimited(request, maxBytes);
  return new FormBody(new URLSearchParams(text));
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Reads a JSON object body; wrong content type → 415, too large → 413, not an object → 400. */
export async function readJsonObject(
  request: Request,
  maxBytes = DEFAULT_BODY_LIMIT,
): Promise<Record<string, unknown>> {
  if (mediaType(request) !== 'application/json') {
    throw new AppError('unsupported_media_type', 'Send the body as application/json.');
  }
  const text = await readTextLimited(request, maxBytes);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AppError('bad_request', 'The request body is not valid JSON.');
  }
  if (!isPlainObject(value)) throw new AppError('bad_request', 'The request body must be a JSON object.');
  return value;
}

export function isFormRequest(request: Request): boolean {
  return mediaType(request) === 'application/x-www-form-urlencoded';
}

export function isJsonRequest(request: Request): boolean {
  return mediaType(request) === 'application/json';
}
