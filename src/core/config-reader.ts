/**
 * Reads a YAML document with source positions, so that every validation problem names file,
 * line and field. Problems are collected, never thrown one at a time: an administrator fixes a
 * whole file in one pass.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document, Node, Pair, YAMLMap } from 'yaml';

/** One thing wrong with a configuration file. */
export interface ConfigProblem {
  file: string;
  line: number;
  /** Dotted field path, e.g. `pools.nyc-ext.range`. */
  path: string;
  message: string;
}

export class ConfigReader {
  readonly problems: ConfigProblem[] = [];
  readonly file: string;
  readonly source: string;
  readonly #lines = new LineCounter();
  readonly doc: Document;

  constructor(file: string, text: string) {
    this.file = file;
    this.source = text;
    // Duplicate keys are reported by MapView with both lines, so yaml must not stop at them.
    this.doc = parseDocument(text, { lineCounter: this.#lines, uniqueKeys: false });
    for (const err of [...this.doc.errors, ...this.doc.warnings]) {
      // yaml's own message ends with a code frame that may show a secret: keep the first line.
      const line = err.linePos?.[0].line ?? 1;
      const first = err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      this.problems.push({ file, line, path: '(syntax)', message: first });
    }
  }

  lineOf(node: Node | null | undefined): number {
    const start = node?.range?.[0];
    return start === undefined ? 1 : this.#lines.linePos(start).line;
  }

  add(line: number, path: string, message: string): void {
    this.problems.push({ file: this.file, line, path, message });
  }

  /** Reads `node` as a mapping with only `allowed` keys; reports and returns undefined if not. */
  map(node: unknown, path: string, line: number, allowed?: readonly string[]) {
    if (!isMap(node)) {
      this.add(line, path, `must be a mapping, not ${describe(node)}`);
      return undefined;
    }
    return new MapView(this, node, path, allowed);
  }

  /** Items of a sequence with their paths; reports a non-sequence. */
  list(node: unknown, path: string, line: number): { node: unknown; path: string; line: number }[] {
    if (node === undefined) return [];
    if (!isSeq(node)) {
      this.add(line, path, `must be a list, not ${describe(node)}`);
      return [];
    }
    return node.items.map((item, i) => ({
      node: item,
      path: `${path}[${i}]`,
      line: this.lineOf(item as Node),
    }));
  }

  /** A scalar as text; numbers keep their source spelling so `0100` stays `0100`. */
  text(node: unknown): string | undefined {
    if (!isScalar(node)) return undefined;
    if (typeof node.value === 'string') return node.value;
    if (typeof node.value === 'number' || typeof node.value === 'bigint') {
      const [start, end] = node.range ?? [0, 0];
      return this.source.slice(start, end).trim() || String(node.value);
    }
    return undefined;
  }
}

/** A YAML mapping seen through its keys, with unknown and duplicate keys reported once. */
export class MapView {
  readonly path: string;
  readonly line: number;
  readonly entries = new Map<string, Pair<unknown, unknown>>();
  readonly #reader: ConfigReader;

  constructor(reader: ConfigReader, node: YAMLMap, path: string, allowed?: readonly string[]) {
    this.#reader = reader;
    this.path = path;
    this.line = reader.lineOf(node);
    for (const pair of node.items) this.#addEntry(pair, allowed);
  }

  keyLine(key: string): number {
    const pair = this.entries.get(key);
    return pair === undefined ? this.line : this.#reader.lineOf(pair.key as Node);
  }

  pathOf(key: string): string {
    return this.path === '' ? key : `${this.path}.${key}`;
  }

  value(key: string): unknown {
    return this.entries.get(key)?.value ?? undefined;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  problem(key: string, message: string): void {
    this.#reader.add(this.has(key) ? this.keyLine(key) : this.line, this.pathOf(key), message);
  }

  /** A string field; numbers are accepted as their source text. */
  str(key: string, opts: { required?: boolean } = {}): string | undefined {
    if (!this.has(key) || isNullScalar(this.value(key))) {
      if (opts.required === true) this.problem(key, 'is required');
      return undefined;
    }
    const text = this.#reader.text(this.value(key));
    if (text === undefined) this.problem(key, `must be a string, not ${describe(this.value(key))}`);
    return text;
  }

  num(key: string, opts: { default: number; min?: number; max?: number; integer?: boolean }) {
    if (!this.has(key)) return opts.default;
    const node = this.value(key);
    const value = isScalar(node) ? node.value : undefined;
    const bad = typeof value !== 'number' || (opts.integer === true && !Number.isInteger(value));
    const kind = opts.integer === true ? 'an integer' : 'a number';
    if (bad) {
      this.problem(key, `must be ${kind}, not ${describe(node)}`);
      return opts.default;
    }
    const low = opts.min !== undefined && value < opts.min;
    if (low || (opts.max !== undefined && value > opts.max)) {
      this.problem(key, `${value} is outside ${opts.min ?? '-∞'}..${opts.max ?? '∞'}`);
      return opts.default;
    }
    return value;
  }

  bool(key: string, fallback: boolean): boolean {
    if (!this.has(key)) return fallback;
    const node = this.value(key);
    if (isScalar(node) && typeof node.value === 'boolean') return node.value;
    this.problem(key, `must be true or false, not ${describe(node)}`);
    return fallback;
  }

  /** A list of strings (a lone string is accepted as a list of one). */
  strings(key: string): string[] {
    if (!this.has(key)) return [];
    const node = this.value(key);
    const single = this.#reader.text(node);
    if (single !== undefined) return [single];

    const out: string[] = [];
    for (const item of this.#reader.list(node, this.pathOf(key), this.keyLine(key))) {
      const text = this.#reader.text(item.node);
      if (text === undefined) this.#reader.add(item.line, item.path, 'must be a string');
      else out.push(text);
    }
    return out;
  }

  /** A nested mapping field. */
  map(key: string, allowed?: readonly string[], required = false): MapView | undefined {
    if (!this.has(key)) {
      if (required) this.problem(key, 'is required');
      return undefined;
    }
    return this.#reader.map(this.value(key), this.pathOf(key), this.keyLine(key), allowed);
  }

  #addEntry(pair: Pair<unknown, unknown>, allowed: readonly string[] | undefined): void {
    const name = this.#reader.text(pair.key) ?? String(isScalar(pair.key) ? pair.key.value : '?');
    const line = this.#reader.lineOf(pair.key as Node);
    const first = this.entries.get(name);
    if (first !== undefined) {
      const firstLine = this.#reader.lineOf(first.key as Node);
      this.#reader.add(line, this.pathOf(name), `duplicate key (first at line ${firstLine})`);
      return;
    }
    if (allowed !== undefined && !allowed.includes(name)) {
      const where = this.path === '' ? 'at the top level' : `in ${this.path}`;
      const known = allowed.join(', ');
      this.#reader.add(line, this.pathOf(name), `unknown key ${name} ${where}; known: ${known}`);
      return;
    }
    this.entries.set(name, pair);
  }
}

/** Short description of a node's kind for messages; never its value (it may be a secret). */
export function describe(node: unknown): string {
  if (node === undefined || node === null) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    if (node.value === null) return 'null';
    return `a ${typeof node.value}`;
  }
  return 'an unknown node';
}

function isNullScalar(node: unknown): boolean {
  return node === null || (isScalar(node) && node.value === null);
}
