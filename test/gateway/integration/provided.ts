/** What the gateway globalSetup (test/e2e/helpers/gateway-global-setup.ts) hands the workerd tests. */

/** The static key the keyed fixture upstream demands (an `api_key` upstream in the tests). */
export const FIXTURE_BEARER = 'fixture-upstream-key';

declare module 'vitest' {
  export interface ProvidedContext {
    fixtureOrigin: string;
    keyedFixtureOrigin: string;
    everythingUrl: string;
  }
}
