import type { Action } from '../../actions/action';
import { actionsFor, findAction } from '../../actions/registry';
import { type JsonSchemaObject, jsonSchemaOf } from '../json-schema';
import { SERVER_VERSION } from '../mcp/server';
import { pathParams, REST_V1_ROUTES, type RestRoute, takesBody } from './route-table';

/**
 * The OpenAPI 3.1 document for REST v1 and the Action API v2, generated from the registry and the v1
 * route table — there is no hand-maintained copy. OpenAPI 3.1 schemas are JSON Schema 2020-12, so the
 * actions' schemas are used as they are (minus `$schema`).
 * @see https://spec.openapis.org/oas/v3.1.0
 */
function schemaOf(action: Action, io: 'input' | 'output'): JsonSchemaObject {
  const { $schema: _ignored, ...schema } = jsonSchemaOf(io === 'input' ? action.input : action.output, io);
  return schema;
}

function propertiesOf(schema: JsonSchemaObject): Record<string, JsonSchemaObject> {
  const props = schema.properties;
  const out: Record<string, JsonSchemaObject> = {};
  if (typeof props !== 'object' || props === null) return out;
  for (const [k, v] of Object.entries(props)) {
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) out[k] = { ...v };
  }
  return out;
}

function requiredOf(schema: JsonSchemaObject): string[] {
  return Array.isArray(schema.required)
    ? schema.required.filter((r): r is string => typeof r === 'string')
    : [];
}

const errorResponses = {
  '400': { $ref: '#/components/responses/Error' },
  '401': { $ref: '#/components/responses/Unauthorized' },
  '403': { $ref: '#/components/responses/Error' },
  '404': { $ref: '#/components/responses/Error' },
  '409': { $ref: '#/components/responses/Error' },
  '413': { $ref: '#/components/responses/Error' },
  '415': { $ref: '#/components/responses/Error' },
  '429': { $ref: '#/components/responses/Error' },
};

function okEnvelope(properties: Record<string, unknown>, required: string[]): JsonSchemaObject {
  return {
    type: 'object',
    properties: { ok: { const: true }, ...properties },
    required: ['ok', ...required],
  };
}

function restOperation(route: RestRoute, action: Action): JsonSchemaObject {
  const input = schemaOf(action, 'input');
  const output = schemaOf(action, 'output');
  const inputProps = propertiesOf(input);
  const required = new Set(requiredOf(input));
  const inPath = pathParams(route.path);
  const parameters: JsonSchemaObject[] = inPath.map((name) => ({
    name,
    in: 'path',
    required: true,
    schema: inputProps[name] ?? { type: 'string' },
  }));
  const bodyProps: Record<string, JsonSchemaObject> = {};
  for (const [name, schema] of Object.entries(inputProps)) {
    if (inPath.includes(name)) continue;
    if (takesBody(route)) bodyProps[name] = schema;
    else parameters.push({ name, in: 'query', required: required.has(name), schema });
  }
  const operation: JsonSchemaObject = {
    operationId: action.name,
    summary: action.title,
    description: action.description,
    tags: [
      route.path.includes('/tasks') ? 'Tasks' : route.path.includes('/projects') ? 'Projects' : 'Account',
    ],
    parameters,
    responses: {
      [String(route.status ?? 200)]: {
        description: action.title,
        content: {
          'application/json': { schema: okEnvelope(propertiesOf(output), requiredOf(output)) },
        },
      },
      ...errorResponses,
    },
    'x-action-annotations': action.annotations,
  };
  if (takesBody(route)) {
    operation.requestBody = {
      required: true,
      content: {
        'application/json': {
          schema: {
            type: 'object',
            properties: bodyProps,
            required: [...required].filter((r) => !inPath.includes(r)),
            additionalProperties: false,
          },
        },
      },
    };
  }
  return operation;
}

function actionApiOperation(action: Action): JsonSchemaObject {
  return {
    operationId: `v2_${action.name}`,
    summary: action.title,
    description: action.description,
    tags: ['Action API v2'],
    requestBody: { required: true, content: { 'application/json': { schema: schemaOf(action, 'input') } } },
    responses: {
      '200': {
        description: action.title,
        content: {
          'application/json': { schema: okEnvelope({ result: schemaOf(action, 'output') }, ['result']) },
        },
      },
      ...errorResponses,
    },
    'x-action-annotations': action.annotations,
  };
}

export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, JsonSchemaObject>> = {};
  for (const route of REST_V1_ROUTES) {
    const action = findAction(route.action);
    if (!action) throw new TypeError(`no action ${route.action}`);
    const path = route.path.replace(/:([A-Za-z]+)/g, '{$1}');
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: restOperation(route, action) };
  }
  for (const action of actionsFor('api')) {
    paths[`/api/v2/${action.name}`] = { post: actionApiOperation(action) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Gatehouse API',
      version: SERVER_VERSION,
      description:
        'Your Gatehouse workspace over HTTP. REST v1 has resource routes; the Action API v2 has one ' +
        'POST route per action. Both take a Bearer token: an OAuth access token with the `api` scope ' +
        'or a personal access token.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    tags: [
      { name: 'Account' },
      { name: 'Projects' },
      { name: 'Tasks' },
      { name: 'Action API v2', description: 'POST /api/v2/<action> with the input as JSON.' },
    ],
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'OAuth access token (scope api) or tskdp_ token',
        },
      },
      schemas: {
        Error: {
          type: 'object',
          properties: {
            ok: { const: false },
            error: {
              type: 'object',
              properties: {
                code: { type: 'string' },
                message: { type: 'string' },
                details: { type: 'object' },
              },
              required: ['code', 'message'],
            },
          },
          required: ['ok', 'error'],
        },
      },
      responses: {
        Error: {
          description: 'An error, with a stable code',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
        Unauthorized: {
          description: 'Missing, invalid, expired or revoked token; see the WWW-Authenticate header',
          headers: { 'WWW-Authenticate': { schema: { type: 'string' } } },
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
    },
  };
}
