/**
 * Decides, when a claim found nothing and nothing of ours is in flight, whether the queue is
 * idle or when to look again. It applies the claim rule: only a person's oldest open operation
 * can run, so each person contributes at most one time: the end of its backoff or Retry-After,
 * or the lease end of an operation another (maybe dead) worker holds. A person whose oldest
 * open operation failed, is held for approval or names an unknown target contributes nothing.
 */
import type { Logger } from 'pino';

import type { OperationRecord } from '../store/types.ts';

export interface NextWorkInput {
  /** Open operations (pending, running, failed, held) of every run. */
  ops: OperationRecord[];
  /** Only people with an operation in this run matter. */
  runId: string | undefined;
  now: Date;
  /** Operations this process runs (their completion wakes the loop anyway). */
  mine: ReadonlyMap<string, unknown>;
  /** Wait before the target may start one more; undefined for an unknown target. */
  targetWaitMs: (target: string) => number | undefined;
  log: Logger;
}

/** Milliseconds until something may become runnable; undefined when nothing will. */
export function nextWorkIn(input: NextWorkInput): number | undefined {
  const { now, mine } = input;
  const unknownTargets = new Set<string>();
  let earliest: number | undefined;

  for (const head of headsOf(input.ops, input.runId)) {
    let at: number | undefined;
    if (head.state === 'running' && !mine.has(head.id)) {
      at = Date.parse(head.leaseUntil ?? now.toISOString());
    } else if (head.state === 'pending') {
      const wait = input.targetWaitMs(head.target);
      if (wait === undefined) unknownTargets.add(head.target);
      else at = Math.max(Date.parse(head.notBefore), now.getTime() + wait);
    }
    if (at !== undefined && (earliest === undefined || at < earliest)) earliest = at;
  }

  if (unknownTargets.size > 0) {
    input.log.warn({ targets: [...unknownTargets] }, 'pending operations for unknown targets');
  }
  if (earliest === undefined) return undefined;
  // A time already past means the store holds it back for a reason this view lacks (a row
  // changed since we listed): look again soon rather than at once, so nothing spins.
  return Math.max(20, earliest - now.getTime());
}

/** Each person's oldest open operation, for people with an operation in the run. */
function headsOf(ops: OperationRecord[], runId: string | undefined): OperationRecord[] {
  const heads = new Map<string, OperationRecord>();
  const inRun = new Set<string>();
  for (const op of ops) {
    if (runId === undefined || op.runId === runId) inRun.add(op.personId);
    const seen = heads.get(op.personId);
    if (seen === undefined || op.seq < seen.seq) heads.set(op.personId, op);
  }
  return [...heads.values()].filter((op) => inRun.has(op.personId));
}
