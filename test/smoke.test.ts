import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/app';

describe('smoke', () => {
  it('serves the home page', async () => {
    const app = createApp();
    const res = await app.fetch(new Request('http://localhost/'), env, {} as ExecutionContext);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Gatehouse');
  });
});
