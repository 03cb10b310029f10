/**
 * Rules decide which profile a person gets: the first rule whose CEL expression is true wins.
 * Expressions and pool-name templates are compiled once. A rule that fails on a person (an
 * attribute it reads is missing, or it does not return a boolean) is a problem on that person,
 * who then keeps what they have: a typo in the directory must not de-provision anyone.
 */
import { parse } from '@marcbachmann/cel-js';
import { celRefs } from './cel-refs.ts';
import { CallsignError, ErrorCode } from './errors.ts';
import type { CallsignConfig } from './config-types.ts';
import type {
  Attributes,
  Decision,
  Lifecycle,
  NumberKind,
  Person,
  RecordProblem,
} from './model.ts';
import { compileTemplate, templateProblem, type CompiledTemplate } from './template.ts';

export interface CompiledRules {
  /** Person attributes read by rules and by the templates of the profiles and pools. */
  readonly attributes: readonly string[];
  /** First matching rule's profile and number pools; lifecycle is carried through. */
  decide(person: Person, lifecycle?: Lifecycle): Decision;
  /** A stable hash of the rule-relevant attributes (mover detection). */
  fingerprint(person: Pick<Person, 'attributes'>): string;
}

/** Compiles the rules of a validated configuration. */
export function compileRules(
  config: Pick<CallsignConfig, 'rules' | 'profiles' | 'pools'>,
): CompiledRules {
  const poolKinds = new Map(config.pools.map((p) => [p.name, p.kind]));
  const rules = config.rules.map((rule, index) => compileRule(rule, index));
  const attributes = new Set<string>();
  for (const rule of rules) {
    for (const a of rule.attributes) attributes.add(a);
  }
  for (const profile of Object.values(config.profiles)) {
    for (const res of profile.resources) {
      const sources = [res.key, ...Object.values(res.attributes).map((a) => a.value)];
      for (const ref of sources.flatMap((s) => compileTemplate(s).refs)) {
        if (ref.root === 'person') attributes.add(ref.name);
      }
    }
  }
  const sorted = [...attributes].sort();
  return {
    attributes: sorted,
    decide: (person, lifecycle) => decide(rules, poolKinds, person, lifecycle),
    fingerprint: (person) => fingerprint(sorted, person.attributes),
  };
}

interface CompiledRule {
  name: string;
  /** `rules[N].when`, to name the configuration field in problems. */
  field: string;
  profile: string;
  evaluate: (context: { person: Attributes }) => unknown;
  attributes: string[];
  pools: { kind: NumberKind; template: CompiledTemplate }[];
}

function compileRule(rule: CallsignConfig['rules'][number], index: number): CompiledRule {
  let evaluate;
  try {
    evaluate = parse(rule.when);
  } catch (err) {
    throw new CallsignError(ErrorCode.Config, `Rule ${rule.name}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const pools = (Object.entries(rule.numbers) as [NumberKind, string][]).map(([kind, t]) => ({
    kind,
    template: compileTemplate(t),
  }));
  const attributes = celRefs(evaluate.ast).attributes;
  for (const pool of pools) {
    for (const ref of pool.template.refs) if (ref.root === 'person') attributes.push(ref.name);
  }
  const field = `rules[${index}].when`;
  return { name: rule.name, field, profile: rule.profile, evaluate, attributes, pools };
}

/** Lifecycles for which rules are not consulted: the person gets nothing (yet or any more). */
const NO_RULES: ReadonlySet<Lifecycle> = new Set(['leaver', 'future-start']);

function decide(
  rules: CompiledRule[],
  poolKinds: Map<string, NumberKind>,
  person: Person,
  lifecycle: Lifecycle = 'unchanged',
): Decision {
  const decision: Decision = { personId: person.id, lifecycle, numbers: [], problems: [] };
  if (NO_RULES.has(lifecycle) || person.status !== 'active') return decision;

  const context = { person: person.attributes };
  for (const rule of rules) {
    let result: unknown;
    try {
      result = rule.evaluate(context);
    } catch (err) {
      decision.problems.push(evaluationProblem(rule, person, err));
      return decision;
    }
    if (result === false) continue;
    if (result !== true) {
      const message =
        `rule ${rule.name} (${rule.field}) gave a ${typeof result}, not true or false: ` +
        'compare the value (person.site == "nyc") or test it with has(person.site)';
      decision.problems.push({ source: 'rules', record: person.id, field: rule.field, message });
      return decision;
    }
    return matched(decision, rule, poolKinds, person);
  }
  return decision;
}

function matched(
  decision: Decision,
  rule: CompiledRule,
  poolKinds: Map<string, NumberKind>,
  person: Person,
): Decision {
  const vars = { person: person.attributes };
  for (const { kind, template } of rule.pools) {
    const pool = template.render(vars);
    if (pool === undefined) {
      const where = `rule ${rule.name}, numbers.${kind}`;
      decision.problems.push(templateProblem(template, vars, { personId: person.id, where }));
    } else if (poolKinds.get(pool) !== kind) {
      const what = poolKinds.has(pool) ? `holds ${poolKinds.get(pool)} numbers` : 'does not exist';
      const message = `rule ${rule.name}: pool ${pool} (numbers.${kind}) ${what}`;
      decision.problems.push({ source: 'rules', record: person.id, field: kind, message });
    } else decision.numbers.push({ kind, pool });
  }
  // A partial decision would release the numbers it could not name: hold the person instead.
  if (decision.problems.length > 0) return { ...decision, numbers: [] };
  return { ...decision, rule: rule.name, profile: rule.profile };
}

function evaluationProblem(rule: CompiledRule, person: Person, err: unknown): RecordProblem {
  const e = err as { code?: string; summary?: string; message?: string };
  const summary = e.summary ?? String(e.message ?? err).split('\n')[0];
  const missing = e.code === 'no_such_key' ? /No such key: (.+)$/.exec(summary)?.[1] : undefined;
  if (missing !== undefined) {
    return {
      source: 'rules',
      record: person.id,
      field: missing,
      message: `rule ${rule.name} reads person.${missing}, which person ${person.id} lacks`,
    };
  }
  const message = `rule ${rule.name} (${rule.field}) failed: ${summary}`;
  return { source: 'rules', record: person.id, field: rule.field, message };
}

/**
 * Two independent 32-bit FNV-1a hashes over the values, in attribute order: 64 bits, enough to
 * notice a change (this is not a security boundary), and far cheaper per person than SHA-256.
 */
function fingerprint(attributes: readonly string[], values: Attributes): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (const name of attributes) {
    // JSON keeps types apart (1 vs "1"); the separator keeps `ab`+`c` and `a`+`bc` apart.
    const text = `${JSON.stringify(values[name] ?? null)}\u0001`;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 13);
    }
  }
  return (a >>> 0).toString(36).padStart(7, '0') + (b >>> 0).toString(36).padStart(7, '0');
}
