/**
 * PATCH (RFC 7644 §3.5.2) on a copy of the stored document: every operation applies to the copy
 * in turn and the caller stores it only when all succeeded, so a request changes everything or
 * nothing (field case S4). Op names match without case (Entra sends `Replace`, S1); a path-less
 * replace with an object sets each named attribute (Okta's `{active:false}`, S3).
 */
import { getIgnoringCase, isObject, matches } from './filter-eval.ts';
import { type FilterNode, parsePatchPath, type PatchPath } from './filter-parser.ts';
import { coerce, keepOnePrimary, type ScimDocument, setAttribute } from './normalize.ts';
import { badRequest, ScimError, ScimType } from './scim-error.ts';
import { type AttributeDef, findAttr, type ResourceKind, SCHEMA, schemaOf } from './schemas.ts';

/** More operations than this in one request is refused (tooMany). */
export const MAX_PATCH_OPERATIONS = 1000;

type Op = 'add' | 'replace' | 'remove';

/** Applies a PatchOp body to a copy of `doc`; returns the new document. */
export function applyPatch(kind: ResourceKind, doc: ScimDocument, body: unknown): ScimDocument {
  const ops = readOperations(body);
  let next = structuredClone(doc);
  for (const [i, raw] of ops.entries()) {
    if (!isObject(raw)) throw badRequest(ScimType.InvalidSyntax, `Operations[${i}] is no object`);
    const op = String(getIgnoringCase(raw, 'op') ?? '').toLowerCase();
    if (op !== 'add' && op !== 'replace' && op !== 'remove') {
      const msg = `Operations[${i}].op must be add, replace or remove`;
      throw badRequest(ScimType.InvalidSyntax, msg);
    }
    const path = getIgnoringCase(raw, 'path');
    const value = getIgnoringCase(raw, 'value');
    if (path !== undefined && path !== null && typeof path !== 'string') {
      throw badRequest(ScimType.InvalidPath, `Operations[${i}].path must be a string`);
    }
    next =
      path === undefined || path === null || path === ''
        ? withoutPath(kind, next, op, value)
        : withPath(kind, next, { op, path, value });
  }
  return next;
}

function readOperations(body: unknown): unknown[] {
  if (!isObject(body)) throw badRequest(ScimType.InvalidSyntax, 'The body must be a JSON object');
  const schemas = body.schemas;
  if (
    Array.isArray(schemas) &&
    !schemas.some((s) => String(s).toLowerCase() === SCHEMA.PatchOp.toLowerCase())
  ) {
    throw badRequest(ScimType.InvalidSyntax, `A PATCH body must carry schema ${SCHEMA.PatchOp}`);
  }
  const ops = getIgnoringCase(body, 'Operations');
  if (!Array.isArray(ops) || ops.length === 0) {
    throw badRequest(ScimType.InvalidSyntax, 'Operations must be a non-empty list');
  }
  if (ops.length > MAX_PATCH_OPERATIONS) {
    throw badRequest(ScimType.TooMany, `At most ${MAX_PATCH_OPERATIONS} operations per request`);
  }
  return ops;
}

function withoutPath(kind: ResourceKind, doc: ScimDocument, op: Op, value: unknown) {
  // RFC 7644 §3.5.2.2: a remove without a path has no target.
  if (op === 'remove') throw badRequest(ScimType.NoTarget, 'remove needs a path');
  if (!isObject(value)) {
    throw badRequest(ScimType.InvalidValue, `${op} without a path needs an object value`);
  }
  for (const [key, v] of Object.entries(value)) {
    if (key.toLowerCase() === 'schemas') continue;
    setAttribute(kind, doc, key, v, op === 'add' ? 'add' : 'merge');
  }
  return doc;
}

interface Step {
  op: Op;
  path: string;
  value: unknown;
}

function withPath(kind: ResourceKind, doc: ScimDocument, step: Step): ScimDocument {
  const parsed = parsePatchPath(step.path);
  const { def, container } = target(kind, doc, parsed, step.path);
  if (def.mutability === 'readOnly') {
    throw new ScimError(400, `${def.name} is read-only`, ScimType.Mutability);
  }

  if (parsed.filter !== undefined) {
    applyFiltered(def, container, parsed, step);
  } else if (parsed.path.sub !== undefined) {
    applySub(def, container, parsed.path.sub, step);
  } else if (step.op === 'remove') {
    removeWhole(def, container, step.value);
  } else if (step.value === undefined) {
    throw badRequest(ScimType.InvalidValue, `${step.op} ${step.path} needs a value`);
  } else {
    const holder: ScimDocument = { [def.name]: container[def.name] };
    setAttribute(attrKind(def), holder, def.name, step.value, step.op === 'add' ? 'add' : 'merge');
    if (holder[def.name] === undefined) delete container[def.name];
    else container[def.name] = holder[def.name];
  }
  if (isObject(doc[extId(kind, parsed)]) && Object.keys(container).length === 0) {
    delete doc[extId(kind, parsed)];
  }
  return doc;
}

/** Finds the attribute a path names and the object holding it (the document or an extension). */
function target(kind: ResourceKind, doc: ScimDocument, parsed: PatchPath, text: string) {
  const schema = parsed.path.schema;
  let defs = kind.core.attributes;
  let container = doc;
  if (schema !== undefined && schema.toLowerCase() !== kind.core.id.toLowerCase()) {
    const ext = schemaOf(kind, schema);
    if (ext === undefined) throw badRequest(ScimType.InvalidPath, `Unknown schema in ${text}`);
    defs = ext.attributes;
    if (!isObject(doc[ext.id])) doc[ext.id] = {};
    container = doc[ext.id] as ScimDocument;
  }
  if (parsed.path.attr.toLowerCase() === 'externalid' && schema === undefined) {
    return { def: EXTERNAL_ID, container };
  }
  const def = findAttr(defs, parsed.path.attr);
  if (def === undefined) throw badRequest(ScimType.InvalidPath, `Unknown attribute in ${text}`);
  if (parsed.path.sub !== undefined && findAttr(def.subAttributes, parsed.path.sub) === undefined) {
    throw badRequest(ScimType.InvalidPath, `Unknown sub-attribute in ${text}`);
  }
  return { def, container };
}

