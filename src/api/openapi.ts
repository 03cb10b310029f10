/**
 * The OpenAPI 3.1 document, built from the route declarations (so no route goes undocumented)
 * plus the few routes outside `/api/v1`: health, metrics and the document itself.
 */
import type { RouteDef } from './route.ts';
import type { Schema } from './schema.ts';
import { COMPONENT_SCHEMAS } from './openapi-schemas.ts';

/** Where the REST API lives. */
export const API_BASE = '/api/v1';

/** Builds the document for these routes. */
export function openApiDocument(routes: readonly RouteDef[], version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = `${API_BASE}${route.path}`;
    (paths[path] ??= {})[route.method] = operationOf(route);
  }
  Object.assign(paths, SYSTEM_PATHS);

  return {
    openapi: '3.1.0',
    info: {
      title: 'Callsign API',
      version,
      description:
        'People, plans, runs, operations, numbers and audit of a Callsign engine. ' +
        'SCIM 2.0 is served under /scim/v2 (RFC 7644) with the same bearer tokens.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'A token from `callsign tokens create`; scopes read ⊂ write ⊂ admin',
        },
      },
      schemas: COMPONENT_SCHEMAS,
      responses: ERROR_RESPONSES,
    },
  };
}

function operationOf(route: RouteDef) {
  const parameters: unknown[] = [];
  for (const name of route.path.match(/\{(\w+)\}/g) ?? []) {
    const key = name.slice(1, -1);
    parameters.push({
      name: key,
      in: 'path',
      required: true,
      schema: { type: 'string' },
      description: route.params?.[key] ?? key,
    });
  }
  for (const [name, q] of Object.entries(route.query ?? {})) {
    const explode = 'type' in q.schema && q.schema.type === 'array' ? { explode: false } : {};
    parameters.push({
      name,
      in: 'query',
      required: false,
      schema: q.schema,
      description: q.description,
      ...explode,
    });
  }

  const responses: Record<string, unknown> = {
    [route.response.status]: {
      description: route.response.description,
      content: {
        [route.response.contentType ?? 'application/json']: { schema: route.response.schema },
      },
    },
  };
  const errors = new Set<number>([...(route.errors ?? []), 500]);
  if (route.scope !== 'none') for (const s of [401, 403, 429]) errors.add(s);
  if (route.body || route.rawBody) errors.add(400).add(413);
  for (const status of [...errors].sort()) {
    responses[status] = { $ref: `#/components/responses/E${status}` };
  }

  return {
    operationId: operationId(route),
    tags: [route.tag],
    summary: route.summary,
    ...(route.scope === 'none' ? { security: [] } : { 'x-scope': route.scope }),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body
      ? {
          requestBody: { required: false, content: { 'application/json': { schema: route.body } } },
        }
      : {}),
    ...(route.rawBody
      ? {
          requestBody: {
            required: true,
            description: route.rawBody.description,
            content: { [route.rawBody.contentType]: { schema: { type: 'string' } } },
          },
        }
      : {}),
    responses,
  };
}

function operationId(route: RouteDef): string {
  const words = route.path.split('/').filter((w) => w !== '' && !w.startsWith('{'));
  const byId = route.path.endsWith('}') ? 'ById' : '';
  return route.method + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('') + byId;
}

const errorSchema: Schema = { $ref: '#/components/schemas/Error' };

const ERROR_RESPONSES = Object.fromEntries(
  (
    [
      [400, 'The request is malformed; `details.field` names the field'],
      [401, 'No token, or a token that is unknown or revoked'],
      [403, "The token's scope does not allow this"],
      [404, 'No such record'],
      [409, 'The record is not in a state that allows this'],
      [413, 'The request body is larger than api.maxBodyBytes'],
      [422, 'The value was refused'],
      [429, 'Too many requests for this token; Retry-After says when to try again'],
      [500, 'Internal error (details are in the server log only)'],
      [502, 'A source or target refused or answered partly'],
      [503, 'A source, target or the store cannot be reached'],
    ] as const
  ).map(([status, description]) => [
    `E${status}`,
    {
      description,
      content: { 'application/json': { schema: errorSchema } },
    },
  ]),
);

const SYSTEM_PATHS: Record<string, Record<string, unknown>> = {
  '/health': {
    get: {
      operationId: 'getHealth',
      tags: ['system'],
      security: [],
      summary: 'Liveness: the store answers; the queue depth',
      responses: {
        200: {
          description: 'Healthy',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Health' } } },
        },
        503: {
          description: 'The store does not answer',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Health' } } },
        },
      },
    },
  },
  '/metrics': {
    get: {
      operationId: 'getMetrics',
      tags: ['system'],
      summary: 'Prometheus metrics; no token needed when the server listens on loopback only',
      'x-scope': 'read',
      responses: {
        200: {
          description: 'Prometheus text exposition format 0.0.4',
          content: { 'text/plain': { schema: { type: 'string' } } },
        },
        401: { $ref: '#/components/responses/E401' },
      },
    },
  },
  [`${API_BASE}/openapi.json`]: {
    get: {
      operationId: 'getOpenApi',
      tags: ['system'],
      security: [],
      summary: 'This document',
      responses: {
        200: {
          description: 'OpenAPI 3.1',
          content: { 'application/json': { schema: { type: 'object' } } },
        },
      },
    },
  },
};
