import { createApp } from './app';
import { ConfigError, getConfig } from './config';
import type { Env } from './env';
import { log } from './http/log';

const app = createApp();

export default {
  async fetch(request, env, ctx) {
    try {
      getConfig(env);
    } catch (err) {
      if (err instanceof ConfigError) {
        log('error', 'config.invalid', { message: err.message });
        return new Response('Gatehouse is misconfigured; see the logs.', { status: 500 });
      }
      throw err;
    }
    return app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
