/**
 * What a CEL expression reads: the `person.<attr>` fields (for mover detection and for checking
 * rules against the attributes sources provide) and any other top-level name (a typo such as
 * `user.site`, which would fail on every person).
 */
import type { ASTNode } from '@marcbachmann/cel-js';

/** Macros whose first argument binds a loop variable (CEL spec, "Macros"). */
const BINDING_MACROS = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);

export interface CelRefs {
  /** Attribute names read as `person.x` or `person["x"]`. */
  attributes: string[];
  /** Top-level names other than `person` and macro-bound variables. */
  unknownNames: string[];
  /** True when `person` is indexed with a computed key: any attribute may be read. */
  dynamic: boolean;
}

/** Walks a parsed CEL expression and lists what it reads. */
export function celRefs(ast: ASTNode): CelRefs {
  const refs: CelRefs = { attributes: [], unknownNames: [], dynamic: false };
  walk(ast, new Set(), refs);
  return refs;
}

function walk(node: ASTNode, bound: Set<string>, refs: CelRefs): void {
  switch (node.op) {
    case 'id':
      if (node.args !== 'person' && !bound.has(node.args)) add(refs.unknownNames, node.args);
      return;
    case 'value':
      return;
    case '.':
    case '.?': {
      const [target, field] = node.args;
      if (isPerson(target, bound)) add(refs.attributes, field);
      else walk(target, bound, refs);
      return;
    }
    case '[]':
    case '[?]': {
      const [target, index] = node.args;
      if (isPerson(target, bound)) {
        const literal = index.op === 'value' && typeof index.args === 'string';
        if (literal) add(refs.attributes, index.args as string);
        else refs.dynamic = true;
      } else walk(target, bound, refs);
      walk(index, bound, refs);
      return;
    }
    case 'rcall': {
      const [method, target, args] = node.args;
      walk(target, bound, refs);
      const first = args[0];
      if (BINDING_MACROS.has(method) && first?.op === 'id') {
        const inner = new Set(bound).add(first.args);
        for (const arg of args.slice(1)) walk(arg, inner, refs);
        return;
      }
      for (const arg of args) walk(arg, bound, refs);
      return;
    }
    case 'call':
      for (const arg of node.args[1]) walk(arg, bound, refs);
      return;
    case 'map':
      for (const [key, value] of node.args) {
        walk(key, bound, refs);
        walk(value, bound, refs);
      }
      return;
    case 'list':
      for (const item of node.args) walk(item, bound, refs);
      return;
    case '!_':
    case '-_':
      walk(node.args, bound, refs);
      return;
    default:
      // Binary operators, `?:`, `&&`, `||`: every argument is a node.
      for (const arg of node.args as ASTNode[]) walk(arg, bound, refs);
  }
}

function isPerson(node: ASTNode, bound: Set<string>): boolean {
  return node.op === 'id' && node.args === 'person' && !bound.has('person');
}

function add(list: string[], name: string): void {
  if (!list.includes(name)) list.push(name);
}
