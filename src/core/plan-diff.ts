/**
 * The comparison at the heart of planning: desired resources against links, into ordered
 * operations. Indexes in `after` point into the same person's operation list.
 */
import type { DesiredResource, HeldNumber, Link, PlannedOperation } from './model.ts';
import type { PlanInput } from './planner.ts';

/** What the decision wants a person to have. */
export interface Wanted {
  /** Resources in creation order; `rank` orders types (write-back ranks last). */
  resources: (DesiredResource & { rank: number })[];
  /** `pool:value` of the numbers the decision keeps. */
  numbers: Set<string>;
}

/** Operations turning `input.links` into `wanted`. */
export function diff(o: {
  input: PlanInput;
  wanted: Wanted;
  rank: Map<string, number>;
  leaving: boolean;
}): PlannedOperation[] {
  const { person, decision, links } = o.input;
  const personId = person.id;
  const ops: PlannedOperation[] = [];
  const linked = new Map<string, Link>();
  for (const l of links) linked.set(idOf(l), l);
  const why = `${decision.lifecycle}: rule ${decision.rule ?? '(none)'}`;

  const wantedIds = new Set<string>();
  for (const res of o.wanted.resources) wantedIds.add(idOf(res));
  // A forward holds the DID the person's own alias needs (a rehire): it goes before anything.
  for (const link of links) {
    if (link.type !== FORWARD || wantedIds.has(idOf(link))) continue;
    ops.push(deleteOf(personId, link, [], 'forward ended'));
  }
  const forwardDeletes = ops.map((_, i) => i);

  // Make before break: what is new or changed first, so a mover is never left without a line.
  const placed = new Map<string, number>();
  const writebacks: Wanted['resources'] = [];
  const forwards: Wanted['resources'] = [];
  for (const res of o.wanted.resources) {
    if (res.type === WRITEBACK || res.type === FORWARD) {
      (res.type === WRITEBACK ? writebacks : forwards).push(res);
      continue;
    }
    const link = linked.get(idOf(res));
    const after: number[] = [];
    for (const dep of res.dependsOn) {
      const at = placed.get(dep);
      if (at !== undefined) after.push(at);
    }
    const base = { personId, target: res.target, type: res.type, key: res.key, after, reason: why };
    if (link === undefined) {
      const secret = res.secret === true ? { secret: true } : undefined;
      ops.push({ ...base, action: 'create', attributes: { ...res.attributes }, ...secret });
    } else {
      const changed = changedAttributes(res, link);
      if (changed === undefined) continue;
      ops.push({ ...base, action: 'update', ...changed });
    }
    placed.set(`${res.type}:${res.key}`, ops.length - 1);
  }
  const resourceOps = ops.map((_, i) => i);

  // A resource a forward keeps as itself (a Unified CM line) is handed over after the forward
  // took it, not removed: its delete only drops the link (see KEPT in planner.ts).
  const kept = new Map<string, string>();
  for (const res of forwards) {
    const line = res.attributes[LINE];
    if (line !== undefined) kept.set(idOf({ target: res.target, type: '', key: line }), res.key);
  }
  const keptBy = (link: Link) =>
    link.type === FORWARD ? undefined : kept.get(idOf({ ...link, type: '' }));

  // Dependents first: a write-back is cleared, an alias removed, before what they point at.
  const gone: { link: Link; rank: number }[] = [];
  for (const link of links) {
    if (wantedIds.has(idOf(link)) || link.type === FORWARD || keptBy(link) !== undefined) continue;
    const rank = link.type === WRITEBACK ? Infinity : (o.rank.get(link.type) ?? 0);
    gone.push({ link, rank });
  }
  gone.sort((a, b) => b.rank - a.rank);
  const reason = gone.length === 0 ? '' : deleteReason(o.input, o.leaving);
  const deletes: number[] = [];
  for (let g = 0; g < gone.length; g++) {
    const { link, rank } = gone[g];
    const after: number[] = [];
    for (let d = 0; d < g; d++) if (gone[d].rank > rank) after.push(deletes[d]);
    ops.push(deleteOf(personId, link, after, reason));
    deletes.push(ops.length - 1);
  }

  // A leaver's forward takes the DID once their own alias is gone (break before make).
  const forwardOps: number[] = [];
  for (const res of forwards) {
    const link = linked.get(idOf(res));
    const changed =
      link === undefined ? { attributes: { ...res.attributes } } : changedAttributes(res, link);
    if (changed === undefined) continue;
    const action = link === undefined ? 'create' : 'update';
    const base = { personId, target: res.target, type: res.type, key: res.key };
    // An update also names the kept resource (the target finds the forward by it) and the
    // manager's extension, so the target rings the whole new forward, not half of it.
    for (const name of action === 'update' ? [LINE, 'extension'] : []) {
      const value = res.attributes[name];
      if (value !== undefined) changed.attributes[name] = value;
    }
    ops.push({
      ...base,
      action,
      after: [...deletes],
      reason: 'leaver: number forwarded',
      ...changed,
    });
    forwardOps.push(ops.length - 1);
  }
  for (const link of links) {
    const did = wantedIds.has(idOf(link)) ? undefined : keptBy(link);
    if (did === undefined) continue;
    const after = [...deletes, ...forwardOps];
    const handed = deleteOf(personId, link, after, 'leaver: kept as the number forward');
    ops.push({ ...handed, attributes: { ...handed.attributes, [KEPT]: did } });
    deletes.push(ops.length - 1);
  }

  // Write-back last among changes: the number goes to the directory once the line works.
  const writeOps: number[] = [];
  for (const res of writebacks) {
    const link = linked.get(idOf(res));
    const changed = link === undefined ? firstWrite(res) : changedAttributes(res, link, '');
    if (changed === undefined) continue;
    ops.push({
      personId,
      action: link === undefined ? 'create' : 'update',
      target: res.target,
      type: res.type,
      key: res.key,
      after: resourceOps,
      reason: why,
      ...changed,
    });
    writeOps.push(ops.length - 1);
  }

  // A number is released only after every resource and write-back that carried it is gone.
  const releaseAfter = [...forwardDeletes, ...deletes, ...writeOps];
  for (const number of o.input.numbers) {
    const key = `${number.pool}:${number.value}`;
    if (o.wanted.numbers.has(key)) continue;
    ops.push({
      personId,
      action: 'delete',
      target: 'inventory',
      type: 'number',
      key,
      attributes: numberAttributes(number),
      after: releaseAfter,
      reason: o.leaving ? 'leaver: number released' : 'number no longer needed',
    });
  }
  return ops;
}

