import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';

/** Debian's Chromium; tests never download a browser. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
}

/** What a page did that a person would notice: console errors, failed requests, CSP violations. */
export interface PageProblems {
  consoleErrors: string[];
  failedRequests: string[];
  cspViolations: string[];
}

export function watch(page: Page): PageProblems {
  const problems: PageProblems = { consoleErrors: [], failedRequests: [], cspViolations: [] };
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = `${msg.text()} (${msg.location().url || page.url()})`;
    if (/Content Security Policy/i.test(text)) problems.cspViolations.push(text);
    else problems.consoleErrors.push(text);
  });
  page.on('pageerror', (err) => problems.consoleErrors.push(String(err)));
  page.on('requestfailed', (req) => {
    // A navigation that we deliberately leave (redirect to a loopback callback) is not a failure.
    const failure = req.failure()?.errorText ?? '';
    if (failure.includes('ERR_ABORTED')) return;
    problems.failedRequests.push(`${req.method()} ${req.url()} ${failure}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 500)
      problems.failedRequests.push(`${res.request().method()} ${res.url()} ${res.status()}`);
  });
  return problems;
}

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: number;
}

/**
 * Runs axe-core in the page. It is evaluated through the DevTools protocol, which the page's CSP
 * does not govern, so the page's own CSP stays strict while we audit it.
 */
export async function axeSeriousViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    // biome-ignore lint/suspicious/noExplicitAny: axe is injected at run time
    const axe = (globalThis as any).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map(
      (v: { id: string; impact: string | null; help: string; nodes: unknown[] }) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.length,
      }),
    );
  });
  return (violations as AxeViolation[]).filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

const FOCUSABLE = 'a[href], button, input:not([type=hidden]), select, textarea, summary';

/**
 * Every control a keyboard user must reach (visible links, buttons, fields), numbered in document
 * order. The number is stored on the element so {@link tabOrder} can recognise it unambiguously.
 */
export async function focusableControls(page: Page): Promise<string[]> {
  return page.evaluate((selector) => {
    const out: string[] = [];
    let i = 0;
    for (const el of document.querySelectorAll<HTMLElement>(selector)) {
      // checkVisibility() also hides what sits in a closed <details>, which Tab rightly skips.
      if (!el.checkVisibility({ visibilityProperty: true })) continue;
      // Tab enters a radio group once, at its checked button; arrow keys move within it.
      if (el instanceof HTMLInputElement && el.type === 'radio' && !el.checked) continue;
      el.dataset.focusIndex = String(i);
      out.push(
        `${i}:${el.tagName.toLowerCase()}:${el.id || el.getAttribute('name') || el.getAttribute('href') || ''}`,
      );
      i++;
    }
    return out;
  }, FOCUSABLE);
}

/**
 * Presses Tab until focus comes back around and returns the controls (as numbered by
 * {@link focusableControls}, which must run first) that received focus.
 */
export async function tabOrder(page: Page, limit = 200): Promise<string[]> {
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  const seen: string[] = [];
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    const label = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body || el.dataset.focusIndex === undefined) return '';
      return `${el.dataset.focusIndex}:${el.tagName.toLowerCase()}:${el.id || el.getAttribute('name') || el.getAttribute('href') || ''}`;
    });
    if (!label) continue;
    if (seen.includes(label)) break;
    seen.push(label);
  }
  return seen;
}

export async function newContext(
  browser: Browser,
  viewport = { width: 1280, height: 860 },
): Promise<BrowserContext> {
  return browser.newContext({ viewport, deviceScaleFactor: 1 });
}

/** Nothing a person would notice went wrong: no CSP violation, console error or failed request. */
export function expectClean(problems: PageProblems): void {
  expect(problems.cspViolations).toEqual([]);
  expect(problems.consoleErrors).toEqual([]);
  expect(problems.failedRequests).toEqual([]);
}

/** No serious or critical axe violation, and every visible control is reachable with Tab. */
export async function audit(page: Page): Promise<void> {
  expect(await axeSeriousViolations(page)).toEqual([]);
  const controls = await focusableControls(page);
  const reachable = await tabOrder(page);
  expect(controls.length).toBeGreaterThan(0);
  for (const control of controls) expect(reachable).toContain(control);
}
