/**
 * Turns what happens into outbox events. Operation events come from the executor's typed events
 * (`operation:done`, `operation:retry`, `operation:failed`) of this process, `pool.low` from the
 * pool watch's `pool:low`; run events come from the runs table, which every process writes (a
 * `callsign approve` from a shell, a `sync` of another engine), scanned every few seconds. Each
 * event has a key that names it once (`op:<id>:<attempt>:<kind>`, `run:<id>:<state>`,
 * `pool:<name>:low:<at>`), so a scan that sees a run again, or two processes that both see it,
 * journal it once.
 */
import type { Logger } from 'pino';

import { redact } from '../core/secrets.ts';
import type { EngineEventMap, EngineEvents } from '../engine/events.ts';
import type { OperationRecord, RunRecord, Store } from '../store/types.ts';
import type {
  OperationEventData,
  PoolLowEventData,
  RunEventData,
  WebhookEventBody,
  WebhookEventType,
} from './event-types.ts';
import type { WebhookOutbox } from './outbox.ts';

export interface EventFeedOptions {
  store: Store;
  outbox: WebhookOutbox;
  /** Name and wanted types of each webhook (empty `events`: every type). */
  webhooks: readonly { name: string; events: readonly string[] }[];
  clock: () => Date;
  log: Logger;
  /** Called after an event was journaled, so the dispatcher sends it now. */
  onEnqueued?: () => void;
}

/** State key of the time run events start from: runs settled before it are not announced. */
export const RUNS_SINCE_KEY = 'webhooks.runs.since';

const RUN_EVENTS: Partial<Record<RunRecord['state'], WebhookEventType>> = {
  braked: 'run.braked',
  approved: 'run.approved',
  rejected: 'run.rejected',
  finished: 'run.finished',
  failed: 'run.failed',
};

/** Journals engine and run events for the webhooks that want them. */
export class WebhookEventFeed {
  readonly #o: EventFeedOptions;
  #since: string | undefined;

  constructor(options: EventFeedOptions) {
    this.#o = options;
  }

  /** Subscribes to an executor's events; returns the function that unsubscribes. */
  attach(events: EngineEvents): () => void {
    const offs = [
      events.on('operation:done', ({ operation, result }) =>
        this.#operation('operation.done', operation, {
          outcome: result.outcome,
          externalId: result.externalId,
        }),
      ),
      events.on('operation:retry', ({ operation, error, notBefore }) =>
        this.#operation('operation.retry', operation, {
          error: { code: error.code, message: error.message, retryable: error.retryable },
          notBefore: notBefore.toISOString(),
        }),
      ),
      events.on('operation:failed', ({ operation, error }) =>
        this.#operation('operation.failed', operation, {
          error: { code: error.code, message: error.message, retryable: error.retryable },
        }),
      ),
      events.on('pool:low', (e) => this.#poolLow(e)),
    ];
    return () => offs.forEach((off) => off());
  }

  /** Journals an event for each run state not announced yet; returns how many were new. */
  async scanRuns(limit = 100): Promise<number> {
    const since = await this.#runsSince();
    let added = 0;
    for (const run of (await this.#o.store.listRuns(limit)).reverse()) {
      const type = RUN_EVENTS[run.state];
      if (type === undefined || (run.finishedAt ?? run.startedAt) < since) continue;
      const data: RunEventData = {
        runId: run.id,
        kind: run.kind,
        state: run.state,
        actor: run.actor,
        startedAt: run.startedAt,
        ...(run.finishedAt ? { finishedAt: run.finishedAt } : {}),
        summary: redact(run.summary),
      };
      const occurredAt = run.finishedAt === undefined ? this.#o.clock() : new Date(run.finishedAt);
      if (await this.#enqueue(`run:${run.id}:${run.state}`, type, occurredAt, data)) added += 1;
    }
    return added;
  }

  async #operation(
    type: WebhookEventType,
    op: OperationRecord,
    extra: Partial<OperationEventData>,
  ): Promise<void> {
    const data: OperationEventData = {
      operationId: op.id,
      runId: op.runId,
      personId: op.personId,
      target: op.target,
      type: op.type,
      key: op.key,
      action: op.action,
      attempt: op.attempts,
      ...extra,
    };
    const kind = type.slice('operation.'.length);
    await this.#enqueue(`op:${op.id}:${op.attempts}:${kind}`, type, this.#o.clock(), data);
  }

  async #poolLow(e: EngineEventMap['pool:low']): Promise<void> {
    const data: PoolLowEventData = {
      pool: e.pool,
      kind: e.kind,
      free: e.free,
      total: e.total,
      threshold: e.threshold,
    };
    // PoolWatch emits once per crossing; the time in the key keeps two crossings apart while a
    // second process seeing the same crossing at the same check still journals it once.
    await this.#enqueue(`pool:${e.pool}:low:${e.at.toISOString()}`, 'pool.low', e.at, data);
  }

  async #enqueue(
    key: string,
    type: WebhookEventType,
    occurredAt: Date,
    data: WebhookEventBody['data'],
  ): Promise<boolean> {
    const webhooks = this.#o.webhooks
      .filter((w) => w.events.length === 0 || w.events.includes(type))
      .map((w) => w.name);
    if (webhooks.length === 0) return false;

    const id = await this.#o.outbox.enqueue({ key, type, occurredAt, data, webhooks });
    if (id === undefined) return false;
    this.#o.log.debug({ eventId: id, type, webhooks }, 'webhook event journaled');
    this.#o.onEnqueued?.();
    return true;
  }

  /** The first scan ever records its time, so a store's old runs are not announced. */
  async #runsSince(): Promise<string> {
    if (this.#since !== undefined) return this.#since;
    let since = await this.#o.store.getState(RUNS_SINCE_KEY);
    if (since === undefined) {
      since = this.#o.clock().toISOString();
      await this.#o.store.setState(RUNS_SINCE_KEY, since);
    }
    this.#since = since;
    return since;
  }
}
