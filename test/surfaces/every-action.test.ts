import { describe, expect, it } from 'vitest';
import { ACTIONS } from '../../src/actions/registry';
import { FIXTURES, namesARecord, seedUser, workspaceOf } from '../actions/fixtures';
import { createTestApp } from '../helpers/app';
import { DRIVERS, expectedStatus } from './drivers';
import { mintAccessToken } from './support';

/**
 * Generated from the registry: every action, on every surface, works for its owner and gives another
 * user nothing — not-found for anything named by id, and none of the owner's data in any answer.
 */
for (const [surface, drive] of Object.entries(DRIVERS) as [keyof typeof DRIVERS, (typeof DRIVERS)['mcp']][]) {
  describe(`every action on ${surface}`, () => {
    for (const action of ACTIONS) {
      const fixture = FIXTURES[action.name]!;

      it(`${action.name} works for the owner and answers in its output schema`, async () => {
        const app = createTestApp();
        const seed = await seedUser();
        const token = await mintAccessToken(app, {
          userId: seed.userId,
          scope: surface === 'mcp' ? 'mcp' : 'api',
        });
        const outcome = await drive(app, token, action.name, fixture.input(seed));
        if (!outcome.ok) throw new Error(`${action.name}: ${outcome.code} ${outcome.message}`);
        expect(action.output.safeParse(outcome.output).success).toBe(true);
        fixture.check(outcome.output, seed);
      });

      it(`${action.name} gives another user nothing of the owner's`, async () => {
        const app = createTestApp();
        const owner = await seedUser();
        const intruder = await seedUser();
        const token = await mintAccessToken(app, {
          userId: intruder.userId,
          scope: surface === 'mcp' ? 'mcp' : 'api',
        });
        const before = await workspaceOf(owner.userId);
        const input = fixture.input(owner);
        const outcome = await drive(app, token, action.name, input);
        if (namesARecord(input)) {
          expect(outcome.ok).toBe(false);
          if (!outcome.ok) {
            expect(outcome.code).toBe('not_found');
            expect(outcome.status).toBe(expectedStatus(surface, 'not_found'));
          }
        } else {
          expect(outcome.ok).toBe(true);
        }
        const answer = JSON.stringify(outcome);
        for (const secret of [
          owner.projectId,
          owner.otherProjectId,
          owner.taskId,
          owner.taskText,
          owner.userId,
        ]) {
          expect(answer).not.toContain(secret);
        }
        expect(await workspaceOf(owner.userId)).toBe(before);
      });
    }
  });
}
