/**
 * Runs the journaled operation queue: claims runnable operations per target within their free
 * concurrency slots and rate, calls the target under a renewed lease, and completes each one with
 * the fence it claimed. Every rule that keeps a person's operations in order lives in the store's
 * claim; this loop only decides how much to ask for and when to ask again.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { pino, type Logger } from 'pino';

import type { TargetConnector } from '../connectors/types.ts';
import { CallsignError, ErrorCode } from '../core/errors.ts';
import type { OperationRecord, Store } from '../store/types.ts';
import { EngineEvents } from './events.ts';
import { nextWorkIn } from './next-work.ts';
import { runOperation, type RunContext, type RunStats } from './operation-runner.ts';
import { TargetRegistry, type OperationHandler } from './target-registry.ts';

export interface SecretReader {
  /** The plain secret stored under `<target>/<type>/<key>`; undefined when there is none. */
  reveal(ref: string): Promise<string | undefined>;
}

export interface ExecutorProgress {
  done: number;
  failed: number;
  /** Operations not finished yet (pending, running, held), of the run when one was named. */
  pending: number;
}

export interface ExecutorOptions {
  store: Store;
  targets: Map<string, TargetConnector>;
  /** Pseudo-targets (`inventory`, source write-back), same shape as TargetConnector.apply. */
  handlers?: Map<string, OperationHandler>;
  /** Lease owner name; defaults to `host:pid:random`. Unique per process. */
  owner?: string;
  clock?: () => Date;
  /** Default 60 s. Renewed every third of it while a call runs. */
  leaseMs?: number;
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  secrets: SecretReader | undefined;
  log?: Logger;
  events?: EngineEvents;
  onProgress?: (p: ExecutorProgress) => void;
  /** Waits; resolves early (never rejects) when `signal` aborts. Tests pair it with `clock`. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Jitter source for backoff, in [0, 1). */
  random?: () => number;
  /** Most operations taken by one claim. Default 200. */
  claimLimit?: number;
  /** Longest wait between looks at the queue when nothing wakes the loop. Default 1 s. */
  pollMs?: number;
  /**
   * Save and delete links when operations finish, with the completion: for targets' and
   * handlers' resources, never the inventory's. Default true.
   */
  links?: boolean;
}

export interface RunUntilIdleOptions {
  /** Stop when this run has nothing runnable left (other runs' operations still get claimed). */
  runId?: string;
  signal?: AbortSignal;
}

/** The queue runner. One loop at a time per instance: `runUntilIdle` or `start`/`stop`. */
export class Executor {
  readonly owner: string;
  readonly events: EngineEvents;
  #ctx: RunContext;
  #registry: TargetRegistry;
  #inFlight = new Map<string, Promise<void>>();
  #wakeWaiter: (() => void) | undefined;
  #wakePending = false;
  #lastReap = 0;
  #busy = false;
  #runId: string | undefined;
  #progressAt = 0;
  #background: { controller: AbortController; done: Promise<unknown> } | undefined;

