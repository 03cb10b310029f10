/**
 * Turns a client's JSON into the stored shape of a resource: canonical attribute names, core
 * attributes at the top, each extension under its URN, values coerced to their types. Real
 * clients bend the RFC, so booleans sent as "True"/"False" (Entra, field case S2) become
 * booleans, a single value for a multi-valued attribute becomes a list, and null means
 * "unassigned" (RFC 7644 §3.5.1). Read-only attributes are ignored (§3.5.1); anything unknown or
 * of the wrong type is a 400 invalidValue naming the attribute.
 */
import { getIgnoringCase, isObject } from './filter-eval.ts';
import { badRequest, ScimType } from './scim-error.ts';
import { type AttributeDef, findAttr, type ResourceKind, schemaOf } from './schemas.ts';

/** A resource as stored: no id, no meta, no computed attributes. */
export type ScimDocument = Record<string, unknown>;

/** Normalises a POST or PUT body. */
export function normalizeResource(kind: ResourceKind, body: unknown): ScimDocument {
  if (!isObject(body)) throw badRequest(ScimType.InvalidSyntax, 'The body must be a JSON object');
  checkSchemas(kind, body.schemas);
  const doc: ScimDocument = {};
  for (const [key, value] of Object.entries(body)) {
    if (key === 'schemas') continue;
    setAttribute(kind, doc, key, value, 'merge');
  }
  checkRequired(kind, doc);
  return doc;
}

/**
 * Sets one attribute named as in a body or a path-less PATCH value: a core name, `externalId`,
 * an extension URN with an object, or `urn:…:attr`. `merge` keeps unnamed sub-attributes of a
 * complex attribute, `add` also appends to a multi-valued one.
 */
export function setAttribute(
  kind: ResourceKind,
  doc: ScimDocument,
  key: string,
  value: unknown,
  mode: 'merge' | 'add' | 'replace',
): void {
  const lower = key.toLowerCase();
  if (lower === 'id' || lower === 'meta') return;

  const ext = schemaOf(kind, key);
  if (ext !== undefined && ext.id !== kind.core.id) {
    if (value === null) return void delete doc[ext.id];
    if (!isObject(value)) throw badRequest(ScimType.InvalidValue, `${ext.id} must be an object`);
    const inner = isObject(doc[ext.id]) ? { ...(doc[ext.id] as ScimDocument) } : {};
    for (const [k, v] of Object.entries(value)) put(inner, ext.attributes, k, v, mode);
    if (Object.keys(inner).length > 0) doc[ext.id] = inner;
    else delete doc[ext.id];
    return;
  }

  if (/^urn:/i.test(key)) {
    const cut = key.lastIndexOf(':');
    return setAttribute(kind, doc, key.slice(0, cut), { [key.slice(cut + 1)]: value }, mode);
  }
  if (lower === 'externalid') {
    if (value === null || value === '') return void delete doc.externalId;
    if (typeof value !== 'string') throw wrongType('externalId', 'a string');
    doc.externalId = value;
    return;
  }
  put(doc, kind.core.attributes, key, value, mode);
}

