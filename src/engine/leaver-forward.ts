/**
 * Leaver forwarding (issue 4): a leaver's DID from a pool with `leaverForward` keeps ringing
 * their manager (or the announcement) for the configured days, then is released to quarantine.
 * This decides, per leaver and run, which forwards their plan keeps; the planner turns them into
 * `did-forward` resources on every target that takes them, and the store keeps the number in
 * state `forwarding` with its end, so the end survives restarts and shows in `numbers list`.
 *
 * The target is resolved again at every run: a manager who left (or lost their numbers)
 * meanwhile is replaced by the announcement when one is configured, else the forward ends at
 * once. The end is noticed by the first full run after `until` (the injected clock).
 */
import type { PoolConfig } from '../core/config-types.ts';
import type { HeldNumber, Link, NumberForward, Person, RecordProblem } from '../core/model.ts';
import { FORWARD_TYPE, type PlannedForward } from '../core/planner.ts';
import type { LeaverForwardConfig } from '../core/pool-leaver-config.ts';
import type { NumberRecord } from '../store/types.ts';
import type { Engine } from './engine.ts';

const DAY_MS = 86_400_000;

export interface ForwardInput {
  engine: Engine;
  person: Person;
  leaving: boolean;
  /** Plan mode decides the same but writes nothing. */
  sync: boolean;
  actor: string;
  /** The person's assigned numbers. */
  held: HeldNumber[];
  /** The person's numbers in state `forwarding`. */
  forwarding: NumberRecord[];
  links: Link[];
}

/**
 * The forwards the person's plan keeps, and their forwarding numbers that must be in the plan's
 * numbers (so a forward that ends is released once its resources are gone).
 */
export async function leaverForwards(o: ForwardInput) {
  const numbers = o.forwarding.map(heldOf);
  const forwards: PlannedForward[] = [];
  const notes: RecordProblem[] = [];
  const targets = forwardTargets(o.engine, o.links);
  if (!o.leaving) return { forwards, numbers, notes };
  if (targets.length === 0) {
    notes.push(...unforwarded(o));
    return { forwards, numbers, notes };
  }

  const now = o.engine.clock();
  const pools = new Map(o.engine.config.pools.map((p) => [p.name, p]));
  for (const record of o.forwarding) {
    const config = pools.get(record.pool)?.leaverForward;
    const until = record.forward?.until;
    if (config === undefined || until === undefined || Date.parse(until) <= now.getTime()) continue;
    const to = await forwardTarget(o.engine, o.person, config);
    if (to === undefined) continue;

    const forward = { ...to, until };
    const on = carried(o, targets, heldOf(record));
    if (on.targets.length === 0) continue;
    if (o.sync && !sameForward(record.forward, forward)) {
      await o.engine.store.forwardNumber(record.pool, record.value, forward, now, o.actor);
    }
    forwards.push({ number: heldOf(record), forward, ...on });
  }

  for (const number of o.held) {
    const config = forwardConfig(pools.get(number.pool), number);
    if (config === undefined) continue;
    const to = await forwardTarget(o.engine, o.person, config);
    if (to === undefined) continue;

    const on = carried(o, targets, number);
    if (on.targets.length === 0) continue;
    const until = new Date(now.getTime() + config.days * DAY_MS).toISOString();
    const forward = { ...to, until };
    if (o.sync)
      await o.engine.store.forwardNumber(number.pool, number.value, forward, now, o.actor);
    forwards.push({ number, forward, ...on });
  }
  return { forwards, numbers, notes };
}

/**
 * A pool asks for a forward but none of the person's targets can carry one (the `null`
 * target, a platform without `did-forward`): said in the plan, so nobody expects the DID to
 * keep ringing. A note, not an error: the DID is released as it would be without forwarding.
 */
function unforwarded(o: ForwardInput): RecordProblem[] {
  const pools = new Map(o.engine.config.pools.map((p) => [p.name, p]));
  return o.held
    .filter((n) => forwardConfig(pools.get(n.pool), n) !== undefined)
    .map((n) => ({
      source: 'callsign',
      record: o.person.id,
      field: `numbers.${n.kind}`,
      message:
        `pool '${n.pool}' has leaverForward, but no target takes did-forward: ` +
        `the DID ${n.value} goes to quarantine directly`,
      severity: 'info' as const,
    }));
}

/**
 * Where the forward goes, and on targets that keep the person's own resource as the forward
 * (Unified CM's line), which one. Such a target without that resource and without the forward
 * already is left out: it has no number of the person's to forward.
 */
