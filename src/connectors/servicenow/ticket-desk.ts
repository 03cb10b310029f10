/**
 * Works ServiceNow catalog tasks through the engine: each poll reads the tasks updated since
 * the cursor, marks the good ones work in progress, plans and runs their people through
 * `reconcile` as a change set, and closes each task once its person's operations have finished
 * (complete, with the numbers in the note) or failed (incomplete, with the reason). Tasks whose
 * requested item lacks a field are closed incomplete with a note naming it. The cursor moves
 * only after the run that used it, so a crash replays tasks instead of losing them.
 */
import type { Engine } from '../../engine/engine.ts';
import type { EngineEvents } from '../../engine/events.ts';
import { reconcile, type RunReport } from '../../engine/reconcile.ts';
import { toCallsignError } from '../../core/errors.ts';
import type { RecordProblem } from '../../core/model.ts';
import type { ServiceNowSource } from './servicenow-source.ts';
import { problemOf, readTask, type PickedTask, type TaskBatch } from './task-read.ts';
import { TaskState, updateTask } from './task-update.ts';
import { outcomeOf, type OpenTask } from './task-outcome.ts';

export interface DeskReport {
  /** Tasks read in this poll. */
  read: number;
  /** The reconcile run, when there was anything to plan. */
  run?: RunReport;
  closed: { number: string; state: TaskState }[];
  /** Tasks still being worked (operations pending, or an update to retry). */
  open: string[];
  problems: RecordProblem[];
}

export class TicketDesk {
  readonly #engine: Engine;
  readonly #source: ServiceNowSource;
  readonly #events: EngineEvents | undefined;

  constructor(engine: Engine, source: ServiceNowSource, options: { events?: EngineEvents } = {}) {
    this.#engine = engine;
    this.#source = source;
    this.#events = options.events;
  }

