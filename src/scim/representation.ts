/**
 * What clients see: stored documents with `id`, `schemas`, `meta`, the user's groups and the
 * read-only telecom extension added, projected by `attributes`/`excludedAttributes`
 * (RFC 7644 §3.4.2.5). Booleans are real JSON booleans whatever the client sent (S2).
 */
import type { ScimDocument } from './normalize.ts';
import {
  type AttributeDef,
  COMMON_ATTRIBUTES,
  findAttr,
  type ResourceKind,
  SCHEMA,
  schemaOf,
} from './schemas.ts';
import type { StoredGroup, StoredResource, StoredUser } from './scim-store.ts';
import { splitAttrPath } from './filter-parser.ts';
import { getIgnoringCase, isObject } from './filter-eval.ts';

/** The telecom resources Callsign holds for the person a SCIM user is correlated to. */
export interface TelecomView {
  personId: string;
  extension?: string;
  did?: string;
  /** `target/key` of each SIP account. */
  sipAccounts: string[];
}

/** The ETag of a stored version; weak because equal JSON may be serialised differently. */
export function etagOf(version: number): string {
  return `W/"${version}"`;
}

/** A user as returned. */
export function userRepresentation(o: {
  user: StoredUser;
  groups: { id: string; name: string }[];
  telecom?: TelecomView;
  baseUrl: string;
}): ScimDocument {
  const { user, groups, telecom, baseUrl } = o;
  const doc: ScimDocument = { ...user.document };
  const schemas: string[] = [SCHEMA.User];
  if (isObject(doc[SCHEMA.Enterprise])) schemas.push(SCHEMA.Enterprise);
  if (groups.length > 0) {
    doc.groups = groups.map((g) => ({
      value: g.id,
      display: g.name,
      type: 'direct',
      $ref: `${baseUrl}/Groups/${g.id}`,
    }));
  }
  if (telecom !== undefined) {
    schemas.push(SCHEMA.Telecom);
    doc[SCHEMA.Telecom] = {
      personId: telecom.personId,
      ...(telecom.extension === undefined ? {} : { extension: telecom.extension }),
      ...(telecom.did === undefined ? {} : { did: telecom.did }),
      ...(telecom.sipAccounts.length === 0 ? {} : { sipAccounts: telecom.sipAccounts }),
    };
  }
  return { schemas, id: user.id, ...doc, meta: metaOf('User', user, baseUrl) };
}

/** A group as returned. */
export function groupRepresentation(group: StoredGroup, baseUrl: string): ScimDocument {
  const doc: ScimDocument = { ...group.document, displayName: group.displayName };
  if (group.members.length > 0) {
    doc.members = group.members.map((m) => ({
      value: m.value,
      type: m.type,
      $ref: `${baseUrl}/${m.type}s/${m.value}`,
    }));
  }
  return { schemas: [SCHEMA.Group], id: group.id, ...doc, meta: metaOf('Group', group, baseUrl) };
}

/** Keeps only the named attributes (plus those returned always), or drops the excluded ones. */
export function project(
  kind: ResourceKind,
  rep: ScimDocument,
  params: { attributes?: string; excludedAttributes?: string },
): ScimDocument {
  const wanted = names(params.attributes);
  const dropped = names(params.excludedAttributes);
  if (wanted.length === 0 && dropped.length === 0) return rep;
  if (wanted.length > 0) {
    const out: ScimDocument = { schemas: rep.schemas, id: rep.id };
    for (const name of wanted) copyPath(kind, rep, out, name);
    return out;
  }
  const out = structuredClone(rep);
  for (const name of dropped) dropPath(kind, out, name);
  return out;
}

function metaOf(resourceType: string, r: StoredResource, baseUrl: string) {
  return {
    resourceType,
    created: r.created,
    lastModified: r.modified,
    location: `${baseUrl}/${resourceType}s/${r.id}`,
    version: etagOf(r.version),
  };
}

function names(list: string | undefined): string[] {
  return (list ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Where a projected path lives: the top level or an extension object, with its definition. */
function place(kind: ResourceKind, name: string) {
  const path = splitAttrPath(name);
  if (path === undefined) return undefined;
  const ext = path.schema === undefined ? undefined : schemaOf(kind, path.schema);
  const inExt = ext !== undefined && ext.id !== kind.core.id;
  const defs: AttributeDef[] = inExt
    ? ext.attributes
    : [...COMMON_ATTRIBUTES, ...kind.core.attributes];
  const def = findAttr(defs, path.attr);
  if (def === undefined) {
    // A bare extension URN names the whole extension.
    const whole = schemaOf(kind, name);
    return whole === undefined ? undefined : { key: whole.id, ext: undefined, def: undefined };
  }
  return { key: def.name, ext: inExt ? ext.id : undefined, def, sub: path.sub };
}

function copyPath(kind: ResourceKind, from: ScimDocument, to: ScimDocument, name: string) {
  const p = place(kind, name);
  if (p === undefined) return;
  const src = p.ext === undefined ? from : getIgnoringCase(from, p.ext);
  if (!isObject(src) || src[p.key] === undefined) return;
  const dst = p.ext === undefined ? to : ((to[p.ext] ??= {}) as ScimDocument);
  const value = src[p.key];
  const subName = p.sub === undefined ? undefined : findAttr(p.def?.subAttributes, p.sub)?.name;
  if (subName === undefined) dst[p.key] = value;
  else if (Array.isArray(value)) {
    dst[p.key] = value.map((v) => (isObject(v) ? { [subName]: v[subName] } : v));
  } else if (isObject(value) && value[subName] !== undefined) {
    dst[p.key] = { ...(dst[p.key] as ScimDocument | undefined), [subName]: value[subName] };
  }
}

function dropPath(kind: ResourceKind, doc: ScimDocument, name: string) {
  const p = place(kind, name);
  if (p === undefined || p.key === 'id' || p.key === 'schemas') return;
  const holder = p.ext === undefined ? doc : getIgnoringCase(doc, p.ext);
  if (!isObject(holder)) return;
  const subName = p.sub === undefined ? undefined : findAttr(p.def?.subAttributes, p.sub)?.name;
  if (subName === undefined) delete holder[p.key];
  else if (Array.isArray(holder[p.key])) {
    for (const v of holder[p.key] as unknown[]) if (isObject(v)) delete v[subName];
  } else if (isObject(holder[p.key])) delete (holder[p.key] as ScimDocument)[subName];
}
