/**
 * The RFC 7644 §3.4.2.2 filter grammar and the §3.5.2 PATCH path grammar, parsed into one AST.
 * Written here rather than taken from scim2-parse-filter because that package has no PATCH path
 * parser, turns `emails[type eq "work"].value eq "x"` into two unrelated conditions (losing
 * which email matched), and refuses the capitalised literals (`True`) some clients send.
 * Operators and literals match without regard to case (§3.4.2.2: "case insensitive").
 */
import { badRequest, ScimType } from './scim-error.ts';

/** `urn:…:User:name.givenName` → schema `urn:…:User`, attr `name`, sub `givenName`. */
export interface AttrPath {
  schema?: string;
  attr: string;
  sub?: string;
}

export const COMPARE_OPS = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'lt', 'ge', 'le'] as const;
export type CompareOp = (typeof COMPARE_OPS)[number];
export type Literal = string | number | boolean | null;

export type FilterNode =
  | { op: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { op: 'not'; filter: FilterNode }
  | { op: 'pr'; path: AttrPath }
  | { op: CompareOp; path: AttrPath; value: Literal }
  /** `emails[type eq "work"]`: one element of `path` must satisfy `filter`. */
  | { op: 'valuePath'; path: AttrPath; filter: FilterNode };

/** A PATCH target: `attr`, `attr.sub`, `attr[filter]` or `attr[filter].sub`. */
export interface PatchPath {
  path: AttrPath;
  filter?: FilterNode;
  /** The sub-attribute after a value filter. */
  sub?: string;
}

/** Parses a `filter` query parameter; throws 400 invalidFilter. */
export function parseFilter(text: string): FilterNode {
  const p = new Parser(text, ScimType.InvalidFilter);
  const node = p.orExp();
  p.expectEnd();
  return node;
}

/** Parses a PATCH operation's `path`; throws 400 invalidPath. */
export function parsePatchPath(text: string): PatchPath {
  const p = new Parser(text, ScimType.InvalidPath);
  const path = p.attrPath();
  if (!p.at('[')) {
    p.expectEnd();
    return { path };
  }
  p.next();
  const filter = p.orExp();
  p.expect(']');
  const sub = p.subAfterBracket();
  p.expectEnd();
  return sub === undefined ? { path, filter } : { path, filter, sub };
}

/** Splits an attribute path; a URN prefix is everything before the last colon. */
export function splitAttrPath(text: string): AttrPath | undefined {
  let schema: string | undefined;
  let rest = text;
  if (/^urn:/i.test(text)) {
    const cut = text.lastIndexOf(':');
    schema = text.slice(0, cut);
    rest = text.slice(cut + 1);
  }
  const parts = rest.split('.');
  if (parts.length > 2 || !parts.every((s) => /^[A-Za-z$][\w$-]*$/.test(s))) return undefined;
  const path: AttrPath = { attr: parts[0]! };
  if (schema !== undefined) path.schema = schema;
  if (parts[1] !== undefined) path.sub = parts[1];
  return path;
}

type Token = { kind: 'word' | 'string' | 'punct'; text: string; value?: string };

const TOKEN = /\s*(?:("(?:[^"\\]|\\.)*")|([()[\]])|([^\s()[\]"]+))/y;

class Parser {
  readonly #tokens: Token[] = [];
  readonly #scimType: ScimType;
  readonly #text: string;
  #i = 0;

  constructor(text: string, scimType: ScimType) {
    this.#text = text;
    this.#scimType = scimType;
    TOKEN.lastIndex = 0;
    while (TOKEN.lastIndex < text.length) {
      const start = TOKEN.lastIndex;
      const m = TOKEN.exec(text);
      if (m === null) {
        if (text.slice(start).trim() === '') break;
        throw this.fail(`unexpected character at ${start}`);
      }
      if (m[1] !== undefined) this.#tokens.push({ kind: 'string', text: m[1] });
      else if (m[2] !== undefined) this.#tokens.push({ kind: 'punct', text: m[2] });
      else this.#tokens.push({ kind: 'word', text: m[3]! });
    }
  }

