import { randomUUID } from 'node:crypto';

import { correlate } from '../core/correlate.ts';
import { CallsignError, toCallsignError } from '../core/errors.ts';
import { classify, hasEnded } from '../core/lifecycle.ts';
import type {
  HeldNumber,
  Lifecycle,
  Link,
  Person,
  PersonPlan,
  RecordProblem,
  Snapshot,
  SourceRecord,
} from '../core/model.ts';
import { labelOf, planPerson } from '../core/planner.ts';
import { compileRules, type CompiledRules } from '../core/rules.ts';
import type { NumberPreview, NumberRecord, RunState } from '../store/types.ts';
import type { Engine } from './engine.ts';
import type { EngineEvents } from './events.ts';
import { allocateFree } from './allocate.ts';
import { handOutCredentials, secretFormatOf, type Credential } from './credentials.ts';
import { dropDrifted } from './drift.ts';
import { Executor } from './executor.ts';
import { forwardsInPool, leaverForwards } from './leaver-forward.ts';
import { withEmergency } from './number-emergency.ts';
import {
  alreadyApproved,
  brakeCheck,
  withoutBlindLeave,
  withoutOpen,
  type BrakeVerdict,
} from './plan-guards.ts';
import { secretRef } from './vault.ts';
import { mergePerson, pendingMissing, readSources, type SourceReport } from './observe.ts';

export interface ReconcileOptions {
  /** `plan` touches nothing; `sync` journals and runs. */
  mode: 'plan' | 'sync';
  actor: string;
  signal?: AbortSignal;
  onProgress?: (stage: string, done: number, total: number) => void;
  /** Engine events of the operations this run executes (metrics, webhooks). */
  events?: EngineEvents;
  /**
   * Changes read from change feeds instead of full reads: only the people they name are
   * planned, and nobody absent from them is taken for gone.
   */
  changes?: ChangeSet[];
  /**
   * False: journal the operations and return (a long-running executor runs them), as the API
   * and SCIM do so that a request answers once its plan is journaled. Default true.
   */
  execute?: boolean;
}

/** What one source's change feed returned since its cursor. */
export interface ChangeSet {
  source: string;
  records: SourceRecord[];
  problems: RecordProblem[];
}

export type { Credential };

export interface RunReport {
  runId: string;
  mode: 'plan' | 'sync';
  state: RunState | 'planned';
  sources: SourceReport[];
  /** People with operations or problems. */
  plans: PersonPlan[];
  counts: Partial<Record<Lifecycle, number>>;
  brake?: BrakeVerdict;
  execution?: { done: number; failed: number; retried: number };
  /** New secrets handed out by this run: shown once, then never again. */
  credentials: Credential[];
  problems: RecordProblem[];
}

/**
 * One reconciliation: read every source, correlate, classify, decide, plan; then (sync) check
 * the safety brake, journal and run. People whose records came from an incomplete read are
 * never treated as gone.
 */
export function reconcile(engine: Engine, options: ReconcileOptions): Promise<RunReport> {
  // One at a time per engine: the poll loop, the API and SCIM may ask at once, and two
  // overlapping runs would plan the same person twice.
  const before = inFlight.get(engine) ?? Promise.resolve();
  const next = before.catch(() => undefined).then(() => reconcileOnce(engine, options));
  inFlight.set(engine, next);
  return next;
}

const inFlight = new WeakMap<Engine, Promise<unknown>>();

/** Rules compile once per loaded configuration: a SCIM request must not parse CEL again. */
const compiled = new WeakMap<Engine['config'], CompiledRules>();
function rulesOf(config: Engine['config']): CompiledRules {
  let rules = compiled.get(config);
  if (rules === undefined) {
    rules = compileRules(config);
    compiled.set(config, rules);
  }
  return rules;
}

