/**
 * Validation of profiles (resource templates) and rules (CEL selectors). Templates and CEL are
 * compiled here, at load, so a typo is reported with its line before any person is touched.
 */
import { Environment, parse } from '@marcbachmann/cel-js';
import { isMap } from 'yaml';
import { celRefs } from './cel-refs.ts';
import type { ConfigReader, MapView } from './config-reader.ts';
import type {
  AttributeTemplate,
  ProfileConfig,
  ResourceTemplate,
  RuleConfig,
  SecretFormat,
  TargetConfig,
} from './config-types.ts';
import type { NumberKind } from './model.ts';
import { compileTemplate } from './template.ts';

/** Resource types each target kind accepts; other kinds accept any type. */
const TARGET_TYPES: Record<string, readonly string[]> = {
  kamailio: ['sip-subscriber', 'sip-alias'],
};
const RESOURCE_KEYS = ['target', 'type', 'key', 'attributes', 'dependsOn', 'secret'] as const;
const RULE_KEYS = ['name', 'when', 'profile', 'numbers'] as const;
const KINDS: readonly NumberKind[] = ['extension', 'did'];

export interface RuleContext {
  reader: ConfigReader;
  /** Attribute names the sources provide (`person.<name>`). */
  attributes: ReadonlySet<string>;
  targets: TargetConfig[];
  /** Every declared pool name and the kind it claims (valid or not). */
  pools: ReadonlyMap<string, string | undefined>;
}

/** Reads `profiles` (name → { resources }); also returns the number kinds each one uses. */
export function readProfiles(ctx: RuleContext, view: MapView | undefined) {
  const profiles: Record<string, ProfileConfig> = {};
  const kindsUsed = new Map<string, Set<NumberKind>>();
  const secrets = new Map<string, string>();
  for (const name of view?.entries.keys() ?? []) {
    const profile = view?.map(name, ['resources']);
    if (profile === undefined) continue;
    const used = new Set<NumberKind>();
    const items = ctx.reader.list(
      profile.value('resources'),
      profile.pathOf('resources'),
      profile.keyLine('resources'),
    );
    if (items.length === 0) profile.problem('resources', 'must list at least one resource');

    const resources: ResourceTemplate[] = [];
    for (const item of items) {
      const res = ctx.reader.map(item.node, item.path, item.line, RESOURCE_KEYS);
      const read = res === undefined ? undefined : readResource(ctx, res, used);
      if (read === undefined) continue;
      resources.push(read);
      checkSecretFormat(secrets, read, res!);
    }
    checkDependencies(resources, profile);
    profiles[name] = { name, resources };
    kindsUsed.set(name, used);
  }
  return { profiles, kindsUsed };
}

/** Reads `rules` (a list; first match wins), checking CEL, profile and pool references. */
export function readRules(
  ctx: RuleContext,
  top: MapView,
  profiles: { profiles: Record<string, ProfileConfig>; kindsUsed: Map<string, Set<NumberKind>> },
): RuleConfig[] {
  const rules: RuleConfig[] = [];
  const seen = new Map<string, number>();
  for (const item of ctx.reader.list(top.value('rules'), 'rules', top.keyLine('rules'))) {
    const view = ctx.reader.map(item.node, item.path, item.line, RULE_KEYS);
    if (view === undefined) continue;
    const name = view.str('name', { required: true });
    const when = view.str('when', { required: true });
    const profile = view.str('profile', { required: true });
    if (name !== undefined) {
      const first = seen.get(name);
      if (first !== undefined) view.problem('name', `duplicate rule name ${name} (line ${first})`);
      else seen.set(name, view.keyLine('name'));
    }
    if (when !== undefined) checkWhen(ctx, view, when);
    if (profile !== undefined && profiles.profiles[profile] === undefined) {
      view.problem('profile', `unknown profile ${profile}; known: ${known(profiles.profiles)}`);
    }

    const numbers = readRuleNumbers(ctx, view);
    const needs = profile === undefined ? undefined : profiles.kindsUsed.get(profile);
    for (const kind of needs ?? []) {
      if (numbers[kind] === undefined) {
        const msg = `profile ${profile} uses numbers.${kind}, but no ${kind} pool is set`;
        view.problem('numbers', msg);
      }
    }
    if (name !== undefined && when !== undefined && profile !== undefined) {
      rules.push({ name, when, profile, numbers });
    }
  }
  return rules;
}

