import { describe, expect, it } from 'vitest';
import { FormBody, readForm, readJsonObject } from '../../src/http/body';
import { AppError } from '../../src/http/errors';
import { IpBrowser } from '../accounts/support';
import { createTestApp, createUser, TEST_PASSWORD } from '../helpers/app';

const FORM_POSTS = [
  '/signup',
  '/login',
  '/logout',
  '/verify-email',
  '/verify-email/resend',
  '/forgot-password',
  '/reset-password',
];

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof AppError) return err.code;
    throw err;
  }
  return 'ok';
}

describe('account forms with hostile bodies', () => {
  it('answer a wrong or missing content type with 415', async () => {
    const browser = new IpBrowser(createTestApp());
    const { csrf } = await browser.page('/login');
    const body = new URLSearchParams({ csrf_token: csrf, email: 'a@example.com', password: TEST_PASSWORD });
    const types = [
      undefined,
      'text/plain',
      'application/json',
      'multipart/form-data; boundary=x',
      'application/x-www-form-urlencoded-evil',
      'text/html; charset=utf-8',
    ];
    for (const path of FORM_POSTS) {
      for (const type of types) {
        const headers: Record<string, string> = type ? { 'content-type': type } : {};
        const res = await browser.request(path, { method: 'POST', headers, body: body.toString() });
        expect(res.status, `${path} ${type}`).toBe(415);
      }
    }
  });

  it('accept the form content type with parameters and in any case', async () => {
    const user = await createUser();
    const browser = new IpBrowser(createTestApp());
    const { csrf } = await browser.page('/login');
    const res = await browser.request('/login', {
      method: 'POST',
      headers: { 'content-type': 'Application/X-WWW-Form-URLEncoded; charset=UTF-8' },
      body: new URLSearchParams({ csrf_token: csrf, email: user.email, password: TEST_PASSWORD }).toString(),
    });
    expect(res.status).toBe(303);
  });

  it('answer a body over 8 KiB with 413, whether or not it declares its length', async () => {
    const browser = new IpBrowser(createTestApp());
    const { csrf } = await browser.page('/login');
    const big = new URLSearchParams({ csrf_token: csrf, email: 'a@example.com', password: 'x'.repeat(9000) });
    for (const path of FORM_POSTS) {
      const declared = await browser.postForm(path, big);
      expect(declared.status, path).toBe(413);
      const stream = new Blob([big.toString()]).stream();
      const chunked = await browser.request(path, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: stream,
        // @ts-expect-error: workerd needs `duplex` for a streamed request body; the DOM types lack it
        duplex: 'half',
      });
      expect(chunked.status, `${path} streamed`).toBe(413);
    }
  });

  it('answer invalid UTF-8 with 400', async () => {
    const browser = new IpBrowser(createTestApp());
    const res = await browser.request('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new Uint8Array([0x65, 0x3d, 0xff, 0xfe]),
    });
    expect(res.status).toBe(400);
  });
});

describe('readForm', () => {
  const form = (body: string, type = 'application/x-www-form-urlencoded') =>
    new Request('http://localhost/', { method: 'POST', headers: { 'content-type': type }, body });

  it('reports duplicated fields and keeps the first value', async () => {
    const body = await readForm(form('a=1&b=2&a=3&c=&c=4'));
    expect([...body.duplicated].sort()).toEqual(['a', 'c']);
    expect(body.get('a')).toBe('1');
    expect(body.get('c')).toBeUndefined();
    expect(body.has('c')).toBe(true);
  });

  it('treats an empty field as absent', () => {
    const body = new FormBody(new URLSearchParams('x=&y=%20'));
    expect(body.get('x')).toBeUndefined();
    expect(body.get('y')).toBe(' ');
    expect(body.get('missing')).toBeUndefined();
  });

  it('enforces the byte limit exactly', async () => {
    expect(await codeOf(readForm(form('a='.padEnd(100, 'x')), 100))).toBe('ok');
    expect(await codeOf(readForm(form('a='.padEnd(101, 'x')), 100))).toBe('payload_too_large');
    // Multi-byte characters count as bytes, not characters.
    expect(await codeOf(readForm(form(`a=${'é'.repeat(50)}`), 100))).toBe('payload_too_large');
  });
});

describe('readJsonObject', () => {
  const json = (body: string, type = 'application/json') =>
    new Request('http://localhost/', { method: 'POST', headers: { 'content-type': type }, body });

  it('accepts a plain object only', async () => {
    expect(await readJsonObject(json('{"a":1}'))).toEqual({ a: 1 });
    for (const body of ['[]', 'null', '1', '"x"', '{', '', '{"a":1}x']) {
      expect(await codeOf(readJsonObject(json(body))), body).toBe('bad_request');
    }
  });

  it('refuses other content types with unsupported_media_type and big bodies with payload_too_large', async () => {
    expect(await codeOf(readJsonObject(json('{}', 'text/plain')))).toBe('unsupported_media_type');
    expect(await codeOf(readJsonObject(json(`{"a":"${'x'.repeat(200)}"}`), 100))).toBe('payload_too_large');
  });

  it('does not let __proto__ change the prototype', async () => {
    const value = await readJsonObject(json('{"__proto__":{"polluted":true}}'));
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