function applyFiltered(def: AttributeDef, container: ScimDocument, parsed: PatchPath, step: Step) {
  if (!def.multiValued || def.type !== 'complex') {
    throw badRequest(ScimType.InvalidPath, `${def.name} is not a multi-valued complex attribute`);
  }
  const defs = def.subAttributes ?? [];
  const subDef = parsed.sub === undefined ? undefined : findAttr(defs, parsed.sub);
  if (parsed.sub !== undefined && subDef === undefined) {
    throw badRequest(ScimType.InvalidPath, `Unknown sub-attribute ${def.name}.${parsed.sub}`);
  }
  const list = Array.isArray(container[def.name]) ? [...(container[def.name] as unknown[])] : [];
  const hit = list.map((v) => isObject(v) && pathFilter(parsed.filter!, defs, v));

  if (step.op === 'remove') {
    const kept =
      subDef === undefined
        ? list.filter((_, i) => !hit[i])
        : list.map((v, i) => (hit[i] ? without(v as ScimDocument, subDef.name) : v));
    store(
      container,
      def.name,
      kept.filter((v) => !isObject(v) || Object.keys(v).length > 0),
    );
    return;
  }

  if (!hit.some(Boolean)) {
    // Entra replaces `emails[type eq "work"].value` on a user without a work email and expects
    // one to be made. Only that form (a sub-attribute, a filter on `type`) makes one; any other
    // unmatched filter is noTarget (RFC 7644 §3.5.2.3).
    const seed = parsed.sub === undefined ? undefined : seedOf(parsed.filter!);
    if (seed === undefined) {
      throw badRequest(ScimType.NoTarget, `No ${def.name} value matches ${step.path}`);
    }
    list.push(seed);
    hit.push(true);
  }
  const next = list.map((v, i) => {
    if (!hit[i]) return v;
    const el = v as ScimDocument;
    if (subDef !== undefined) return { ...el, [subDef.name]: coerce(subDef, step.value) };
    const given = coerce({ ...def, multiValued: false }, step.value, def.name);
    return { ...el, ...(given as ScimDocument) };
  });
  store(container, def.name, keepOnePrimary(next));
}

function applySub(def: AttributeDef, container: ScimDocument, sub: string, step: Step) {
  const subDef = findAttr(def.subAttributes, sub)!;
  const value = step.op === 'remove' ? undefined : coerce(subDef, step.value, `${def.name}.${sub}`);
  if (step.op !== 'remove' && value === undefined) {
    throw badRequest(ScimType.InvalidValue, `${step.op} ${def.name}.${sub} needs a value`);
  }
  const set = (el: ScimDocument) =>
    value === undefined ? without(el, subDef.name) : { ...el, [subDef.name]: value };
  if (def.multiValued) {
    const list = Array.isArray(container[def.name]) ? (container[def.name] as ScimDocument[]) : [];
    store(container, def.name, list.map(set));
  } else {
    const el = isObject(container[def.name]) ? (container[def.name] as ScimDocument) : {};
    const next = set(el);
    if (Object.keys(next).length === 0) delete container[def.name];
    else container[def.name] = next;
  }
}

/** `remove members` with a value list removes those members only (Entra, Okta). */
function removeWhole(def: AttributeDef, container: ScimDocument, value: unknown) {
  if (!def.multiValued || value === undefined || value === null) {
    delete container[def.name];
    return;
  }
  const drop = (Array.isArray(value) ? value : [value]).map((v) =>
    String(isObject(v) ? getIgnoringCase(v, 'value') : v),
  );
  const list = Array.isArray(container[def.name]) ? (container[def.name] as unknown[]) : [];
  store(
    container,
    def.name,
    list.filter((v) => !drop.includes(String(isObject(v) ? v.value : v))),
  );
}

function pathFilter(filter: FilterNode, defs: AttributeDef[], el: ScimDocument): boolean {
  try {
    return matches(filter, { defs, value: el });
  } catch (err) {
    if (err instanceof ScimError) throw badRequest(ScimType.InvalidPath, err.message);
    throw err;
  }
}

/** `type eq "work"` describes the element to create. */
function seedOf(filter: FilterNode): ScimDocument | undefined {
  if (
    filter.op === 'eq' &&
    filter.path.attr.toLowerCase() === 'type' &&
    typeof filter.value === 'string'
  ) {
    return { type: filter.value };
  }
  return undefined;
}

function store(container: ScimDocument, name: string, list: unknown[]) {
  if (list.length === 0) delete container[name];
  else container[name] = list;
}

function without(el: ScimDocument, key: string): ScimDocument {
  const { [key]: _, ...rest } = el;
  return rest;
}

function attrKind(def: AttributeDef): ResourceKind {
  const core = { id: 'patch', name: 'patch', description: '', attributes: [def] };
  return { name: 'User', endpoint: '/Users', core, extensions: [] };
}

function extId(kind: ResourceKind, parsed: PatchPath): string {
  const s = parsed.path.schema;
  return s === undefined ? '' : (schemaOf(kind, s)?.id ?? '');
}

const EXTERNAL_ID: AttributeDef = {
  name: 'externalId',
  type: 'string',
  multiValued: false,
  description: 'externalId',
  required: false,
  caseExact: true,
  mutability: 'readWrite',
  returned: 'default',
  uniqueness: 'none',
};