function readResource(ctx: RuleContext, res: MapView, used: Set<NumberKind>) {
  const target = res.str('target', { required: true });
  const type = res.str('type', { required: true });
  const key = res.str('key', { required: true });
  const { secret, secretFormat } = readSecret(res);
  const dependsOn = res.strings('dependsOn');
  const targetConfig = ctx.targets.find((t) => t.name === target);
  if (target !== undefined && targetConfig === undefined) {
    const names = ctx.targets.map((t) => t.name).join(', ');
    res.problem('target', `unknown target ${target}; known: ${names}`);
  }
  const types = targetConfig === undefined ? undefined : TARGET_TYPES[targetConfig.type];
  if (type !== undefined && types !== undefined && !types.includes(type)) {
    res.problem('type', `${targetConfig?.type} targets take ${types.join(', ')}, not ${type}`);
  }
  if (key !== undefined) checkTemplate(ctx, res, 'key', key, used);

  const attributes: Record<string, AttributeTemplate> = {};
  const attrs = res.map('attributes');
  for (const name of attrs?.entries.keys() ?? []) {
    const read = readAttribute(ctx, attrs as MapView, name, used);
    if (read !== undefined) attributes[name] = read;
  }
  if (target === undefined || type === undefined || key === undefined) return undefined;
  const read: ResourceTemplate = { target, type, key, attributes, dependsOn, secret };
  return secretFormat === undefined ? read : { ...read, secretFormat };
}

/**
 * A secret is generated once per resource, by its target and type: every profile must ask for
 * the same kind (a password, or a PIN of one length) for a given target and type.
 */
function checkSecretFormat(seen: Map<string, string>, res: ResourceTemplate, view: MapView) {
  if (!res.secret) return;
  const kind =
    res.secretFormat === undefined ? 'a password' : `a PIN of ${res.secretFormat.length} digits`;
  const id = `${res.target}/${res.type}`;
  const first = seen.get(id);
  if (first === undefined) seen.set(id, kind);
  else if (first !== kind)
    view.problem('secret', `${id} secrets are ${first} elsewhere, not ${kind}`);
}

/** `secret: true|false`, or `secret: { pin: N }` for an N-digit PIN (4 to 24 digits). */
function readSecret(res: MapView): { secret: boolean; secretFormat?: SecretFormat } {
  if (!isMap(res.value('secret'))) return { secret: res.bool('secret', false) };
  const view = res.map('secret', ['pin']);
  if (view === undefined) return { secret: false };
  if (!view.has('pin')) view.problem('pin', 'is required (the number of digits)');
  const length = view.num('pin', { default: 6, min: 4, max: 24, integer: true });
  return { secret: true, secretFormat: { kind: 'pin', length } };
}

/** `name: "template"` (enforced) or `name: { value: "template", mode: create|enforce }`. */
function readAttribute(ctx: RuleContext, attrs: MapView, name: string, used: Set<NumberKind>) {
  const plain = ctx.reader.text(attrs.value(name));
  if (plain !== undefined) {
    checkTemplate(ctx, attrs, name, plain, used, ATTRIBUTE_ROOTS);
    return { value: plain, mode: 'enforce' } satisfies AttributeTemplate;
  }
  const view = attrs.map(name, ['value', 'mode']);
  const value = view?.str('value', { required: true });
  const mode = view?.str('mode') ?? 'enforce';
  if (mode !== 'enforce' && mode !== 'create') {
    view?.problem('mode', `must be create or enforce, not ${JSON.stringify(mode)}`);
    return undefined;
  }
  if (view === undefined || value === undefined) return undefined;
  checkTemplate(ctx, view, 'value', value, used, ATTRIBUTE_ROOTS);
  return { value, mode } satisfies AttributeTemplate;
}