  orExp(): FilterNode {
    let left = this.andExp();
    while (this.atWord('or')) {
      this.next();
      left = { op: 'or', left, right: this.andExp() };
    }
    return left;
  }

  andExp(): FilterNode {
    let left = this.unary();
    while (this.atWord('and')) {
      this.next();
      left = { op: 'and', left, right: this.unary() };
    }
    return left;
  }

  unary(): FilterNode {
    if (this.atWord('not')) {
      this.next();
      return { op: 'not', filter: this.unary() };
    }
    if (this.at('(')) {
      this.next();
      const inner = this.orExp();
      this.expect(')');
      return inner;
    }
    return this.attrExp();
  }

  attrExp(): FilterNode {
    const path = this.attrPath();
    if (this.at('[')) {
      this.next();
      const inner = this.orExp();
      this.expect(']');
      const sub = this.subAfterBracket();
      if (sub === undefined) return { op: 'valuePath', path, filter: inner };
      // `emails[type eq "work"].value eq "x"`: both conditions on the same element.
      const cond = this.condition({ attr: sub });
      return { op: 'valuePath', path, filter: { op: 'and', left: inner, right: cond } };
    }
    return this.condition(path);
  }

  condition(path: AttrPath): FilterNode {
    const op = this.next()?.text.toLowerCase();
    if (op === 'pr') return { op: 'pr', path };
    if (op === undefined || !(COMPARE_OPS as readonly string[]).includes(op)) {
      throw this.fail(`expected an operator after ${show(path)}`);
    }
    return { op: op as CompareOp, path, value: this.literal() };
  }

  literal(): Literal {
    const t = this.next();
    if (t === undefined) throw this.fail('expected a value');
    if (t.kind === 'string') {
      try {
        return JSON.parse(t.text) as string;
      } catch {
        throw this.fail(`bad string ${t.text}`);
      }
    }
    const lower = t.text.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
    if (lower === 'null') return null;
    if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(t.text)) return Number(t.text);
    throw this.fail(`expected a value, not ${t.text}`);
  }

  attrPath(): AttrPath {
    const t = this.next();
    const path = t?.kind === 'word' ? splitAttrPath(t.text) : undefined;
    if (path === undefined) throw this.fail(`expected an attribute, not ${t?.text ?? 'the end'}`);
    return path;
  }

  subAfterBracket(): string | undefined {
    const t = this.#tokens[this.#i];
    if (t?.kind !== 'word' || !t.text.startsWith('.')) return undefined;
    this.next();
    const sub = t.text.slice(1);
    if (!/^[A-Za-z$][\w$-]*$/.test(sub)) throw this.fail(`bad sub-attribute ${t.text}`);
    return sub;
  }

  at(punct: string): boolean {
    const t = this.#tokens[this.#i];
    return t?.kind === 'punct' && t.text === punct;
  }

  atWord(word: string): boolean {
    const t = this.#tokens[this.#i];
    return t?.kind === 'word' && t.text.toLowerCase() === word;
  }

  next(): Token | undefined {
    return this.#tokens[this.#i++];
  }

  expect(punct: string): void {
    if (!this.at(punct)) throw this.fail(`expected '${punct}'`);
    this.next();
  }

  expectEnd(): void {
    const t = this.#tokens[this.#i];
    if (t !== undefined) throw this.fail(`unexpected '${t.text}'`);
  }

  fail(why: string) {
    const what = this.#scimType === ScimType.InvalidPath ? 'path' : 'filter';
    return badRequest(this.#scimType, `Invalid ${what} ${JSON.stringify(this.#text)}: ${why}`);
  }
}

function show(path: AttrPath): string {
  return `${path.schema ? `${path.schema}:` : ''}${path.attr}${path.sub ? `.${path.sub}` : ''}`;
}
