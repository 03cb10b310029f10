/**
 * Turns a decision into a person's plan: desired resources (rendered templates) compared with
 * what is linked. Make before break: creates in dependency order, then updates of enforced
 * attributes, then deletes with dependents first, then write-back of numbers to the sources,
 * and number releases last, after everything that used them is gone.
 */
import type { CallsignConfig, ProfileConfig } from './config-types.ts';
import type {
  Decision,
  EmergencyInfo,
  HeldNumber,
  Link,
  NumberForward,
  NumberKind,
  Person,
  PersonPlan,
  RecordProblem,
} from './model.ts';
import {
  compileProfiles,
  writeBackOf,
  type CompiledProfiles,
  type WriteBackMap,
} from './profiles.ts';
import { diff, type Wanted } from './plan-diff.ts';
import { templateProblem } from './template.ts';

export { compileProfiles, writeBackOf } from './profiles.ts';
export type { CompiledProfiles, WriteBackMap } from './profiles.ts';

export interface PlanInput {
  person: Person;
  decision: Decision;
  /** Numbers the person holds, plus those allocated (or peeked) for this decision. */
  numbers: HeldNumber[];
  links: Link[];
  /** Compiled profiles (fast) or the configuration's profiles (compiled once, then cached). */
  profiles?: CompiledProfiles | Record<string, ProfileConfig>;
  writeBack?: WriteBackMap;
  /** Alternative to `profiles` + `writeBack`: both are taken (and cached) from it. */
  config?: Pick<CallsignConfig, 'profiles' | 'sources'>;
  /**
   * The run's time. With it, write-back to an HR source is left out while the person's
   * `hireDate` is still to come (HR systems refuse contact data before the hire takes effect);
   * the next run after the hire date plans it.
   */
  now?: Date;
  /**
   * A leaver's numbers still forwarding (their pool's `leaverForward`, not yet ended): each
   * stays theirs and a `did-forward` resource keeps ringing the target on every target named.
   * Absent or empty for anyone else: a forward no longer wanted is removed, and its number
   * released once it is gone.
   */
  forwards?: PlannedForward[];
}

/** One forward a leaver's plan keeps, and the targets that carry it. */
export interface PlannedForward {
  number: HeldNumber;
  forward: NumberForward;
  targets: string[];
  /**
   * Per target, the key of the person's resource the forward keeps as itself (a Unified CM
   * directory number): it is handed over, not removed. See `TargetConnector.forwardCarrier`.
   */
  lines?: Record<string, string>;
}

/** Type of the resource that makes a leaver's DID ring elsewhere; keyed by the DID. */
export const FORWARD_TYPE = 'did-forward';

/** Forward attribute naming the kept resource's key (`pattern@partition` on Unified CM). */
export const FORWARD_LINE = 'line';

/**
 * Attribute added to the delete of a resource a forward keeps (its value: the DID): the target
 * forgets the link but leaves the resource, which now belongs to the forward.
 */
export const KEPT_FOR_FORWARD = 'keptForForward';

/** Type of write-back operations; their target is the source's name, their key the record id. */
export const WRITEBACK_TYPE = 'writeback';

/** Plans one person. Pure: the same input gives the same plan. */
export function planPerson(input: PlanInput): PersonPlan {
  const { person, decision } = input;
  const plan: PersonPlan = {
    personId: person.id,
    lifecycle: decision.lifecycle,
    label: labelOf(person),
    operations: [],
    problems: [...decision.problems],
    deprovision: false,
  };
  // Excluded: out of automation. Pinned: what is linked stays as it is. A decision with
  // problems, or a start still to come: nothing changes until it is resolved.
  if (person.excluded) return { ...plan, problems: [] };
  if (person.pinned || plan.problems.length > 0 || decision.lifecycle === 'future-start') {
    return plan;
  }

  const { profiles, writeBack } = resolveInputs(input);
  const leaving = decision.lifecycle === 'leaver' || person.status !== 'active';
  const wanted = leaving ? forwardsWanted(input) : desiredOf(input, profiles, writeBack);
  if ('problems' in wanted) return { ...plan, problems: wanted.problems };

  plan.operations = diff({ input, wanted, rank: profiles.rank, leaving });
  // A forward is what is left of a leaver: it does not count as keeping them provisioned.
  const kept = wanted.resources.filter((r) => r.type !== FORWARD_TYPE);
  const keepsNothing = kept.length === 0 && (leaving || wanted.numbers.size === 0);
  plan.deprovision = keepsNothing && plan.operations.length > 0;
  return plan;
}

