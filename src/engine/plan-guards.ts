import type { PersonPlan } from '../core/model.ts';
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

/** Whether the safety brake holds a run, and why. */
export function brakeCheck(
  engine: Engine,
  plans: PersonPlan[],
  known: number,
): BrakeVerdict | undefined {
  const { maxDeprovisionCount, maxDeprovisionShare } = engine.config.safety;
  const deprovision = plans.filter((p) => p.deprovision).length;
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
