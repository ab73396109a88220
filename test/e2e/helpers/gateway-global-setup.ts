import type { TestProject } from 'vitest/node';
import { FIXTURE_BEARER } from '../../gateway/integration/provided';
import { type RunningUpstream, startFixtureUpstream, startServerEverything } from './upstreams';

/** Starts the real upstreams on loopback (Node side) before the workerd tests run; stops them after. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started: RunningUpstream[] = [];
  try {
    const [fixture, keyed, everything] = await Promise.all([
      startFixtureUpstream(),
      startFixtureUpstream({ bearer: FIXTURE_BEARER }),
      startServerEverything(),
    ]);
    started.push(fixture, keyed, everything);
    project.provide('fixtureOrigin', fixture.origin);
    project.provide('keyedFixtureOrigin', keyed.origin);
    project.provide('everythingUrl', everything.url);
  } catch (error) {
    await Promise.all(started.map((u) => u.stop()));
    throw error;
  }
  return async () => {
    await Promise.all(started.map((u) => u.stop()));
  };
}