/** Display name, else mail, else the first source record id, else the person id. */
export function labelOf(person: Person): string {
  for (const name of ['displayName', 'mail']) {
    const value = person.attributes[name];
    const text = Array.isArray(value) ? value[0] : value;
    if (typeof text === 'string' && text !== '') return text;
  }
  return person.sourceLinks[0]?.externalId ?? person.id;
}

function emptyWanted(): Wanted {
  return { resources: [], numbers: new Set() };
}

/** A leaver keeps only their forwards: the number, and a forward on each target carrying it. */
function forwardsWanted(input: PlanInput): Wanted {
  const wanted = emptyWanted();
  for (const { number, forward, targets, lines } of input.forwards ?? []) {
    wanted.numbers.add(`${number.pool}:${number.value}`);
    const attributes: Record<string, string> = {
      to: forward.to,
      via: forward.via,
      until: forward.until,
    };
    if (forward.extension !== undefined) attributes.extension = forward.extension;
    for (const target of targets) {
      // Once handed over, the kept resource's link is gone: the forward's own link remembers it.
      const had = input.links.find(
        (l) => l.target === target && l.type === FORWARD_TYPE && l.key === number.value,
      );
      const line = had?.attributes[FORWARD_LINE] ?? lines?.[target];
      wanted.resources.push({
        target,
        type: FORWARD_TYPE,
        key: number.value,
        attributes: line === undefined ? attributes : { ...attributes, [FORWARD_LINE]: line },
        // The kept resource is the forward's for its whole life: never re-pointed elsewhere.
        createOnly: line === undefined ? [] : [FORWARD_LINE],
        dependsOn: [],
        rank: 0,
      });
    }
  }
  return wanted;
}

/**
 * The emergency data templates see as `emergency.*`: the DID's, else the extension's; empty
 * values when neither has any, so `{{emergency.callback | default:...}}` can choose.
 */
function emergencyVars(numbers: readonly HeldNumber[]): Record<string, string> {
  const info: EmergencyInfo =
    numbers.find((n) => n.kind === 'did' && n.emergency)?.emergency ??
    numbers.find((n) => n.emergency)?.emergency ??
    {};
  return { location: info.location ?? '', elin: info.elin ?? '', callback: info.callback ?? '' };
}