  constructor(private readonly options: ExecutorOptions) {
    const clock = options.clock ?? (() => new Date());
    const log = options.log ?? pino({ level: 'silent' });
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.events = options.events ?? new EngineEvents({ log });
    this.events.useLogger(log);
    this.#registry = new TargetRegistry({ ...options, now: clock() });
    this.#ctx = {
      store: options.store,
      clock,
      log: log.child({ owner: this.owner }),
      events: this.events,
      owner: this.owner,
      leaseMs: options.leaseMs ?? 60_000,
      maxAttempts: options.maxAttempts,
      backoff: {
        baseMs: options.backoffBaseMs,
        maxMs: options.backoffMaxMs,
        random: options.random,
      },
      secrets: options.secrets,
      links: options.links ?? true,
      actors: new Map(),
      stats: { done: 0, failed: 0, retried: 0 },
    };
  }

  /**
   * Claims and runs until nothing is runnable and nothing is in flight; waits out backoff,
   * Retry-After and other workers' leases when they are all that is left. Operations blocked
   * by a failed earlier operation of the same person, or for an unknown target, do not keep
   * it waiting.
   */
  async runUntilIdle(options: RunUntilIdleOptions = {}): Promise<RunStats> {
    const stats = await this.#exclusive(() => this.#loop({ ...options, forever: false }));
    this.events.emit('run:finished', { runId: options.runId, ...stats });
    return stats;
  }

  /** Long-running mode (`callsign run`): loops until `stop`, polling when idle. */
  start(): void {
    if (this.#background !== undefined) return;
    const controller = new AbortController();
    const done = this.#exclusive(() =>
      this.#loop({ signal: controller.signal, forever: true }),
    ).catch((err) => this.#ctx.log.error({ err: String(err) }, 'executor loop stopped'));
    this.#background = { controller, done };
  }

  /** Stops claiming and waits for the calls in flight to finish. */
  async stop(): Promise<void> {
    const background = this.#background;
    if (background === undefined) return;
    background.controller.abort();
    this.#wake();
    await background.done;
    this.#background = undefined;
  }

  /** Tells an idle loop to look at the queue now (after journaling or approving a run). */
  wake(): void {
    this.#wake();
  }

  async #exclusive(body: () => Promise<RunStats>): Promise<RunStats> {
    if (this.#busy) {
      throw new CallsignError(ErrorCode.State, 'Executor is already running its loop', {
        details: { owner: this.owner },
      });
    }
    this.#busy = true;
    try {
      return await body();
    } finally {
      this.#busy = false;
    }
  }

  async #loop(options: RunUntilIdleOptions & { forever: boolean }): Promise<RunStats> {
    const stats: RunStats = { done: 0, failed: 0, retried: 0 };
    this.#ctx.stats = stats;
    this.#runId = options.runId;
    const pollMs = this.options.pollMs ?? 1000;

    try {
      while (options.signal?.aborted !== true) {
        let step: 'again' | 'idle';
        try {
          step = await this.#step(options.runId, pollMs, options.signal);
        } catch (err) {
          // `callsign run` outlives a store outage; a one-shot run reports it to its caller.
          if (!options.forever) throw err;
          this.#ctx.log.error({ err: String(err) }, 'queue step failed');
          await this.#waitForWake(pollMs, options.signal);
          continue;
        }
        if (step === 'idle' && !options.forever) break;
        if (step === 'idle') await this.#waitForWake(pollMs, options.signal);
      }
    } finally {
      await Promise.allSettled([...this.#inFlight.values()]);
      await this.#reportProgress(options.runId, true);
    }
    return { ...stats };
  }

  /** One look at the queue: claim what can run, else wait for a wake, a token or a backoff. */
  async #step(
    runId: string | undefined,
    pollMs: number,
    signal: AbortSignal | undefined,
  ): Promise<'again' | 'idle'> {
    await this.#reapIfDue();
    if ((await this.#claimAndLaunch()) > 0) return 'again';

    if (this.#inFlight.size > 0) {
      const rateWait = this.#registry.waitMs(this.#ctx.clock()) ?? pollMs;
      await this.#waitForWake(Math.min(rateWait, pollMs), signal);
      return 'again';
    }

    const wait = await this.#nextWork(runId);
    if (wait === undefined) return 'idle';
    await this.#waitForWake(Math.min(wait, pollMs), signal);
    return 'again';
  }

  async #claimAndLaunch(): Promise<number> {
    const now = this.#ctx.clock();
    const slots = this.#registry.slots(now);
    const wanted = Object.values(slots).reduce((sum, n) => sum + n, 0);
    if (wanted === 0) return 0;

    const claimed = await this.#ctx.store.claim({
      owner: this.owner,
      slots,
      leaseMs: this.#ctx.leaseMs,
      now,
      limit: Math.min(wanted, this.options.claimLimit ?? 200),
    });
    for (const op of claimed) this.#launch(op, now);
    return claimed.length;
  }

  #launch(op: OperationRecord, now: Date): void {
    const target = this.#registry.get(op.target);
    // Claim only offers slots of registered targets, so this is a store bug.
    if (target === undefined) throw new Error(`Claimed operation ${op.id} of unknown target`);
    target.inFlight += 1;
    target.bucket.take(1, now);

    const done = runOperation(this.#ctx, op, target).finally(() => {
      target.inFlight -= 1;
      this.#inFlight.delete(op.id);
      this.#wake();
      void this.#reportProgress(this.#runId, false);
    });
    this.#inFlight.set(op.id, done);
  }

  async #nextWork(runId: string | undefined): Promise<number | undefined> {
    const now = this.#ctx.clock();
    await this.#reap(now);
    const ops = await this.#ctx.store.listOperations({
      state: ['pending', 'running', 'failed', 'held'],
    });
    return nextWorkIn({
      ops,
      runId,
      now,
      mine: this.#inFlight,
      targetWaitMs: (name) => this.#registry.get(name)?.bucket.waitMs(now),
      log: this.#ctx.log,
    });
  }

  async #reapIfDue(): Promise<void> {
    const now = this.#ctx.clock();
    if (now.getTime() - this.#lastReap < this.#ctx.leaseMs / 2) return;
    await this.#reap(now);
  }

  async #reap(now: Date): Promise<void> {
    this.#lastReap = now.getTime();
    const freed = await this.#ctx.store.reapLeases(now);
    if (freed > 0) this.#ctx.log.warn({ freed }, 'expired leases returned to the queue');
  }

  #wake(): void {
    const waiter = this.#wakeWaiter;
    if (waiter === undefined) {
      this.#wakePending = true;
      return;
    }
    this.#wakeWaiter = undefined;
    waiter();
  }

  async #waitForWake(ms: number, signal: AbortSignal | undefined): Promise<void> {
    if (this.#wakePending) {
      this.#wakePending = false;
      return;
    }
    const controller = new AbortController();
    const stop = () => controller.abort();
    signal?.addEventListener('abort', stop, { once: true });
    this.#wakeWaiter = stop;
    try {
      await (this.options.sleep ?? defaultSleep)(Math.max(1, ms), controller.signal);
    } finally {
      signal?.removeEventListener('abort', stop);
      if (this.#wakeWaiter === stop) this.#wakeWaiter = undefined;
      this.#wakePending = false;
    }
  }

  async #reportProgress(runId: string | undefined, final: boolean): Promise<void> {
    const onProgress = this.options.onProgress;
    if (onProgress === undefined) return;
    const now = this.#ctx.clock().getTime();
    if (!final && now - this.#progressAt < 500) return;
    this.#progressAt = now;

    try {
      const pending = await this.#ctx.store.countOpen(runId);
      const { done, failed } = this.#ctx.stats;
      onProgress({ done, failed, pending });
    } catch (err) {
      this.#ctx.log.warn({ err: String(err) }, 'progress report failed');
    }
  }
}

/** setTimeout that resolves early when the signal aborts. */
function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

export type { OperationHandler, RunStats };
