/**
 * Safe templates for resource keys, attributes and pool names: `{{person.site}}`,
 * `{{numbers.extension}}`, `{{numbers.did | digits | last:4}}`. A template is compiled once into
 * literal parts and variable lookups with a fixed set of pure filters; nothing in it is executed
 * as code. A missing variable makes `render` return undefined, and `problem` says which one.
 */
import { CallsignError, ErrorCode } from './errors.ts';
import type { Attributes, AttrValue, NumberKind, RecordProblem } from './model.ts';

/** What a template can see. */
export interface TemplateVars {
  person: Attributes;
  numbers?: Partial<Record<NumberKind, string>>;
  /**
   * More roots by name (`event.type`, `pool.free` in notification templates); looked up as
   * own properties only, like `person`.
   */
  extra?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /**
   * Roots whose missing values render as empty text instead of failing the whole template
   * (a notification's `numbers`: someone with only an extension has no DID). Filters run
   * first, so `| default:"x"` still supplies a text of the template's choosing.
   */
  blankRoots?: ReadonlySet<string>;
}

/** One variable a template reads, e.g. `{ root: 'person', name: 'site' }`. */
export interface TemplateRef {
  root: string;
  name: string;
}

export interface CompiledTemplate {
  readonly source: string;
  /** Variables read, in order of appearance, without repeats. */
  readonly refs: readonly TemplateRef[];
  /** True when the template has no variables (a constant). */
  readonly constant: boolean;
  /** The rendered string, or undefined when a variable without a default has no value. */
  render(vars: TemplateVars): string | undefined;
  /** The first variable without a value, as `person.site`; undefined when none is missing. */
  missing(vars: TemplateVars): string | undefined;
}

/** Compiles a template; throws CallsignError(config) naming the fault and its column. */
export function compileTemplate(source: string): CompiledTemplate {
  const parts = parseParts(source);
  const refs: TemplateRef[] = [];
  for (const part of parts) {
    if (typeof part === 'string') continue;
    if (!refs.some((r) => r.root === part.root && r.name === part.name)) {
      refs.push({ root: part.root, name: part.name });
    }
  }
  return new Template(source, parts, refs);
}

type Filter = (value: string | undefined) => string | undefined;

interface VarPart {
  root: string;
  name: string;
  filters: Filter[];
}

class Template implements CompiledTemplate {
  readonly source: string;
  readonly refs: readonly TemplateRef[];
  readonly constant: boolean;
  readonly #parts: readonly (string | VarPart)[];

  constructor(source: string, parts: (string | VarPart)[], refs: TemplateRef[]) {
    this.source = source;
    this.refs = refs;
    this.constant = refs.length === 0;
    this.#parts = parts;
  }

  render(vars: TemplateVars): string | undefined {
    let out = '';
    for (const part of this.#parts) {
      if (typeof part === 'string') {
        out += part;
        continue;
      }
      const value = evalPart(part, vars);
      if (value === undefined) return undefined;
      out += value;
    }
    return out;
  }

  missing(vars: TemplateVars): string | undefined {
    for (const part of this.#parts) {
      if (typeof part !== 'string' && evalPart(part, vars) === undefined) {
        return `${part.root}.${part.name}`;
      }
    }
    return undefined;
  }
}

/** A problem for a template that could not render for a person, naming the variable. */
export function templateProblem(
  template: CompiledTemplate,
  vars: TemplateVars,
  at: { personId: string; where: string },
): RecordProblem {
  const variable = template.missing(vars) ?? 'a variable';
  const field = variable.startsWith('person.') ? variable.slice(7) : variable;
  return {
    source: 'template',
    record: at.personId,
    field,
    message: `${at.where}: person ${at.personId} has no value for ${variable}`,
  };
}

