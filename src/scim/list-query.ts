/**
 * Query of a resource list (RFC 7644 §3.4.2): filter, sort and page. `startIndex` is 1-based and
 * below 1 means 1; `count` is capped at the advertised maximum and 0 asks for the total only.
 * Filtering runs over the returned representation so `meta.lastModified`, `groups` and the
 * extensions can be filtered like any attribute.
 */
import { matches, resolve } from './filter-eval.ts';
import { type FilterNode, parseFilter, splitAttrPath } from './filter-parser.ts';
import type { ScimDocument } from './normalize.ts';
import { badRequest, ScimType } from './scim-error.ts';
import { type ResourceKind, SCHEMA } from './schemas.ts';

/** Largest page the service returns (advertised as filter.maxResults). */
export const MAX_RESULTS = 200;

export interface ListParams {
  filter?: FilterNode;
  sortBy?: string;
  sortOrder: 'ascending' | 'descending';
  startIndex: number;
  count: number;
  attributes?: string;
  excludedAttributes?: string;
}

/** Reads list parameters from a query string or a `.search` body (both are strings there). */
export function readListParams(get: (name: string) => unknown): ListParams {
  const text = (name: string) => {
    const v = get(name);
    if (v === undefined || v === null) return undefined;
    return Array.isArray(v) ? v.join(',') : String(v);
  };
  const filterText = text('filter');
  const order = (text('sortOrder') ?? 'ascending').toLowerCase();
  if (order !== 'ascending' && order !== 'descending') {
    throw badRequest(ScimType.InvalidValue, 'sortOrder must be ascending or descending');
  }
  const params: ListParams = {
    sortOrder: order,
    startIndex: Math.max(1, integer(text('startIndex'), 1, 'startIndex')),
    count: Math.min(MAX_RESULTS, Math.max(0, integer(text('count'), MAX_RESULTS, 'count'))),
  };
  if (filterText !== undefined && filterText.trim() !== '') params.filter = parseFilter(filterText);
  const sortBy = text('sortBy');
  if (sortBy !== undefined && sortBy !== '') params.sortBy = sortBy;
  const attributes = text('attributes');
  if (attributes !== undefined) params.attributes = attributes;
  const excluded = text('excludedAttributes');
  if (excluded !== undefined) params.excludedAttributes = excluded;
  return params;
}

/** Filters, sorts and pages representations; returns the page and the total. */
export function runQuery(kind: ResourceKind, all: ScimDocument[], params: ListParams) {
  const { filter } = params;
  let hits = filter === undefined ? all : all.filter((r) => matches(filter, { kind, value: r }));
  if (params.sortBy !== undefined) hits = sorted(kind, hits, params.sortBy, params.sortOrder);
  const start = params.startIndex - 1;
  return { total: hits.length, page: hits.slice(start, start + params.count) };
}

/** The ListResponse message. */
export function listResponse(total: number, page: ScimDocument[], startIndex: number) {
  return {
    schemas: [SCHEMA.ListResponse],
    totalResults: total,
    itemsPerPage: page.length,
    startIndex,
    Resources: page,
  };
}

function sorted(kind: ResourceKind, list: ScimDocument[], sortBy: string, order: string) {
  const path = splitAttrPath(sortBy);
  if (path === undefined) throw badRequest(ScimType.InvalidValue, `Bad sortBy ${sortBy}`);
  let keyed: { r: ScimDocument; key: string | number | undefined }[];
  try {
    keyed = list.map((r) => {
      const { def, values } = resolve(path, { kind, value: r });
      const v = values[0];
      if (v === undefined || v === null) return { r, key: undefined };
      if (def.type === 'integer' || def.type === 'decimal') return { r, key: Number(v) };
      if (def.type === 'dateTime') return { r, key: Date.parse(String(v)) };
      return { r, key: def.caseExact ? String(v) : String(v).toLowerCase() };
    });
  } catch {
    throw badRequest(ScimType.InvalidValue, `Cannot sort by ${sortBy}`);
  }
  const sign = order === 'descending' ? -1 : 1;
  // RFC 7644 §3.4.2.3: resources without the attribute come last in either order.
  return keyed
    .sort((a, b) => {
      if (a.key === undefined || b.key === undefined) {
        return a.key === b.key ? 0 : a.key === undefined ? 1 : -1;
      }
      return a.key < b.key ? -sign : a.key > b.key ? sign : 0;
    })
    .map((k) => k.r);
}

function integer(text: string | undefined, fallback: number, name: string): number {
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n)) throw badRequest(ScimType.InvalidValue, `${name} must be an integer`);
  return n;
}
