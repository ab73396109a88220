import type { AppContext } from './context';
import { describeError, log } from './log';

/**
 * Runs `work` after the response has gone out (`ctx.waitUntil`), so what it does — and how long it
 * takes — cannot show in the answer: account pages use it where the answer must be the same whether
 * an email has an account or not. A failure is logged as `event`, never answered.
 */
export function afterResponse(c: AppContext, event: string, work: () => Promise<unknown>): void {
  const settled = Promise.resolve()
    .then(work)
    .catch((err: unknown) => log('error', event, { requestId: c.var.requestId, ...describeError(err) }));
  try {
    c.executionCtx.waitUntil(settled);
  } catch {
    // No execution context (some in-process callers): the promise still runs to completion.
  }
}
