import { expect } from 'vitest';
import { BrowserLike, hiddenField } from './browser-like';

/** A person with a confirmed account, signed out, and the cookie jar of their browser. */
export interface Person {
  browser: BrowserLike;
  email: string;
  password: string;
}

/**
 * Signs up through the pages, confirms the address with the link from the dev outbox, and signs
 * out again, so that a later authorization has to go through /login like a returning person.
 */
export async function createPerson(base: string, label: string): Promise<Person> {
  const browser = new BrowserLike(base);
  const email = `${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  const password = `a long ${label} password`;
  expect((await browser.signUp(email, password)).status).toBe(303);

  const link = new URL((await browser.mailTo(email))[0]!.links[0]!);
  const confirm = await browser.page(link.pathname + link.search);
  const confirmed = await browser.postForm('/verify-email', {
    token: link.searchParams.get('token')!,
    csrf_token: confirm.csrf,
  });
  expect(confirmed.status).toBe(200);

  const home = await browser.page('/');
  expect((await browser.postForm('/logout', { csrf_token: home.csrf })).status).toBe(303);
  return { browser, email, password };
}

/**
 * Plays the person's browser on an authorization URL a client printed or built: opens it, signs in
 * on /login if asked to, approves on the consent page, and returns the redirect back to the client
 * (the Location of the approval), without following it.
 */
export async function approveAuthorization(person: Person, authorizationUrl: string): Promise<URL> {
  const { browser } = person;
  let res = await browser.get(authorizationUrl);
  if (res.status === 303) {
    const login = res.headers.get('location')!;
    expect(login.startsWith('/login?return_to=')).toBe(true);
    const page = await browser.page(login);
    const signedIn = await browser.postForm(login, {
      email: person.email,
      password: person.password,
      csrf_token: page.csrf,
    });
    expect(signedIn.status).toBe(303);
    res = await browser.get(signedIn.headers.get('location')!);
  }
  expect(res.status).toBe(200);
  const html = await res.text();
  const request = hiddenField(html, 'request');
  expect(request, 'the consent page carries the request').toBeDefined();
  const decision = await browser.postForm('/oauth2/authorize', {
    request: request!.replace(/&amp;/g, '&'),
    csrf_token: hiddenField(html, 'csrf_token')!,
    decision: 'approve',
  });
  expect(decision.status).toBe(302);
  return new URL(decision.headers.get('location')!);
}

/** Creates a personal access token on /settings/api (the person must be signed in and confirmed). */
export async function createPersonalAccessToken(person: Person, name: string): Promise<string> {
  const { browser } = person;
  if (!(await browser.page('/')).html.includes(person.email)) {
    const page = await browser.page('/login');
    const signedIn = await browser.postForm('/login', {
      email: person.email,
      password: person.password,
      csrf_token: page.csrf,
    });
    expect(signedIn.status).toBe(303);
  }
  const settings = await browser.page('/settings/api');
  const created = await browser.postForm('/settings/api/tokens', { name, csrf_token: settings.csrf });
  expect(created.status).toBe(201);
  const token = /id="new-token"[^>]*value="(tskdp_[0-9A-Za-z]+)"/.exec(await created.text())?.[1];
  expect(token).toMatch(/^tskdp_/);
  return token!;
}
