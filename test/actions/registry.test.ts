import { describe, expect, it } from 'vitest';
import { ACTIONS, actionsFor, findAction } from '../../src/actions/registry';
import { jsonSchemaOf } from '../../src/surfaces/json-schema';
import { REST_V1_ROUTES } from '../../src/surfaces/rest-v1/route-table';
import { FIXTURES } from './fixtures';

describe('the action registry', () => {
  it('has unique camelCase names', () => {
    const names = ACTIONS.map((a) => a.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[a-z][A-Za-z0-9]+$/);
  });

  it('has a test fixture for every action, so each new action is exercised on every surface', () => {
    expect(Object.keys(FIXTURES).sort()).toEqual(ACTIONS.map((a) => a.name).sort());
  });

  it('gives every action a title, a description and consistent annotations', () => {
    for (const action of ACTIONS) {
      expect(action.title.length, action.name).toBeGreaterThan(3);
      expect(action.description.length, action.name).toBeGreaterThan(20);
      if (action.annotations.readOnly) {
        expect(action.annotations.destructive, action.name).toBe(false);
        expect(action.annotations.idempotent, action.name).toBe(true);
      }
    }
    expect(
      ACTIONS.filter((a) => a.annotations.destructive)
        .map((a) => a.name)
        .sort(),
    ).toEqual(['deleteProject', 'deleteTask']);
  });

  it('turns every input and output into an object JSON Schema that rejects unknown input fields', () => {
    for (const action of ACTIONS) {
      const input = jsonSchemaOf(action.input, 'input');
      const output = jsonSchemaOf(action.output, 'output');
      expect(input.type, action.name).toBe('object');
      expect(input.additionalProperties, action.name).toBe(false);
      expect(output.type, action.name).toBe('object');
      expect(jsonSchemaOf(action.input, 'input')).toBe(input);
    }
  });

  it('exposes every action on both the MCP and the API scopes', () => {
    expect(actionsFor('mcp')).toEqual(ACTIONS);
    expect(actionsFor('api')).toEqual(ACTIONS);
  });

  it('has exactly one REST v1 route per API action, and no route without an action', () => {
    const routed = REST_V1_ROUTES.map((r) => r.action);
    expect(routed.sort()).toEqual(
      actionsFor('api')
        .map((a) => a.name)
        .sort(),
    );
    for (const route of REST_V1_ROUTES) expect(findAction(route.action), route.action).toBeDefined();
  });
});
