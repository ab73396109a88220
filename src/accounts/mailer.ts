import type { Config } from '../config';
import { unavailable } from '../http/errors';
import { log } from '../http/log';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  /** Links the message asks the person to follow; kept separately so tests and the outbox can show them. */
  links: string[];
}

/** The narrow port every mail transport implements. */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

/** Development and tests: every message is stored in the `dev_outbox` table and logged. */
export function createOutboxMailer(db: D1Database, now: () => number): Mailer {
  return {
    async send(message) {
      await db
        .prepare(
          'INSERT INTO dev_outbox (to_addr, subject, body_text, links, created_at) VALUES (?, ?, ?, ?, ?)',
        )
        .bind(
          message.to,
          message.subject,
          message.text,
          JSON.stringify(message.links),
          Math.floor(now() / 1000),
        )
        .run();
      log('info', 'mail.outbox', { to: message.to, subject: message.subject, links: message.links });
    },
  };
}

/**
 * Production: an HTTP email API that takes `{ from, to, subject, text }` as JSON with a Bearer key
 * (Resend's shape; Postmark, Mailgun and others offer the same through a small adapter).
 * A failing API (network error or non-2xx) is a retryable 503 `temporarily_unavailable`.
 */
export function createHttpApiMailer(config: Config, fetchFn: typeof fetch): Mailer {
  const { apiUrl, apiKey, from } = config.mail;
  if (!apiUrl || !apiKey) throw new TypeError('createHttpApiMailer needs MAIL_API_URL and MAIL_API_KEY');
  return {
    async send(message) {
      let res: Response;
      try {
        res = await fetchFn(apiUrl, {
          method: 'POST',
          headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ from, to: [message.to], subject: message.subject, text: message.text }),
        });
      } catch (err) {
        throw unavailable(err);
      }
      if (!res.ok) {
        log('error', 'mail.failed', { status: res.status, subject: message.subject });
        throw unavailable(new Error(`mail API answered ${res.status}`));
      }
      log('info', 'mail.sent', { subject: message.subject });
    },
  };
}

export function createMailer(
  config: Config,
  db: D1Database,
  fetchFn: typeof fetch,
  now: () => number,
): Mailer {
  if (config.environment === 'production' || (config.mail.apiUrl && config.mail.apiKey)) {
    return createHttpApiMailer(config, fetchFn);
  }
  return createOutboxMailer(db, now);
}
