import type { Person, PersonPlan } from '../core/model.ts';
import type { OperationRecord } from '../store/types.ts';
import type { Engine } from './engine.ts';

/** A run the brake holds: how many would be de-provisioned, of how many, and the limit hit. */
export interface BrakeVerdict {
  deprovision: number;
  known: number;
  reason: string;
}

/**
 * Drops planned operations that an unfinished journaled one already covers (same action on the
 * same resource), so a failed or still-running change is not journaled again on every run; a
 * failed one is reported on the person until an operator retries, skips or cancels it.
 */
export function withoutOpen(plan: PersonPlan, open: OperationRecord[]): PersonPlan {
  if (open.length === 0) return plan;
  const covered = new Set(open.map((op) => `${op.action}|${op.target}|${op.type}|${op.key}`));
  const keep = plan.operations.map(
    (op) => !covered.has(`${op.action}|${op.target}|${op.type}|${op.key}`),
  );
  const index = new Map<number, number>();
  keep.forEach((k, i) => k && index.set(i, index.size));
  const operations = plan.operations
    .filter((_, i) => keep[i])
    .map((op) => ({
      ...op,
      after: op.after.filter((i) => index.has(i)).map((i) => index.get(i)!),
    }));

  const problems = [...plan.problems];
  for (const op of open.filter((o) => o.state === 'failed')) {
    problems.push({
      source: 'engine',
      record: plan.label,
      field: `${op.target}/${op.type}/${op.key}`,
      message:
        `operation ${op.id} failed (${op.lastError?.message ?? 'no reason kept'}); later ` +
        `changes wait: 'callsign ops retry|skip|cancel ${op.id}'`,
    });
  }
  return { ...plan, operations, problems };
}

/**
 * Keeps a person's resources when nothing read now says they left: no record of theirs in this
 * read and none of their sources read completely. A status stored by an earlier observation
 * (a held, rejected or failed run) is not evidence enough to de-provision anyone.
 */
export function withoutBlindLeave(
  plan: PersonPlan,
  person: Person,
  seen: boolean,
  completeSources: ReadonlySet<string>,
): PersonPlan {
  if (!plan.deprovision || seen || person.sourceLinks.length === 0) return plan;
  const unread = person.sourceLinks.filter((l) => !completeSources.has(l.source));
  if (unread.length < person.sourceLinks.length) return plan;
  const sources = [...new Set(unread.map((l) => l.source))].join(', ');
  return {
    ...plan,
    operations: [],
    deprovision: false,
    problems: [
      ...plan.problems,
      {
        source: 'engine',
        record: plan.label,
        field: 'status',
        message:
          `not removed: source ${sources} was not read completely, ` + 'so nothing shows they left',
      },
    ],
  };
}

/**
 * Whether a leaver's de-provisioning was already let through by an earlier run: their stored
 * status is already the one observed now (a held run stores it only once approved), or nothing
 * is left to remove in this run (their removal is journaled and open). Such a leaver is not
 * asked about again when a failed removal of theirs is planned anew.
 */
export function alreadyApproved(
  plan: PersonPlan,
  previous: Person | undefined,
  person: Person,
): boolean {
  if (plan.operations.length === 0) return true;
  return (
    previous !== undefined && previous.status !== 'active' && previous.status === person.status
  );
}

/**
 * Whether the safety brake holds a run, and why. People in `approved` (see alreadyApproved)
 * do not count again.
 */
export function brakeCheck(
  engine: Engine,
  plans: PersonPlan[],
  known: number,
  approved: ReadonlySet<string> = new Set(),
): BrakeVerdict | undefined {
  const { maxDeprovisionCount, maxDeprovisionShare } = engine.config.safety;
  const deprovision = plans.filter((p) => p.deprovision && !approved.has(p.personId)).length;
  if (deprovision === 0) return undefined;
  if (deprovision > maxDeprovisionCount) {
    return {
      deprovision,
      known,
      reason: `more than ${maxDeprovisionCount} people would be de-provisioned`,
    };
  }
  if (known > 0 && deprovision / known > maxDeprovisionShare) {
    const pct = Math.round(maxDeprovisionShare * 100);
    return {
      deprovision,
      known,
      reason: `more than ${pct}% of provisioned people would be de-provisioned`,
    };
  }
  return undefined;
}
