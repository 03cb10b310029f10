/**
 * Decides what a picked-up task's outcome is, from the store: its person's operations (any
 * failed: incomplete; any still pending, running or held: not yet) and the numbers the person
 * now holds. The note says what was done, in words a service-desk agent can pass on.
 */
import type { RequestKind } from '../../core/config-servicenow.ts';
import type { Engine } from '../../engine/engine.ts';
import { TaskState } from './task-update.ts';

const WORDS: Record<RequestKind, string> = {
  joiner: 'new phone',
  mover: 'move',
  leaver: 'phone removal',
  agent: 'agent',
};

/** A task Callsign is working on, as the desk keeps it between polls. */
export interface OpenTask {
  number: string;
  userSysId?: string;
  kind?: RequestKind;
  personId?: string;
  label?: string;
  /** The run that planned the task's person. */
  runId?: string;
  /** Why the plan could not do the request (a rule lacks the site, no rule matched). */
  problems?: string[];
  /** Set once known, and kept until the update reached ServiceNow. */
  final?: { state: TaskState; note: string; noteId: string };
}

/** The outcome to write, or undefined while the person's operations are unfinished. */
export async function outcomeOf(
  engine: Engine,
  task: OpenTask,
): Promise<OpenTask['final'] | undefined> {
  const problems = task.problems ?? [];
  if (task.personId === undefined) return incomplete(problems);

  const ops = await engine.store.listOperations({ personId: task.personId });
  if (ops.some((o) => o.state === 'pending' || o.state === 'running' || o.state === 'held')) {
    return undefined;
  }
  const failed = ops.filter((o) => o.state === 'failed');
  if (failed.length > 0) {
    return incomplete(
      failed.map((o) => {
        const why = o.lastError?.message ?? 'failed';
        return `${o.action} ${o.type} ${o.key} on ${o.target} failed: ${why}`;
      }),
    );
  }
  const done = ops.filter((o) => o.runId === task.runId && o.state === 'done');
  if (problems.length > 0 && done.length === 0) return incomplete(problems);

  const numbers = await engine.store.numbersOf(task.personId);
  const what = WORDS[task.kind ?? 'joiner'];
  const lines = [`Callsign completed this ${what} request for ${task.label ?? 'the person'}.`];
  if (task.kind === 'leaver') {
    const released = done.filter((o) => o.target === 'inventory' && o.action === 'delete');
    lines.push(`Resources removed: ${done.length}; numbers released: ${list(released.map(key))}.`);
  } else {
    const held = numbers.map((n) => `${n.kind} ${n.value}`);
    lines.push(`Numbers assigned: ${list(held)}.`);
  }
  const work = done.filter((o) => o.target !== 'inventory');
  if (work.length > 0) {
    lines.push(
      `Done: ${work.map((o) => `${o.action} ${o.type} ${o.key} on ${o.target}`).join('; ')}.`,
    );
  } else if (done.length === 0) lines.push('Nothing needed changing.');
  return { state: TaskState.ClosedComplete, note: lines.join('\n'), noteId: 'closed' };
}

function incomplete(reasons: string[]): NonNullable<OpenTask['final']> {
  const why = reasons.length > 0 ? reasons.join('; ') : 'no outcome';
  return {
    state: TaskState.ClosedIncomplete,
    note: `Callsign could not do this request: ${why}.`,
    noteId: 'incomplete',
  };
}

/** Inventory keys are `pool:value`; the value is what a person recognises. */
function key(o: { key: string }): string {
  return o.key.slice(o.key.indexOf(':') + 1);
}

function list(items: string[]): string {
  return items.length === 0 ? 'none' : items.join(', ');
}
