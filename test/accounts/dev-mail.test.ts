import { describe, expect, it } from 'vitest';
import { createTestApp, uniqueEmail } from '../helpers/app';
import { IpBrowser } from './support';

interface OutboxEntry {
  to: string;
  subject: string;
  text: string;
  links: string[];
}

describe('GET /dev/mail.json', () => {
  it('lists sent messages newest first as { to, subject, text, links }', async () => {
    const app = createTestApp();
    const first = uniqueEmail('outbox-a');
    const second = uniqueEmail('outbox-b');
    await new IpBrowser(app).signUp(first);
    await new IpBrowser(app).signUp(second);
    const res = await app.fetch('/dev/mail.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const mail = (await res.json()) as OutboxEntry[];
    const mine = mail.filter((m) => m.to === first || m.to === second);
    expect(mine.map((m) => m.to)).toEqual([second, first]);
    for (const m of mine) {
      expect(typeof m.subject).toBe('string');
      expect(m.text).toContain(m.links[0]);
      expect(m.links[0]).toMatch(/\/verify-email\?token=[\w-]{43}$/);
    }
  });
});

describe('GET /dev/mail', () => {
  it('shows the outbox as a page with the links escaped', async () => {
    const app = createTestApp();
    const email = uniqueEmail('outbox-html');
    await new IpBrowser(app).signUp(email);
    const res = await app.fetch('/dev/mail');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(email);
    expect(html).toMatch(/<a href="http:\/\/localhost\/verify-email\?token=[\w-]{43}">/);
  });
});

describe('the development outbox outside development', () => {
  it('is 404 in production and in test environments', async () => {
    const envs = [
      {
        ENVIRONMENT: 'production',
        PUBLIC_URL: 'https://gh.example.com',
        MAIL_API_URL: 'https://mail.example.com/emails',
        MAIL_API_KEY: 'test-key',
      },
      { ENVIRONMENT: 'test' },
    ];
    for (const env of envs) {
      const app = createTestApp({ env, fetch: async () => new Response('{}') });
      for (const path of ['/dev/mail', '/dev/mail.json', '/dev/mail/', '/dev/anything']) {
        const res = await app.fetch(path);
        expect(res.status, `${env.ENVIRONMENT} ${path}`).toBe(404);
        expect(await res.text()).not.toContain('@example.com');
      }
    }
  });
});