const WRITEBACK = 'writeback';
const FORWARD = 'did-forward';
/** FORWARD_LINE and KEPT_FOR_FORWARD of planner.ts (not imported: planner.ts imports this). */
const LINE = 'line';
const KEPT = 'keptForForward';

function deleteOf(personId: string, link: Link, after: number[], reason: string) {
  const { target, type, key } = link;
  const attributes = { ...link.attributes };
  return { personId, action: 'delete' as const, target, type, key, attributes, after, reason };
}

function idOf(r: { target: string; type: string; key: string }): string {
  return `${r.target}\u0000${r.type}\u0000${r.key}`;
}

/**
 * A first write-back: an empty value (no number of that kind) is left out, as nothing was
 * written there to clear; with no number at all there is nothing to write.
 */
function firstWrite(res: DesiredResource): { attributes: Record<string, string> } | undefined {
  const entries = Object.entries(res.attributes).filter(([, value]) => value !== '');
  return entries.length === 0 ? undefined : { attributes: Object.fromEntries(entries) };
}

/**
 * Enforced attributes whose value differs from the link; create-only ones are never updated.
 * `absent` is what a value missing from the link counts as (a write-back never wrote it: '').
 */
function changedAttributes(res: DesiredResource, link: Link, absent?: string) {
  let attributes: Record<string, string> | undefined;
  let before: Record<string, string> | undefined;
  for (const [name, value] of Object.entries(res.attributes)) {
    if (res.createOnly.includes(name) || (link.attributes[name] ?? absent) === value) continue;
    (attributes ??= {})[name] = value;
    const old = link.attributes[name];
    if (old !== undefined) (before ??= {})[name] = old;
  }
  if (attributes === undefined) return undefined;
  return before === undefined ? { attributes } : { attributes, before };
}

function deleteReason(input: PlanInput, leaving: boolean): string {
  if (leaving) return 'leaver';
  const { decision } = input;
  if (decision.profile === undefined) return `${decision.lifecycle}: no rule matches`;
  return `${decision.lifecycle}: not in profile ${decision.profile} (rule ${decision.rule})`;
}

function numberAttributes(number: HeldNumber): Record<string, string> {
  return { pool: number.pool, kind: number.kind, value: number.value };
}