function carried(o: ForwardInput, targets: string[], number: HeldNumber) {
  const pools = o.engine.config.pools;
  // The extension the pool mapping (`extensionFrom`) pairs with the DID. Only that one: an
  // unpaired extension goes back to its pool at once, and may not stay a forward's line.
  const paired = o.held.find(
    (n) =>
      n.kind === 'extension' &&
      pools.find((p) => p.name === n.pool)?.extensionFrom?.didPool === number.pool,
  );
  const wanted = {
    did: number.value,
    ...(paired === undefined ? {} : { extension: paired.value }),
  };
  const kept: string[] = [];
  const lines: Record<string, string> = {};
  for (const name of targets) {
    const connector = o.engine.targets.get(name);
    const mine = o.links.filter((l) => l.target === name);
    if (connector?.forwardCarrier === undefined) {
      kept.push(name);
      continue;
    }
    const line = connector.forwardCarrier(mine, wanted);
    if (line !== undefined) lines[name] = line.key;
    const had = mine.some((l) => l.type === FORWARD_TYPE && l.key === number.value);
    if (line !== undefined || had) kept.push(name);
    else o.engine.log.debug({ personId: o.person.id, target: name }, 'leaver forward: no line');
  }
  return { targets: kept, ...(Object.keys(lines).length === 0 ? {} : { lines }) };
}

/**
 * True when a rehire's number from `pool` is one their forward still uses: a forwarding DID of
 * that pool, or of the DID pool its extensions follow (`extensionFrom`: Unified CM keeps the
 * extension's DN as the forward). Platforms report it in use until the forward goes, first.
 */
export function forwardsInPool(
  engine: Engine,
  forwarding: readonly NumberRecord[],
  pool: string,
): boolean {
  const didPool = engine.config.pools.find((p) => p.name === pool)?.extensionFrom?.didPool;
  return forwarding.some((f) => f.pool === pool || f.pool === didPool);
}

/** Targets that take forwards and on which the person has (or had) something. */
export function forwardTargets(engine: Engine, links: readonly Link[]): string[] {
  const linked = new Set(links.map((l) => l.target));
  return [...engine.targets.values()]
    .filter((t) => t.resourceTypes.includes(FORWARD_TYPE) && linked.has(t.name))
    .map((t) => t.name);
}

function forwardConfig(pool: PoolConfig | undefined, number: HeldNumber) {
  return number.kind === 'did' ? pool?.leaverForward : undefined;
}

/** Where the forward rings now: the manager's number, else the announcement, else nowhere. */
async function forwardTarget(
  engine: Engine,
  person: Person,
  config: LeaverForwardConfig,
): Promise<Omit<NumberForward, 'until'> | undefined> {
  if (config.to === 'manager') {
    const manager = await findManager(engine, person, config.managerAttribute);
    if (manager !== undefined && manager.status === 'active' && manager.id !== person.id) {
      const numbers = await engine.store.numbersOf(manager.id);
      const did = numbers.find((n) => n.kind === 'did')?.value;
      const extension = numbers.find((n) => n.kind === 'extension')?.value;
      const to = did ?? extension;
      if (to !== undefined) {
        return extension === undefined ? { to, via: 'manager' } : { to, extension, via: 'manager' };
      }
    }
    engine.log.debug({ personId: person.id }, 'leaver forward: manager cannot be rung');
  }
  const announcement = config.announcement;
  return announcement === undefined ? undefined : { to: announcement, via: 'announcement' };
}

/**
 * The manager the attribute names: a person id, a correlation value (employee id, mail) or a
 * directory DN. Several matches name nobody: a forward must not ring a guess.
 */
async function findManager(
  engine: Engine,
  person: Person,
  attribute: string,
): Promise<Person | undefined> {
  const raw = person.attributes[attribute];
  const ref = Array.isArray(raw) ? raw[0] : raw;
  if (typeof ref !== 'string' || ref === '') return undefined;
  const byId = await engine.store.getPerson(ref);
  if (byId !== undefined) return byId;

  const found = new Map<string, Person>();
  for (const key of engine.config.correlation) {
    for (const p of await engine.store.findPeopleByKey(key, ref)) found.set(p.id, p);
  }
  if (found.size === 0 && ref.includes('=')) {
    const dn = normalizeDn(ref);
    for (const p of await engine.store.listPeople()) {
      if (p.sourceLinks.some((l) => l.dn !== undefined && normalizeDn(l.dn) === dn)) {
        found.set(p.id, p);
      }
    }
  }
  return found.size === 1 ? [...found.values()][0] : undefined;
}

function normalizeDn(dn: string): string {
  return dn
    .split(',')
    .map((part) => part.trim().toLowerCase())
    .join(',');
}

function sameForward(a: NumberForward | undefined, b: NumberForward): boolean {
  return (
    a !== undefined &&
    a.to === b.to &&
    a.extension === b.extension &&
    a.via === b.via &&
    a.until === b.until
  );
}

function heldOf(record: NumberRecord): HeldNumber {
  return { pool: record.pool, kind: record.kind, value: record.value };
}