async function reconcileOnce(engine: Engine, options: ReconcileOptions): Promise<RunReport> {
  const { store, config, log, clock } = engine;
  const sync = options.mode === 'sync';
  if (sync) {
    const waiting = (await store.listRuns(20)).find((r) => r.state === 'braked');
    if (waiting) {
      throw new CallsignError(
        'state',
        `run ${waiting.id} waits at the safety brake: approve or reject it before a new sync`,
        { details: { runId: waiting.id } },
      );
    }
  }
  // The run is recorded once there is something to record, so quiet polls leave no trace.
  const runId = sync ? randomUUID() : `plan-${randomUUID()}`;
  const rules = rulesOf(config);

  options.onProgress?.('reading sources', 0, engine.sources.size);
  const { snapshots, reports } = options.changes
    ? changeSnapshots(options.changes)
    : await readSources(engine.sources.values(), options.signal);
  const completeSources = new Set(snapshots.filter((s) => s.complete).map((s) => s.source));
  const records = snapshots.flatMap((s) => s.records);
  const problems: RecordProblem[] = reports.flatMap((r) => r.problems);

  // A change batch reads only what the people it plans need, by indexed queries: reading every
  // person, link and number (the whole inventory, free numbers included) per SCIM request
  // dominated its latency. Correlation needs everyone unless every record is already linked.
  const focus = options.changes ? await linkedPeople(engine, records) : undefined;
  const people = focus ?? (await store.listPeople());
  const links = focus ? undefined : groupBy(await store.listLinks(), (l) => l.personId);
  const linksOf = async (id: string) => (links ? (links.get(id) ?? []) : store.listLinks(id));
  const numbers = options.changes
    ? undefined
    : groupBy(
        // Only numbers in use: the free ones (most of a large pool) are never needed here.
        [
          ...(await store.searchNumbers({ state: 'assigned' })),
          ...(await store.searchNumbers({ state: 'forwarding' })),
        ].filter((n) => n.personId),
        (n) => n.personId!,
      );
  const heldBy = async (id: string): Promise<HeldNumber[]> =>
    numbers === undefined
      ? store.numbersOf(id)
      : (numbers.get(id) ?? []).filter((n) => n.state === 'assigned').map(heldOf);
  const forwardingOf = async (id: string) =>
    numbers === undefined
      ? store.searchNumbers({ personId: id, state: 'forwarding' })
      : (numbers.get(id) ?? []).filter((n) => n.state === 'forwarding');

  // Operations journaled earlier and not finished: not planned again, and failures are shown.
  const unfinished = await store.listOperations({
    state: ['pending', 'running', 'failed', 'held'],
  });
  const open = groupBy(unfinished, (op) => op.personId);
  // A full sync reads a slice of the links back: one removed by hand is created again.
  if (sync && links) problems.push(...(await dropDrifted(engine, links, unfinished)));
  // Runs cut short (a crash, a kill -9) left operations pending or running: this run resumes them.
  const resume = [
    ...new Set(
      unfinished
        .filter((op) => op.state === 'pending' || op.state === 'running')
        .map((op) => op.runId),
    ),
  ];
  const matched = correlate({ records, people, keys: config.correlation });
  problems.push(...matched.problems);
  const recordsOf = new Map<string, SourceRecord[]>();
  const nextPeople = new Map<string, Person>();
  for (const { person, records: own } of matched.matches) {
    // A deletion of someone never seen (or already forgotten) changes nothing.
    if (!person && own.every((r) => r.state === 'deleted')) continue;
    const base = person ?? newPerson();
    recordsOf.set(base.id, own);
    nextPeople.set(base.id, base);
  }
  // People with a held (ambiguous) record keep everything as it is until someone resolves it.
  const held = new Set(matched.heldPeople);
  // Ids a source saw but held (an HR worker id on two rows): their people stay as they are.
  const heldIds = new Set(
    snapshots.flatMap((s: Snapshot) => (s.heldIds ?? []).map((id) => `${s.source}\u0000${id}`)),
  );
  for (const person of heldIds.size === 0 ? [] : people) {
    const links = person.sourceLinks.map((l) => `${l.source}\u0000${l.externalId}`);
    if (links.some((l) => heldIds.has(l))) held.add(person.id);
  }
  // A change batch plans only the people it names; a full read plans everyone.
  for (const person of options.changes ? [] : people) {
    if (!nextPeople.has(person.id) && !held.has(person.id)) nextPeople.set(person.id, person);
  }
  for (const id of held) nextPeople.delete(id);

  const graceSeconds = (name: string) => {
    const source = config.sources.find((s) => s.name === name);
    // Every source type that can say someone is gone by leaving them out (LDAP and HR) has one.
    return source !== undefined && 'missingGraceSeconds' in source
      ? (source.missingGraceSeconds ?? 0)
      : 0;
  };
  const plans: PersonPlan[] = [];
  const unsynced = engine.unsyncedPools?.definitions;
  const preview = sync ? undefined : store.previewNumbers(clock, unsynced);
  const counts: Partial<Record<Lifecycle, number>> = {};
  const previousById = new Map(people.map((p) => [p.id, p]));
  let done = 0;
  const leaving: { before: Person; after: Person }[] = [];
  const approved = new Set<string>();
  for (const [id, base] of nextPeople) {
    const previous = previousById.get(id);
    const person = mergePerson({
      previous: base,
      records: recordsOf.get(id) ?? [],
      completeSources,
      sourceOrder: config.sources.map((s) => s.name),
      now: clock(),
      graceSeconds,
    });
    const label = `${labelOf(person)} (${person.id})`;
    const pending = pendingMissing({ person, now: clock(), graceSeconds, label });
    // Inside the grace, someone no read shows any more keeps what they have: nothing is
    // planned, so nothing is allocated or written to an entry that may be gone (the problems
    // say when it ends). Someone still present in another record (a converted contractor's new
    // worker id) is planned from it as usual.
    const planned =
      pending.length > 0 && !recordsOf.has(id)
        ? keptInGrace(person)
        : await planOne({
            engine,
            rules,
            person,
            previous,
            sync,
            links: await linksOf(id),
            held: await heldBy(id),
            forwarding: await forwardingOf(id),
            actor: options.actor,
            preview,
          });
    const blind = withoutBlindLeave(planned, person, recordsOf.has(id), completeSources);
    const plan = withoutOpen(blind, open.get(id) ?? []);
    plan.problems.push(...pending);
    counts[plan.lifecycle] = (counts[plan.lifecycle] ?? 0) + 1;
    if (plan.operations.length > 0 || plan.problems.length > 0) plans.push(plan);
    problems.push(...plan.problems);
    if (plan.deprovision && alreadyApproved(plan, previous, person)) approved.add(id);
    if (sync)
      await store.savePerson(
        { ...person, lastAppliedHash: rules.fingerprint(person) },
        keysOf(person, config.correlation),
      );
    // Put back if the brake holds the run: the observation waits for approval.
    if (sync && plan.deprovision && previous) leaving.push({ before: previous, after: person });
    options.onProgress?.('planning', ++done, nextPeople.size);
  }

  const report: RunReport = {
    runId,
    mode: options.mode,
    state: 'planned',
    sources: reports,
    plans,
    counts,
    credentials: [],
    problems,
  };
  // The brake's base (people with resources) is read only when someone would lose theirs.
  const known = links
    ? links.size
    : plans.some((p) => p.deprovision)
      ? await store.countLinkedPeople()
      : 0;
  report.brake = brakeCheck(engine, plans, known, approved);
  if (!sync) return report;

  const ops = plans.flatMap((p) => p.operations);
  const quiet =
    ops.length === 0 &&
    problems.length === 0 &&
    reports.every((r) => r.complete) &&
    (resume.length === 0 || options.execute === false);
  if (quiet) {
    report.state = 'finished';
    return report;
  }
  await store.createRun({
    id: runId,
    kind: options.changes ? 'event' : 'sync',
    state: 'running',
    actor: options.actor,
    summary: {},
  });
  for (const op of ops) {
    if (op.secret && op.action === 'create') {
      await engine.vault.ensure(secretRef(op), secretFormatOf(engine.config, op));
    }
  }
  if (report.brake) {
    await store.journal(runId, ops, 'held');
    report.state = 'braked';
    // A rejected run must leave its leavers as they were: their status waits for approval.
    for (const { before } of leaving)
      await store.savePerson(before, keysOf(before, config.correlation));
    const deferredStatus = leaving.map(({ after }) => ({ id: after.id, status: after.status }));
    await store.updateRun(runId, {
      state: 'braked',
      summary: { ...summaryOf(report), deferredStatus },
    });
    await store.audit({
      at: clock().toISOString(),
      actor: options.actor,
      runId,
      action: 'run.braked',
      subject: runId,
      after: report.brake,
    });
    log.warn({ runId, ...report.brake }, 'run held by the safety brake');
    return report;
  }

  await store.journal(runId, ops, 'pending');
  if (options.execute === false) {
    await store.updateRun(runId, { summary: summaryOf(report) });
    report.state = 'running';
    return report;
  }
  return execute(engine, {
    runId,
    report,
    actor: options.actor,
    onProgress: options.onProgress,
    resume,
    events: options.events,
  });
}