function evalPart(part: VarPart, vars: TemplateVars): string | undefined {
  let value: string | undefined;
  // Own properties only: `{{person.constructor}}` must not reach Object's prototype.
  if (part.root === 'person') {
    value = Object.hasOwn(vars.person, part.name) ? attrText(vars.person[part.name]) : undefined;
  } else if (part.root === 'numbers') {
    const numbers = vars.numbers;
    const own = numbers !== undefined && Object.hasOwn(numbers, part.name);
    value = own ? numbers[part.name as NumberKind] : undefined;
    if (value === '') value = undefined;
  } else if (vars.extra !== undefined && Object.hasOwn(vars.extra, part.root)) {
    const root = vars.extra[part.root];
    value = Object.hasOwn(root, part.name) && root[part.name] !== '' ? root[part.name] : undefined;
  }
  for (const filter of part.filters) value = filter(value);
  if (value === undefined && vars.blankRoots?.has(part.root) === true) return '';
  return value;
}

/** Multi-valued attributes render their first value (LDAP lists the primary one first). */
function attrText(value: AttrValue | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.length > 0 && value[0] !== '' ? value[0] : undefined;
  const text = String(value);
  return text === '' ? undefined : text;
}

const VAR = /^\s*([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_-]*)\s*((?:\|[^|]*)*)$/;

function parseParts(source: string): (string | VarPart)[] {
  const parts: (string | VarPart)[] = [];
  let pos = 0;
  while (pos < source.length) {
    const open = source.indexOf('{{', pos);
    if (open < 0) break;
    const close = source.indexOf('}}', open + 2);
    if (close < 0) fail(source, open, 'has {{ without a closing }}');

    if (open > pos) parts.push(source.slice(pos, open));
    parts.push(parseVar(source, open, source.slice(open + 2, close)));
    pos = close + 2;
  }
  if (pos < source.length) parts.push(source.slice(pos));

  const stray = parts.find((p) => typeof p === 'string' && p.includes('}}'));
  if (stray !== undefined) fail(source, source.indexOf('}}'), 'has }} without an opening {{');
  return parts;
}

function parseVar(source: string, at: number, body: string): VarPart {
  const match = VAR.exec(body);
  if (match === null) fail(source, at, `has {{${body}}}, which is not root.name [| filter]`);

  const filters = match[3]
    .split('|')
    .slice(1)
    .map((text) => parseFilter(source, at, text.trim()));
  return { root: match[1], name: match[2], filters };
}

function parseFilter(source: string, at: number, text: string): Filter {
  const [name, arg] = splitFilter(text);
  switch (name) {
    case 'upper':
      return (v) => v?.toUpperCase();
    case 'lower':
      return (v) => v?.toLowerCase();
    case 'digits':
      return (v) => (v === undefined ? v : v.replace(/\D+/g, '') || undefined);
    case 'last': {
      const n = Number(arg);
      if (!Number.isInteger(n) || n < 1) fail(source, at, `filter last needs a count: last:4`);
      return (v) => v?.slice(-n);
    }
    case 'default': {
      const fallback = quoted(arg);
      if (fallback === undefined) {
        fail(source, at, 'filter default needs a quoted value: default:"x"');
      }
      return (v) => (v === undefined || v === '' ? fallback : v);
    }
    default:
      return fail(source, at, `uses unknown filter ${JSON.stringify(name)}`);
  }
}

function splitFilter(text: string): [string, string | undefined] {
  const colon = text.indexOf(':');
  if (colon < 0) return [text, undefined];
  return [text.slice(0, colon).trim(), text.slice(colon + 1).trim()];
}

function quoted(arg: string | undefined): string | undefined {
  if (arg === undefined) return undefined;
  const match = /^"([^"]*)"$|^'([^']*)'$/.exec(arg);
  return match === null ? undefined : (match[1] ?? match[2]);
}

function fail(source: string, at: number, what: string): never {
  throw new CallsignError(
    ErrorCode.Config,
    `Template ${JSON.stringify(source)} ${what} (column ${at + 1})`,
    { details: { template: source, column: at + 1 } },
  );
}
