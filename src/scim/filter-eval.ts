/**
 * Evaluates a parsed filter against a resource or one element of a multi-valued attribute.
 * Comparison follows the attribute's definition (RFC 7644 §3.4.2.2): strings compare without
 * case unless `caseExact`, dateTimes as instants, numbers as numbers; an attribute with many
 * values matches when any value does; `ne` is the negation of `eq`.
 */
import type { AttrPath, CompareOp, FilterNode, Literal } from './filter-parser.ts';
import { badRequest, ScimType } from './scim-error.ts';
import {
  type AttributeDef,
  COMMON_ATTRIBUTES,
  findAttr,
  type ResourceKind,
  schemaOf,
} from './schemas.ts';

/** What paths resolve against: a whole resource (kind given) or an element (defs given). */
export type FilterScope =
  | { kind: ResourceKind; value: Record<string, unknown> }
  | { defs: AttributeDef[]; value: Record<string, unknown> };

/** True when the resource or element satisfies the filter; throws 400 invalidFilter. */
export function matches(node: FilterNode, scope: FilterScope): boolean {
  switch (node.op) {
    case 'and':
      return matches(node.left, scope) && matches(node.right, scope);
    case 'or':
      return matches(node.left, scope) || matches(node.right, scope);
    case 'not':
      return !matches(node.filter, scope);
    case 'pr':
      return resolve(node.path, scope).values.some(present);
    case 'valuePath': {
      const { def, values } = resolveRaw(node.path, scope);
      if (def.type !== 'complex') throw invalid(`${def.name} has no sub-attributes to filter`);
      const defs = def.subAttributes ?? [];
      return values.some((v) => isObject(v) && matches(node.filter, { defs, value: v }));
    }
    default: {
      const { def, values } = resolve(node.path, scope);
      // Checked before any value is seen, so a wrong filter fails even on an empty list.
      if (def.type === 'complex') throw invalid(`${def.name} is complex: name a sub-attribute`);
      if (def.type === 'boolean' && !['eq', 'ne'].includes(node.op)) {
        throw invalid(`operator ${node.op} does not apply to boolean ${def.name}`);
      }
      const hit = values.some((v) => compare(node.op as CompareOp, def, v, node.value));
      if (node.op === 'ne') return !values.some((v) => compare('eq', def, v, node.value));
      return hit;
    }
  }
}

/** The definition and values a path names, with complex values reduced to `value`. */
export function resolve(path: AttrPath, scope: FilterScope) {
  const raw = resolveRaw(path, scope);
  if (raw.def.type !== 'complex' || path.sub !== undefined) return raw;
  // RFC 7644 §3.4.2.2: a complex attribute without a sub-attribute compares its `value`.
  const valueDef = findAttr(raw.def.subAttributes, 'value');
  if (valueDef === undefined) return raw;
  return { def: valueDef, values: raw.values.map((v) => (isObject(v) ? v.value : v)) };
}

function resolveRaw(path: AttrPath, scope: FilterScope): { def: AttributeDef; values: unknown[] } {
  const { defs, container } = locate(path, scope);
  const def = findAttr(defs, path.attr);
  if (def === undefined) throw invalid(`unknown attribute ${path.attr}`);
  const own = valuesOf(container, def.name);
  if (path.sub === undefined) return { def, values: own };

  const subDef = findAttr(def.subAttributes, path.sub);
  if (subDef === undefined) throw invalid(`unknown sub-attribute ${def.name}.${path.sub}`);
  const values = own.flatMap((v) => (isObject(v) ? valuesOf(v, subDef.name) : []));
  return { def: subDef, values };
}

function locate(path: AttrPath, scope: FilterScope) {
  if ('defs' in scope) return { defs: scope.defs, container: scope.value };
  const { kind, value } = scope;
  if (path.schema === undefined || path.schema.toLowerCase() === kind.core.id.toLowerCase()) {
    return { defs: [...COMMON_ATTRIBUTES, ...kind.core.attributes], container: value };
  }
  const ext = schemaOf(kind, path.schema);
  if (ext === undefined) throw invalid(`unknown schema ${path.schema}`);
  const inner = getIgnoringCase(value, ext.id);
  return { defs: ext.attributes, container: isObject(inner) ? inner : {} };
}

/** A key's values as a list, looked up without regard to case. */
export function valuesOf(obj: Record<string, unknown>, name: string): unknown[] {
  const v = getIgnoringCase(obj, name);
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

export function getIgnoringCase(obj: Record<string, unknown>, name: string): unknown {
  if (name in obj) return obj[name];
  const lower = name.toLowerCase();
  const key = Object.keys(obj).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : obj[key];
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function present(v: unknown): boolean {
  if (v === null || v === undefined || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isObject(v)) return Object.keys(v).length > 0;
  return true;
}

function compare(op: CompareOp, def: AttributeDef, actual: unknown, wanted: Literal): boolean {
  if (wanted === null) return op === 'eq' ? actual === null : false;
  switch (def.type) {
    case 'boolean':
      return compareBoolean(op, actual, wanted);
    case 'integer':
    case 'decimal':
      return ordered(op, Number(actual), Number(wanted), String(actual), String(wanted));
    case 'dateTime': {
      const a = Date.parse(String(actual));
      const b = Date.parse(String(wanted));
      if (Number.isNaN(b)) throw invalid(`${def.name} needs a dateTime, not ${String(wanted)}`);
      return ordered(op, a, b, String(actual), String(wanted));
    }
    case 'complex':
      throw invalid(`${def.name} is complex: name a sub-attribute`);
    default: {
      const fold = (s: string) => (def.caseExact ? s : s.toLowerCase());
      const a = fold(String(actual));
      const b = fold(String(wanted));
      return ordered(op, a, b, a, b);
    }
  }
}

function compareBoolean(op: CompareOp, actual: unknown, wanted: Literal): boolean {
  const b = typeof wanted === 'string' ? wanted.toLowerCase() === 'true' : wanted === true;
  if (op === 'eq') return actual === b;
  if (op === 'ne') return actual !== b;
  throw invalid(`operator ${op} does not apply to a boolean`);
}

function ordered<T extends string | number>(
  op: CompareOp,
  a: T,
  b: T,
  aText: string,
  bText: string,
): boolean {
  switch (op) {
    case 'eq':
      return a === b;
    case 'ne':
      return a !== b;
    case 'gt':
      return a > b;
    case 'ge':
      return a >= b;
    case 'lt':
      return a < b;
    case 'le':
      return a <= b;
    case 'co':
      return aText.includes(bText);
    case 'sw':
      return aText.startsWith(bText);
    case 'ew':
      return aText.endsWith(bText);
  }
}

function invalid(why: string) {
  return badRequest(ScimType.InvalidFilter, `Invalid filter: ${why}`);
}