/**
 * Runs a run's journaled operations until nothing is runnable; fills in the report. With
 * `resume`, the operations that earlier, interrupted runs left are run too (after their leases
 * expire), their new secrets handed out, and those runs closed.
 */
export async function execute(
  engine: Engine,
  options: {
    runId: string;
    report: RunReport;
    actor: string;
    onProgress?: ReconcileOptions['onProgress'];
    resume?: string[];
    events?: EngineEvents;
  },
): Promise<RunReport> {
  const { store, config, clock } = engine;
  const { runId, report } = options;
  const resume = (options.resume ?? []).filter((id) => id !== runId);
  const executor = new Executor({
    store,
    targets: engine.targets,
    handlers: engine.handlers,
    clock,
    leaseMs: config.engine.leaseSeconds * 1000,
    maxAttempts: config.engine.maxAttempts,
    backoffBaseMs: config.engine.backoffBaseMs,
    backoffMaxMs: config.engine.backoffMaxMs,
    secrets: engine.vault,
    log: engine.log,
    events: options.events,
    onProgress: (p) =>
      options.onProgress?.('running', p.done + p.failed, p.done + p.failed + p.pending),
  });
  report.execution = await executor.runUntilIdle(resume.length > 0 ? {} : { runId });
  report.credentials = [];
  for (const id of [...resume, runId])
    report.credentials.push(...(await handOutCredentials(engine, id)));
  for (const id of resume) await closeIfDone(engine, id);

  const failed = report.execution.failed > 0 || (await store.countOpen(runId)) > 0;
  report.state = failed ? 'failed' : 'finished';
  await store.updateRun(runId, {
    state: report.state,
    finishedAt: clock().toISOString(),
    summary: summaryOf(report),
  });
  return report;
}