function readRuleNumbers(ctx: RuleContext, view: MapView): Partial<Record<NumberKind, string>> {
  const numbers: Partial<Record<NumberKind, string>> = {};
  const map = view.map('numbers', KINDS);
  for (const kind of KINDS) {
    const pool = map?.str(kind);
    if (map === undefined || pool === undefined) continue;
    const template = checkTemplate(ctx, map, kind, pool, new Set(), ['person']);
    numbers[kind] = pool;
    if (template === undefined || !template.constant) continue;

    // A fixed pool name can be checked now; a templated one is checked per person.
    if (!ctx.pools.has(pool)) map.problem(kind, `unknown pool ${pool}`);
    else if (ctx.pools.get(pool) !== kind) {
      map.problem(kind, `pool ${pool} holds ${ctx.pools.get(pool)} numbers, not ${kind}`);
    }
  }
  return numbers;
}

/** Attributes may also read the emergency data of the person's numbers (`emergency.callback`). */
const ATTRIBUTE_ROOTS = ['person', 'numbers', 'emergency'] as const;
const EMERGENCY_FIELDS = ['location', 'elin', 'callback'];

function checkTemplate(
  ctx: RuleContext,
  view: MapView,
  key: string,
  source: string,
  used: Set<NumberKind>,
  roots: readonly string[] = ['person', 'numbers'],
) {
  let template;
  try {
    template = compileTemplate(source);
  } catch (err) {
    view.problem(key, (err as Error).message);
    return undefined;
  }
  for (const ref of template.refs) {
    const name = `${ref.root}.${ref.name}`;
    if (!roots.includes(ref.root)) view.problem(key, `template uses unknown variable ${name}`);
    else if (ref.root === 'numbers' && !KINDS.includes(ref.name as NumberKind)) {
      view.problem(key, `template uses unknown variable ${name}; numbers has extension, did`);
    } else if (ref.root === 'numbers') used.add(ref.name as NumberKind);
    else if (ref.root === 'emergency') {
      if (!EMERGENCY_FIELDS.includes(ref.name)) {
        view.problem(
          key,
          `template uses unknown variable ${name}; emergency has location, elin, callback`,
        );
      }
    } else if (!ctx.attributes.has(ref.name)) {
      view.problem(key, `template uses ${name}, which no source maps (${attrList(ctx)})`);
    }
  }
  return template;
}

function checkWhen(ctx: RuleContext, view: MapView, when: string): void {
  let ast;
  try {
    ast = parse(when).ast;
  } catch (err) {
    const e = err as { summary?: string; message: string; range?: { start: number } };
    const column = e.range === undefined ? '' : ` at column ${e.range.start + 1}`;
    view.problem('when', `CEL syntax error${column}: ${e.summary ?? e.message.split('\n')[0]}`);
    return;
  }
  const refs = celRefs(ast);
  for (const name of refs.unknownNames) {
    view.problem('when', `unknown variable ${name}; rules see a person as person.<attribute>`);
  }
  for (const attr of refs.attributes) {
    if (!ctx.attributes.has(attr)) {
      view.problem('when', `person.${attr} is not an attribute any source maps (${attrList(ctx)})`);
    }
  }
  if (refs.unknownNames.length === 0 && checkWhenType(view, when)) {
    const fault = notBoolean(ast as unknown as CelNode);
    if (fault !== undefined) {
      view.problem(
        'when',
        `${fault} gives a value, not true or false: compare it (person.site == "nyc") ` +
          'or test that it is set (has(person.site))',
      );
    }
  }
}

/** An AST node as cel-js parses it: an operator and its arguments. */
interface CelNode {
  op: string;
  args: unknown;
  start?: number;
  end?: number;
}