function desiredOf(
  input: PlanInput,
  profiles: CompiledProfiles,
  writeBack: WriteBackMap,
): Wanted | { problems: RecordProblem[] } {
  const { person, decision } = input;
  const wanted = emptyWanted();
  if (decision.profile === undefined) return wanted;
  const resources = profiles.byName.get(decision.profile);
  const id = person.id;
  if (resources === undefined) {
    const message = `profile ${decision.profile} (rule ${decision.rule}) is not configured`;
    return { problems: [{ source: 'planner', record: id, message }] };
  }

  const numbers: Partial<Record<NumberKind, string>> = {};
  const used: HeldNumber[] = [];
  for (const need of decision.numbers) {
    const held = input.numbers.find((n) => n.pool === need.pool && n.kind === need.kind);
    if (held === undefined) {
      const message = `no ${need.kind} from pool ${need.pool} was allocated`;
      return { problems: [{ source: 'planner', record: id, field: need.kind, message }] };
    }
    numbers[need.kind] = held.value;
    used.push(held);
    wanted.numbers.add(`${held.pool}:${held.value}`);
  }

  const vars = { person: person.attributes, numbers, extra: { emergency: emergencyVars(used) } };
  const problems: RecordProblem[] = [];
  for (const res of resources) {
    const where = `profile ${decision.profile}, ${res.target}/${res.type}`;
    const key = res.key.render(vars);
    if (key === undefined) {
      problems.push(templateProblem(res.key, vars, { personId: id, where: `${where} key` }));
      continue;
    }
    const attributes: Record<string, string> = {};
    const createOnly: string[] = [];
    for (const attr of res.attributes) {
      const value = attr.template.render(vars);
      if (value === undefined) {
        const at = { personId: id, where: `${where} ${attr.name}` };
        problems.push(templateProblem(attr.template, vars, at));
      } else attributes[attr.name] = value;
      if (attr.createOnly) createOnly.push(attr.name);
    }
    const rank = profiles.rank.get(res.type) ?? 0;
    const dependsOn: string[] = [];
    for (const w of wanted.resources) {
      if (res.dependsOn.includes(w.type)) dependsOn.push(`${w.type}:${w.key}`);
    }
    const resource: Wanted['resources'][number] = {
      target: res.target,
      type: res.type,
      key,
      attributes,
      createOnly,
      dependsOn,
      rank,
    };
    if (res.secret) resource.secret = true;
    wanted.resources.push(resource);
  }
  // Rendering faults hold the person: planning half a profile would delete the rest.
  if (problems.length > 0) return { problems };

  const beforeHire = hireStillToCome(person, input.now);
  for (const link of person.sourceLinks) {
    const map = writeBack[link.source];
    if (map === undefined || wanted.resources.length === 0) continue;
    if (beforeHire && isHrSource(input.config, link.source)) continue;
    const attributes: Record<string, string> = {};
    // An empty value clears the attribute: the person has no number of that kind.
    for (const [attr, kind] of Object.entries(map)) attributes[attr] = numbers[kind] ?? '';
    wanted.resources.push({
      target: link.source,
      type: WRITEBACK_TYPE,
      key: link.externalId,
      attributes,
      createOnly: [],
      dependsOn: [],
      rank: Number.POSITIVE_INFINITY,
    });
  }
  return wanted;
}

function hireStillToCome(person: Person, now: Date | undefined): boolean {
  const hire = person.attributes.hireDate;
  if (now === undefined || typeof hire !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(hire)) {
    return false;
  }
  return now.toISOString().slice(0, 10) < hire;
}

/** Directories take a pre-hire's number (accounts exist before day one); HR systems do not. */
function isHrSource(config: PlanInput['config'], source: string): boolean {
  const type = config?.sources.find((s) => s.name === source)?.type;
  return type !== undefined && type !== 'ldap';
}

const cache = new WeakMap<object, { profiles: CompiledProfiles; writeBack: WriteBackMap }>();

function resolveInputs(input: PlanInput): { profiles: CompiledProfiles; writeBack: WriteBackMap } {
  const given = input.profiles;
  if (given !== undefined && 'compiled' in given && given.compiled === true) {
    return { profiles: given as CompiledProfiles, writeBack: input.writeBack ?? {} };
  }
  const owner: object | undefined = given ?? input.config;
  if (owner === undefined) {
    return { profiles: compileProfiles({}), writeBack: input.writeBack ?? {} };
  }

  let entry = cache.get(owner);
  if (entry === undefined) {
    const raw = (given ?? input.config?.profiles ?? {}) as Record<string, ProfileConfig>;
    const wb = input.writeBack ?? (input.config ? writeBackOf(input.config) : {});
    entry = { profiles: compileProfiles(raw), writeBack: wb };
    cache.set(owner, entry);
  }
  return { profiles: entry.profiles, writeBack: input.writeBack ?? entry.writeBack };
}