/** Closes a resumed run once nothing of it is open: finished, or failed if anything failed. */
async function closeIfDone(engine: Engine, runId: string): Promise<void> {
  const { store, clock } = engine;
  if ((await store.countOpen(runId)) > 0) return;
  const failed = await store.listOperations({ runId, state: ['failed'] });
  const state = failed.length > 0 ? 'failed' : 'finished';
  await store.updateRun(runId, { state, finishedAt: clock().toISOString() });
}

function keptInGrace(person: Person): PersonPlan {
  const base = { personId: person.id, lifecycle: 'unchanged' as const, label: labelOf(person) };
  return { ...base, operations: [], problems: [], deprovision: false };
}

async function planOne(o: {
  engine: Engine;
  rules: CompiledRules;
  person: Person;
  previous: Person | undefined;
  sync: boolean;
  links: Link[];
  held: HeldNumber[];
  /** The person's numbers still forwarding after they left. */
  forwarding: NumberRecord[];
  actor: string;
  /** Dry run: what allocation would give, never the same number to two people. */
  preview: NumberPreview | undefined;
}): Promise<PersonPlan> {
  const { engine, rules, person } = o;
  const lifecycle = classify({
    previous: o.previous,
    person,
    hasResources: o.links.length > 0,
    holdsNumbers: o.held.length > 0,
    now: engine.clock(),
    fingerprint: rules.fingerprint(person),
  });
  // Past their last day, someone still listed (a terminated HR worker) gets nothing again.
  const gone = hasEnded(person.attributes, engine.clock());
  const decision = rules.decide(gone ? { ...person, status: 'disabled' } : person, lifecycle);
  const numbers: HeldNumber[] = [];
  const problems = [...decision.problems];
  for (const need of decision.numbers) {
    const held = o.held.find((n) => n.pool === need.pool);
    if (held) {
      numbers.push(held);
      continue;
    }
    try {
      const got = o.sync
        ? await allocateFree(
            engine,
            need.pool,
            person.id,
            o.actor,
            forwardsInPool(engine, o.forwarding, need.pool),
          )
        : await o.preview!.peek(need.pool, person.id);
      if (!got)
        throw new CallsignError('exhausted', `Cannot allocate a number from pool '${need.pool}'`);
      numbers.push(got);
    } catch (err) {
      problems.push({
        source: 'callsign',
        record: person.id,
        field: `numbers.${need.kind}`,
        message: toCallsignError(err).message,
      });
    }
  }
  if (problems.length > decision.problems.length) {
    const named = `${labelOf(person)} (${person.id})`;
    const shown = problems.map((p) => (p.record === person.id ? { ...p, record: named } : p));
    return {
      personId: person.id,
      lifecycle,
      label: labelOf(person),
      operations: [],
      problems: shown,
      deprovision: false,
    };
  }
  const leaving = lifecycle === 'leaver' || person.status !== 'active';
  const kept = await leaverForwards({ ...o, leaving, person });
  // A preview already carries each number's own emergency data; an allocation is read back.
  const fresh = new Set(o.sync ? numbers.filter((n) => !o.held.includes(n)) : []);
  const plan = planPerson({
    person,
    decision,
    numbers: await withEmergency(
      engine.config,
      engine.store,
      distinct([...numbers, ...o.held, ...kept.numbers]),
      fresh,
    ),
    forwards: kept.forwards,
    links: o.links,
    config: engine.config,
    now: engine.clock(),
  });
  const all = [...problems, ...kept.notes, ...plan.problems.filter((p) => !problems.includes(p))];
  // Name the person the way an administrator finds them, with the id for the CLI.
  const named = `${labelOf(person)} (${person.id})`;
  return {
    ...plan,
    problems: all.map((p) => (p.record === person.id ? { ...p, record: named } : p)),
  };
}