/** Attributes sources give as true/false (HR leave), which a condition may use as they are. */
const BOOLEAN_ATTRIBUTES: ReadonlySet<string> = new Set(['onLeave']);
const COMPARISONS = new Set(['==', '!=', '<', '<=', '>', '>=', 'in']);
/** Functions and methods (and macros) whose result is a boolean. */
const BOOLEAN_CALLS = new Set([
  'has',
  'matches',
  'startsWith',
  'endsWith',
  'contains',
  'exists',
  'all',
  'exists_one',
  'bool',
]);

/**
 * Where a condition would give something other than true or false, described; undefined when
 * every branch it can end in is boolean. Person attributes type-check as `dyn`, so a bare
 * `person.site` passes the type checker and fails only per person at run time.
 */
function notBoolean(node: CelNode): string | undefined {
  const args = Array.isArray(node.args) ? (node.args as unknown[]) : [node.args];
  if (COMPARISONS.has(node.op)) return undefined;
  if (node.op === '&&' || node.op === '||' || node.op === '!_') {
    for (const arg of args) {
      const fault = notBoolean(arg as CelNode);
      if (fault !== undefined) return fault;
    }
    return undefined;
  }
  if (node.op === '?:') return notBoolean(args[1] as CelNode) ?? notBoolean(args[2] as CelNode);
  if (node.op === 'value') return typeof node.args === 'boolean' ? undefined : 'a constant';
  if (node.op === 'call' || node.op === 'rcall') {
    const name = String(args[0]);
    return BOOLEAN_CALLS.has(name) ? undefined : `${name}(…)`;
  }
  if (node.op === '.') {
    const [base, name] = args as [CelNode, string];
    const isPerson = base.op === 'id' && base.args === 'person';
    if (isPerson && BOOLEAN_ATTRIBUTES.has(name)) return undefined;
    return isPerson ? `person.${name}` : `the field ${name}`;
  }
  if (node.op === '[]') return 'an index';
  if (node.op === 'id') return String(node.args);
  return `the ${node.op} expression`;
}

/** Person attributes are dynamic: only what is certain at load (a string, `"a" + 1`) is refused. */
const whenTypes = new Environment({ unlistedVariablesAreDyn: false }).registerVariable(
  'person',
  'map',
);

/** False when the condition was refused. */
function checkWhenType(view: MapView, when: string): boolean {
  const checked = whenTypes.check(when);
  if (!checked.valid) {
    const message = checked.error?.message.split('\n')[0] ?? 'does not type-check';
    view.problem('when', `CEL type error: ${message}`);
    return false;
  } else if (checked.type !== 'bool' && checked.type !== 'dyn') {
    view.problem('when', `must give true or false; this gives a ${checked.type}`);
    return false;
  }
  return true;
}

function checkDependencies(resources: ResourceTemplate[], profile: MapView): void {
  const types = new Set(resources.map((r) => r.type));
  for (const res of resources) {
    for (const dep of res.dependsOn) {
      if (types.has(dep)) continue;
      profile.problem('resources', `${res.type} depends on ${dep}, not in profile`);
    }
  }
  // A cycle would leave no valid creation order.
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (type: string): boolean => {
    if (state.get(type) === 'done') return false;
    if (state.get(type) === 'visiting') return true;
    state.set(type, 'visiting');
    const deps = resources.find((r) => r.type === type)?.dependsOn ?? [];
    const cycle = deps.some((d) => types.has(d) && visit(d));
    state.set(type, 'done');
    return cycle;
  };
  if ([...types].some((t) => visit(t))) profile.problem('resources', 'dependsOn forms a cycle');
}

function known(record: Record<string, unknown>): string {
  return Object.keys(record).join(', ') || '(none)';
}

function attrList(ctx: RuleContext): string {
  return `known: ${[...ctx.attributes].sort().join(', ') || '(none)'}`;
}
