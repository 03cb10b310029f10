/**
 * The SCIM 2.0 service (RFC 7643, RFC 7644) as one framework-free function: a request in, a
 * response out. The HTTP layer mounts it under `/scim/v2`, checks the bearer token and the body
 * size, and passes the path after the prefix. Every create, update, deactivation and delete of
 * a user (and every membership change) is handed to `onChange` as SourceRecords before the
 * response, so the lifecycle plan is journaled by the time the client hears back.
 */
import pino, { type Logger } from 'pino';

import type { SourceRecord } from '../core/model.ts';
import { resourceTypes, schemas, serviceProviderConfig } from './discovery.ts';
import { groupRoutes } from './groups.ts';
import type { TelecomView } from './representation.ts';
import { ScimError, toScimError } from './scim-error.ts';
import type { ScimStore } from './scim-store.ts';
import { DEFAULT_SCIM_MAPPING } from './source-records.ts';
import { userRoutes } from './users.ts';

export interface ScimRequest {
  method: string;
  /** The path after `/scim/v2`, e.g. `/Users/123`; no query string. */
  path: string;
  query: URLSearchParams;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: string | undefined;
  /** Absolute URL of the service root, e.g. `https://host/scim/v2`, for `location` and `$ref`. */
  baseUrl: string;
  /** Who asks, for `onChange` and logs: `scim:<token name>`. */
  actor?: string;
}

export interface ScimResponse {
  status: number;
  headers: Record<string, string>;
  /** JSON to send as `application/scim+json`; absent for 204 and 304. */
  body?: unknown;
}

export interface ScimDeps {
  store: ScimStore;
  /** The source name records carry (the `type: scim` source in the configuration). */
  source: string;
  /** Callsign attribute name → SCIM path; default `DEFAULT_SCIM_MAPPING`. */
  mapping?: Record<string, string>;
  /** Telecom resources of a SCIM user's person, for the read-only Callsign extension. */
  telecom?: (userId: string) => Promise<TelecomView | undefined>;
  /**
   * Called with the changed users' records before the response; a `deleted` record for a
   * delete. A failure is logged and the SCIM change stands: the next full read of the SCIM
   * source plans it.
   */
  onChange?: (records: SourceRecord[], context: { actor: string }) => Promise<void>;
  clock?: () => Date;
  log?: Logger;
}

/** Everything the route modules share. */
export interface ScimContext {
  store: ScimStore;
  source: string;
  mapping: Record<string, string>;
  telecom: (userId: string) => Promise<TelecomView | undefined>;
  notify: (records: SourceRecord[], req: ScimRequest) => Promise<void>;
  clock: () => Date;
  log: Logger;
}

/** A route module: answers the request, or returns undefined when the path is not its own. */
export type Routes = (req: ScimRequest, ctx: ScimContext) => Promise<ScimResponse | undefined>;

export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

/** Builds the request handler. */
export function createScimHandler(deps: ScimDeps): (req: ScimRequest) => Promise<ScimResponse> {
  const log = deps.log ?? pino({ level: 'silent' });
  const ctx: ScimContext = {
    store: deps.store,
    source: deps.source,
    mapping: deps.mapping ?? DEFAULT_SCIM_MAPPING,
    telecom: deps.telecom ?? (async () => undefined),
    clock: deps.clock ?? (() => new Date()),
    log,
    notify: async (records, req) => {
      if (deps.onChange === undefined || records.length === 0) return;
      const actor = req.actor ?? 'scim';
      try {
        await deps.onChange(records, { actor });
      } catch (err) {
        log.error(
          { err: (err as Error).message, actor, records: records.length },
          'scim change not planned',
        );
      }
    },
  };

  return async (req) => {
    try {
      const path = req.path.replace(/\/+$/, '') || '/';
      const routed = { ...req, path };
      const res =
        (await discovery(routed)) ??
        (await userRoutes(routed, ctx)) ??
        (await groupRoutes(routed, ctx));
      if (res === undefined) throw new ScimError(404, `No SCIM endpoint ${req.method} ${path}`);
      return { ...res, headers: { 'content-type': SCIM_CONTENT_TYPE, ...res.headers } };
    } catch (err) {
      const scim = toScimError(err);
      if (scim.status >= 500) {
        log.error(
          { err: (err as Error)?.message, path: req.path, method: req.method },
          'scim request failed',
        );
      }
      return {
        status: scim.status,
        headers: { 'content-type': SCIM_CONTENT_TYPE },
        body: scim.toBody(),
      };
    }
  };
}

async function discovery(req: ScimRequest): Promise<ScimResponse | undefined> {
  const m = /^\/(ServiceProviderConfig|ResourceTypes|Schemas)(?:\/(.+))?$/i.exec(req.path);
  if (m === null) return undefined;
  if (req.method !== 'GET') throw new ScimError(405, `${req.method} is not allowed on ${req.path}`);
  const [, what, id] = m;
  const name = id === undefined ? undefined : decodeURIComponent(id);
  const kind = what!.toLowerCase();
  if (kind === 'serviceproviderconfig') {
    if (name !== undefined) return undefined;
    return { status: 200, headers: {}, body: serviceProviderConfig(req.baseUrl) };
  }
  const found =
    kind === 'resourcetypes' ? resourceTypes(req.baseUrl, name) : schemas(req.baseUrl, name);
  if (found === undefined) throw new ScimError(404, `No ${what} ${name}`);
  if (!Array.isArray(found)) return { status: 200, headers: {}, body: found };
  return {
    status: 200,
    headers: {},
    body: {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
      totalResults: found.length,
      itemsPerPage: found.length,
      startIndex: 1,
      Resources: found,
    },
  };
}