export function summaryOf(report: RunReport): Record<string, unknown> {
  return {
    people: report.plans.length,
    counts: report.counts,
    operations: report.plans.reduce((n, p) => n + p.operations.length, 0),
    problems: report.problems.length,
    brake: report.brake,
    execution: report.execution,
    sources: report.sources.map((s) => ({
      name: s.name,
      complete: s.complete,
      records: s.records,
    })),
  };
}

function changeSnapshots(changes: ChangeSet[]) {
  // Marked incomplete on purpose: a batch never says that a person it does not name is gone.
  const snapshots = changes.map((c) => ({ ...c, complete: false }));
  const reports = changes.map((c) => ({
    name: c.source,
    complete: true,
    records: c.records.length,
    problems: c.problems,
  }));
  return { snapshots, reports };
}

/**
 * The people a change batch's records are linked to, or undefined when a record is not linked
 * yet. A linked record correlates by its link alone, and people outside the batch are never
 * planned, so for correlation these people are as good as everyone.
 */
async function linkedPeople(engine: Engine, records: SourceRecord[]) {
  // Two indexed reads per record: past a few dozen records one full read is cheaper.
  if (records.length > 64) return undefined;
  const people = new Map<string, Person>();
  for (const record of records) {
    const person = await engine.store.findPersonBySourceLink(record.source, record.externalId);
    if (person === undefined) return undefined;
    people.set(person.id, person);
  }
  return [...people.values()];
}

function newPerson(): Person {
  return {
    id: randomUUID(),
    attributes: {},
    status: 'active',
    sourceLinks: [],
    excluded: false,
    pinned: false,
  };
}

export function keysOf(person: Person, keys: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of keys) {
    const v = person.attributes[k];
    if (typeof v === 'string' && v !== '') out[k] = v;
  }
  return out;
}

function heldOf(n: NumberRecord): HeldNumber {
  const held: HeldNumber = { pool: n.pool, kind: n.kind, value: n.value };
  if (n.emergency !== undefined) held.emergency = n.emergency;
  return held;
}

/** The numbers once each (a rehire's allocation returns a number also listed as forwarding). */
function distinct(list: HeldNumber[]): HeldNumber[] {
  const seen = new Set<string>();
  return list.filter((n) => {
    const key = `${n.pool}:${n.value}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}
