/**
 * SCIM users as lifecycle input: a SourceRecord per user with attributes read through the
 * source's mapping (Callsign name → SCIM path, `emails[type eq "work"].value` included) and the
 * user's group names as the list attribute `groups`, so rules can test membership.
 */
import type { AttrValue, Attributes, SourceRecord } from '../core/model.ts';
import { isObject, matches, resolve } from './filter-eval.ts';
import { parsePatchPath } from './filter-parser.ts';
import type { ScimDocument } from './normalize.ts';
import { findAttr, USER_KIND } from './schemas.ts';

/** A mapping that suits Entra's and Okta's default attribute flows. */
export const DEFAULT_SCIM_MAPPING: Record<string, string> = {
  userName: 'userName',
  displayName: 'displayName',
  givenName: 'name.givenName',
  sn: 'name.familyName',
  mail: 'emails[type eq "work"].value',
  title: 'title',
  employeeId: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber',
  department: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department',
};

/** The record of a user representation; `deleted` for a user that was deleted. */
export function toSourceRecord(o: {
  source: string;
  mapping: Record<string, string>;
  user: ScimDocument;
  deleted?: boolean;
}): SourceRecord {
  const { user, mapping } = o;
  const attributes: Attributes = {};
  for (const [name, path] of Object.entries(mapping)) attributes[name] = readPath(user, path);
  if (!('groups' in mapping)) {
    const groups = Array.isArray(user.groups) ? user.groups : [];
    attributes.groups = groups.filter(isObject).map((g) => String(g.display ?? g.value));
  }
  const state = o.deleted ? 'deleted' : user.active === false ? 'disabled' : 'active';
  return { source: o.source, externalId: String(user.id), state, attributes };
}

/** Reads one mapped path: a single value, a list for many, null for none. */
export function readPath(user: ScimDocument, text: string): AttrValue {
  const parsed = parsePatchPath(text);
  let values: unknown[];
  if (parsed.filter === undefined) {
    values = resolve(parsed.path, { kind: USER_KIND, value: user }).values;
  } else {
    // Value filters apply to the core's multi-valued attributes (emails, phoneNumbers…).
    const attr = findAttr(USER_KIND.core.attributes, parsed.path.attr);
    const defs = attr?.subAttributes ?? [];
    const list = attr === undefined ? [] : user[attr.name];
    const hits = (Array.isArray(list) ? list : [])
      .filter(isObject)
      .filter((e) => matches(parsed.filter!, { defs, value: e }));
    const sub = findAttr(defs, parsed.sub ?? 'value')?.name ?? 'value';
    values = hits.map((e) => e[sub]);
  }
  const plain = values
    .filter((v) => v !== undefined && v !== null)
    .map((v) => (typeof v === 'boolean' || typeof v === 'number' ? v : String(v)));
  if (plain.length === 0) return null;
  if (plain.length === 1) return plain[0]!;
  return plain.map(String);
}
