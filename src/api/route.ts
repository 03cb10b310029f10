/**
 * One API route, declared as data: method, path, scope, parameters and body schema, responses
 * and the handler. The app registers routes from these declarations and the OpenAPI document is
 * built from the same list, so every route is documented by construction.
 */
import type { Engine } from '../engine/engine.ts';
import type { ObjectSchema, Schema } from './schema.ts';
import type { TokenInfo, TokenScope, TokenStore } from './token-store.ts';

/** What route handlers work with. */
export interface ApiDeps {
  engine: Engine;
  tokens: TokenStore;
  /** Called after operations were journaled or released, so the executor looks now. */
  onQueued?: () => void;
  /** Serialises reconciliations started from the API (plans and syncs). */
  exclusive?: <T>(fn: () => Promise<T>) => Promise<T>;
}

export interface QueryParam {
  schema: Schema;
  description: string;
}

/** A request as handlers see it: parameters parsed and the body validated. */
export interface ApiRequest {
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: Record<string, unknown>;
  /** The body as sent, for routes with `rawBody` (which are not parsed as JSON). */
  text?: string;
  token: TokenInfo | undefined;
  /** `api:<token name>` for the audit. */
  actor: string;
}

export interface ApiResult {
  /** Default 200. */
  status?: 200 | 201 | 202;
  /** JSON, or the text itself when the route's response has a `contentType`. */
  body: unknown;
  /** Extra response headers (Content-Disposition of a download). */
  headers?: Record<string, string>;
}

export interface RouteDef {
  method: 'get' | 'post' | 'delete';
  /** OpenAPI style, `{name}` for parameters; relative to the API's base path. */
  path: string;
  /** `none`: no token needed. */
  scope: TokenScope | 'none';
  tag: string;
  summary: string;
  /** Path parameters' descriptions, by name (every `{name}` of the path). */
  params?: Record<string, string>;
  query?: Record<string, QueryParam>;
  body?: ObjectSchema;
  /** A body that is not JSON (a CSV upload): handed over as `text`, never parsed here. */
  rawBody?: { contentType: string; description: string };
  /** Success status and what it returns; `contentType` when it is not JSON (a download). */
  response: { status: 200 | 201 | 202; description: string; schema: Schema; contentType?: string };
  /** Error statuses this route can answer besides 401, 403, 429 and 413. */
  errors?: readonly number[];
  handler: (req: ApiRequest, deps: ApiDeps) => Promise<ApiResult>;
}

/** A reference to a component schema of the OpenAPI document. */
export function ref(name: string): Schema {
  return { $ref: `#/components/schemas/${name}` };
}

/** An array of a component schema. */
export function listOf(name: string): Schema {
  return { type: 'array', items: ref(name) };
}
