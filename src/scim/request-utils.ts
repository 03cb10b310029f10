/**
 * Small request helpers shared by the Users and Groups routes: JSON bodies, ETag preconditions
 * (RFC 7644 §3.14) and list parameters from a query string or a `.search` body.
 */
import { getIgnoringCase, isObject } from './filter-eval.ts';
import { type ListParams, readListParams } from './list-query.ts';
import { etagOf } from './representation.ts';
import { badRequest, ScimError, ScimType } from './scim-error.ts';
import type { ScimRequest } from './scim-handler.ts';

/** Parses the JSON body; a missing or malformed one is 400 invalidSyntax. */
export function jsonBody(req: ScimRequest): unknown {
  if (req.body === undefined || req.body.trim() === '') {
    throw badRequest(ScimType.InvalidSyntax, 'The request needs a JSON body');
  }
  try {
    return JSON.parse(req.body) as unknown;
  } catch {
    throw badRequest(ScimType.InvalidSyntax, 'The body is not valid JSON');
  }
}

/** 412 when If-Match names other versions than the stored one (`*` matches any). */
export function checkIfMatch(req: ScimRequest, version: number): void {
  const header = req.headers['if-match'];
  if (header === undefined || header.trim() === '*') return;
  if (!tags(header).includes(String(version))) {
    throw new ScimError(412, `The resource is at version ${etagOf(version)}, not ${header}`);
  }
}

/** True when If-None-Match names the stored version (GET answers 304). */
export function notModified(req: ScimRequest, version: number): boolean {
  const header = req.headers['if-none-match'];
  return header !== undefined && (header.trim() === '*' || tags(header).includes(String(version)));
}

/** The version an If-Match names, when it names exactly one, for the conditional write. */
export function ifMatchVersion(req: ScimRequest): number | undefined {
  const header = req.headers['if-match'];
  if (header === undefined) return undefined;
  const list = tags(header);
  return list.length === 1 && /^\d+$/.test(list[0]!) ? Number(list[0]) : undefined;
}

/** List parameters of GET (query) or POST `.search` (body, RFC 7644 §3.4.3). */
export function listParams(req: ScimRequest, search: boolean): ListParams {
  if (!search) return readListParams((n) => req.query.get(n) ?? undefined);
  const body = jsonBody(req);
  if (!isObject(body)) throw badRequest(ScimType.InvalidSyntax, 'A search body must be an object');
  return readListParams((n) => getIgnoringCase(body, n));
}

/**
 * False for a PATCH that did not ask for the resource: RFC 7644 §3.5.2 lets it answer 204 with
 * the headers only (Microsoft's validation expects that), but MUST answer 200 with the resource
 * when `attributes` is given; `excludedAttributes` is read the same way.
 */
export function wantsBody(req: ScimRequest): boolean {
  return (
    req.method !== 'PATCH' || req.query.has('attributes') || req.query.has('excludedAttributes')
  );
}

export function etagHeaders(version: number): Record<string, string> {
  return { etag: etagOf(version) };
}

/** `attributes` and `excludedAttributes` of a single-resource request. */
export function queryProjection(req: ScimRequest) {
  const attributes = req.query.get('attributes') ?? undefined;
  const excludedAttributes = req.query.get('excludedAttributes') ?? undefined;
  return {
    ...(attributes === undefined ? {} : { attributes }),
    ...(excludedAttributes === undefined ? {} : { excludedAttributes }),
  };
}

function tags(header: string): string[] {
  return header.split(',').map((t) => t.trim().replace(/^W\//, '').replace(/^"|"$/g, ''));
}