/** Coerces a value for a definition; null means unassigned and comes back as undefined. */
export function coerce(def: AttributeDef, value: unknown, where = def.name): unknown {
  if (value === null || value === undefined) return undefined;
  if (def.multiValued) {
    const list = (Array.isArray(value) ? value : [value])
      .map((v, i) => coerce({ ...def, multiValued: false }, v, `${where}[${i}]`))
      .filter((v) => v !== undefined);
    return list.length === 0 ? undefined : keepOnePrimary(list);
  }
  switch (def.type) {
    case 'boolean':
      return toBoolean(value, where);
    case 'integer':
    case 'decimal': {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isFinite(n)) throw wrongType(where, 'a number');
      if (def.type === 'integer' && !Number.isInteger(n)) throw wrongType(where, 'an integer');
      return n;
    }
    case 'dateTime':
      if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) {
        throw wrongType(where, 'an xsd:dateTime string');
      }
      return value;
    case 'complex': {
      // Entra sends the enterprise manager as a bare id: it is the `value` sub-attribute.
      if (
        !isObject(value) &&
        findAttr(def.subAttributes, 'value') !== undefined &&
        (typeof value === 'string' || typeof value === 'number')
      ) {
        return coerce(def, { value: String(value) }, where);
      }
      if (!isObject(value)) throw wrongType(where, 'an object');
      const out: ScimDocument = {};
      for (const [k, v] of Object.entries(value)) {
        put(out, def.subAttributes ?? [], k, v, 'replace', where);
      }
      return Object.keys(out).length === 0 ? undefined : out;
    }
    default:
      if (typeof value === 'number') return String(value);
      if (typeof value !== 'string') throw wrongType(where, 'a string');
      return value;
  }
}

/** Required attributes after a write (userName, displayName). */
export function checkRequired(kind: ResourceKind, doc: ScimDocument): void {
  for (const def of kind.core.attributes) {
    if (!def.required) continue;
    const v = doc[def.name];
    if (typeof v !== 'string' || v.trim() === '') {
      throw badRequest(ScimType.InvalidValue, `${kind.name}.${def.name} is required`);
    }
  }
}

function put(
  target: ScimDocument,
  defs: AttributeDef[],
  key: string,
  value: unknown,
  mode: 'merge' | 'add' | 'replace',
  parent?: string,
): void {
  const where = parent === undefined ? key : `${parent}.${key}`;
  const def = findAttr(defs, key);
  if (def === undefined) throw badRequest(ScimType.InvalidValue, `Unknown attribute ${where}`);
  // Read-only attributes in a body are ignored (RFC 7644 §3.3); write-only ones never kept.
  if (def.mutability === 'readOnly' || def.mutability === 'writeOnly') return;

  const coerced = coerce(def, value, where);
  const old = target[def.name];
  if (coerced === undefined) delete target[def.name];
  else if (def.multiValued && mode === 'add' && Array.isArray(old)) {
    target[def.name] = keepOnePrimary(appendNew(old, coerced as unknown[]));
  } else if (!def.multiValued && def.type === 'complex' && mode !== 'replace' && isObject(old)) {
    target[def.name] = { ...old, ...(coerced as ScimDocument) };
  } else target[def.name] = coerced;
}

function appendNew(old: unknown[], added: unknown[]): unknown[] {
  const seen = new Set(old.map((v) => JSON.stringify(v)));
  return [...old, ...added.filter((v) => !seen.has(JSON.stringify(v)))];
}

/** RFC 7643 §2.4: at most one `primary` true; the last one given wins. */
export function keepOnePrimary(list: unknown[]): unknown[] {
  let last = -1;
  list.forEach((v, i) => {
    if (isObject(v) && v.primary === true) last = i;
  });
  if (last < 0) return list;
  return list.map((v, i) =>
    isObject(v) && v.primary === true && i !== last ? { ...v, primary: false } : v,
  );
}

function toBoolean(value: unknown, where: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const lower = value.trim().toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
  }
  throw wrongType(where, 'a boolean');
}

function checkSchemas(kind: ResourceKind, schemas: unknown): void {
  if (schemas === undefined) return;
  if (!Array.isArray(schemas) || !schemas.every((s) => typeof s === 'string')) {
    throw badRequest(ScimType.InvalidSyntax, 'schemas must be a list of URNs');
  }
  for (const urn of schemas as string[]) {
    if (schemaOf(kind, urn) === undefined) {
      throw badRequest(ScimType.InvalidValue, `${kind.name} does not support schema ${urn}`);
    }
  }
}

function wrongType(where: string, wanted: string) {
  return badRequest(ScimType.InvalidValue, `${where} must be ${wanted}`);
}

export { getIgnoringCase };
