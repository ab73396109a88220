import { Hono } from 'hono';
import type { AppEnv } from '../http/context';
import { AppError } from '../http/errors';
import { Layout } from '../ui/layout';

interface OutboxRow {
  to_addr: string;
  subject: string;
  body_text: string;
  links: string;
  created_at: number;
}

/** The development outbox: `/dev/mail` (HTML) and `/dev/mail.json`. 404 unless ENVIRONMENT=development. */
export function devMailRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use('/dev/*', async function devOnly(c, next) {
    if (c.var.config.environment !== 'development') throw new AppError('not_found', 'There is nothing here.');
    c.header('Cache-Control', 'no-store');
    await next();
  });

  async function recent(db: D1Database) {
    const { results } = await db
      .prepare(
        'SELECT to_addr, subject, body_text, links, created_at FROM dev_outbox ORDER BY id DESC LIMIT 100',
      )
      .all<OutboxRow>();
    return results.map((r) => ({
      to: r.to_addr,
      subject: r.subject,
      text: r.body_text,
      links: JSON.parse(r.links) as string[],
      sent_at: new Date(r.created_at * 1000).toISOString(),
    }));
  }

  app.get('/dev/mail.json', async (c) => c.json(await recent(c.env.DB)));

  app.get('/dev/mail', async (c) => {
    const mail = await recent(c.env.DB);
    return c.html(
      <Layout title="Development outbox" serviceName={c.var.config.serviceName}>
        <h1>Development outbox</h1>
        <p class="muted">Messages the service would have emailed, newest first. Only in development.</p>
        {mail.length === 0 ? <p>No messages yet.</p> : null}
        {mail.map((m) => (
          <article class="mail">
            <h2>{m.subject}</h2>
            <p class="muted">
              To {m.to} · {m.sent_at}
            </p>
            <pre>{m.text}</pre>
            <ul>
              {m.links.map((l) => (
                <li>
                  <a href={l}>{l}</a>
                </li>
              ))}
            </ul>
          </article>
        ))}
      </Layout>,
    );
  });

  return app;
}
