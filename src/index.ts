import { createApp } from './app';
import { ConfigError, getConfig } from './config';
import type { Env } from './env';
import { purgeExpired } from './housekeeping/purge';
import { describeError, log } from './http/log';

const app = createApp();

export default {
  async fetch(request, env, ctx) {
    try {
      getConfig(env);
    } catch (err) {
      if (err instanceof ConfigError) {
        log('error', 'config.invalid', { message: err.message });
        return new Response('Gatehouse is misconfigured; see the logs.', {
          status: 500,
          headers: {
            'Content-Type': 'text/plain; charset=utf-8',
            'Cache-Control': 'no-store',
            'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
            'X-Content-Type-Options': 'nosniff',
            'Referrer-Policy': 'no-referrer',
          },
        });
      }
      throw err;
    }
    return app.fetch(request, env, ctx);
  },

  /** Cron trigger (wrangler.toml `[triggers]`): hourly housekeeping. */
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(
      purgeExpired(env.DB, Math.floor(controller.scheduledTime / 1000)).then(
        (report) => log('info', 'purge.done', { report }),
        (err) => log('error', 'purge.failed', describeError(err)),
      ),
    );
  },
} satisfies ExportedHandler<Env>;