  /** One poll: read, pick up, plan and run, then settle every open task. */
  async poll(signal?: AbortSignal): Promise<DeskReport> {
    return exclusive(this.#source.name, async () => {
      const cursorKey = `servicenow:${this.#source.name}:cursor`;
      const cursor = await this.#engine.store.getState(cursorKey);
      const batch = await this.#source.readTasks(cursor, signal);
      const report = await this.#work(batch);
      if (batch.cursor !== undefined) await this.#engine.store.setState(cursorKey, batch.cursor);
      await this.settle(report);
      return report;
    });
  }

  /**
   * A notice from the instance (a business rule's outbound REST call) that a task was assigned
   * to the group. The notice is only a hint: the task is read by sys_id through the Table API
   * and worked only if the instance says it is active and the group's; a task already being
   * worked is not planned again, so repeated notices do it once. The poll's cursor is left
   * alone. `skipped` says why nothing was done.
   */
  async hint(sysId: string): Promise<DeskReport & { skipped?: string }> {
    return exclusive(this.#source.name, async () => {
      const source = this.#source;
      const batch = await readTask(source.config, source.client, sysId);
      if (batch.skipped !== undefined) {
        return { read: 0, closed: [], open: [], problems: [], skipped: batch.skipped };
      }
      const open = await this.#open();
      if (open[sysId] !== undefined) {
        const number = batch.tasks[0]?.number ?? sysId;
        const skipped = `task ${number} is already being worked`;
        return { read: 1, closed: [], open: [number], problems: [], skipped };
      }
      const report = await this.#work(batch);
      await this.settle(report);
      return report;
    });
  }

  /** Picks up, plans and runs the fresh tasks of a batch; records them as open. */
  async #work(batch: TaskBatch): Promise<DeskReport> {
    const { store } = this.#engine;
    const name = this.#source.name;
    const open = await this.#open();
    const report: DeskReport = { read: batch.tasks.length, closed: [], open: [], problems: [] };

    // Our own updates move a task's sys_updated_on: a task already open is not planned again.
    const fresh = batch.tasks.filter((t) => open[t.sysId] === undefined);
    const good = fresh.filter((t) => t.userSysId !== undefined);
    for (const task of fresh.filter((t) => t.userSysId === undefined)) {
      const problem = problemOf(name, task);
      report.problems.push(problem);
      open[task.sysId] = { ...ref(task), final: incomplete(problem.message) };
    }
    for (const task of good) {
      // Only a sign of life for the service desk: a failure here must not stop the work.
      await this.#update(task.sysId, task.number, { state: TaskState.WorkInProgress }).catch(
        (err: unknown) => {
          const e = toCallsignError(err);
          this.#engine.log.warn({ task: task.number, code: e.code }, 'servicenow pick-up failed');
        },
      );
    }

    const wanted = new Set(good.map((t) => t.userSysId));
    const records = batch.records.filter((r) => wanted.has(r.externalId));
    if (records.length > 0) {
      const changes = [{ source: name, records, problems: [] }];
      const actor = `servicenow:${name}`;
      report.run = await reconcile(this.#engine, {
        mode: 'sync',
        actor,
        changes,
        ...(this.#events ? { events: this.#events } : {}),
      });
      await this.#source.remember(records);
      for (const task of good) {
        const person = await store.findPersonBySourceLink(name, task.userSysId!);
        const plan = report.run.plans.find((p) => p.personId === person?.id);
        const problems = (plan?.problems ?? []).map((p) => p.message);
        if (person === undefined) problems.push(...unmatched(report.run, task));
        open[task.sysId] = {
          ...ref(task),
          ...(person ? { personId: person.id, label: plan?.label ?? person.id } : {}),
          runId: report.run.runId,
          problems,
        };
      }
    }
    await this.#saveOpen(open);
    return report;
  }

  /** Closes the open tasks whose outcome is known; keeps the others for the next poll. */
  async settle(report?: DeskReport): Promise<void> {
    const open = await this.#open();
    for (const [sysId, task] of Object.entries(open)) {
      const final = task.final ?? (await outcomeOf(this.#engine, task));
      if (final === undefined) {
        report?.open.push(task.number);
        continue;
      }
      try {
        const note = { note: final.note, noteId: final.noteId };
        await this.#update(sysId, task.number, { state: final.state, ...note });
        delete open[sysId];
        report?.closed.push({ number: task.number, state: final.state });
      } catch (err) {
        const e = toCallsignError(err);
        // Kept with its outcome: the next settle resends, and the note is not repeated.
        open[sysId] = { ...task, final };
        report?.open.push(task.number);
        this.#engine.log.warn(
          { task: task.number, code: e.code, err: e.message },
          'servicenow task update failed',
        );
      }
      await this.#saveOpen(open);
    }
  }

  async #update(
    sysId: string,
    number: string,
    change: { state: TaskState; note?: string; noteId?: string },
  ): Promise<void> {
    const source = this.#source;
    await updateTask(
      { client: source.client, state: this.#engine.store, log: this.#engine.log },
      { source: source.name, table: source.config.table, sysId, number, ...change },
    );
  }

  async #open(): Promise<Record<string, OpenTask>> {
    const raw = await this.#engine.store.getState(`servicenow:${this.#source.name}:open`);
    return raw === undefined ? {} : (JSON.parse(raw) as Record<string, OpenTask>);
  }

  async #saveOpen(open: Record<string, OpenTask>): Promise<void> {
    const key = `servicenow:${this.#source.name}:open`;
    await this.#engine.store.setState(key, JSON.stringify(open));
  }
}

/**
 * Polls and hints of one source run one at a time in this process: both read and rewrite the
 * open tasks, and a task seen by both must be planned once.
 */
const running = new Map<string, Promise<unknown>>();

function exclusive<T>(source: string, fn: () => Promise<T>): Promise<T> {
  const next = (running.get(source) ?? Promise.resolve()).then(fn, fn);
  running.set(
    source,
    next.catch(() => undefined),
  );
  return next;
}

function ref(task: PickedTask): Pick<OpenTask, 'number' | 'userSysId' | 'kind'> {
  return {
    number: task.number,
    ...(task.userSysId ? { userSysId: task.userSysId } : {}),
    ...(task.kind ? { kind: task.kind } : {}),
  };
}

function incomplete(reason: string): NonNullable<OpenTask['final']> {
  return {
    state: TaskState.ClosedIncomplete,
    note: `Callsign could not do this request: ${reason}.`,
    noteId: 'incomplete',
  };
}

/** The run's problems about the task's person record (ambiguous match, held id). */
function unmatched(run: RunReport, task: PickedTask): string[] {
  const mine = run.problems.filter((p) => p.record.includes(task.userSysId ?? '\u0000'));
  return mine.length > 0 ? mine.map((p) => p.message) : ['the requested person was not matched'];
}
