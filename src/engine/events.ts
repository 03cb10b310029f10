/**
 * Typed lifecycle events of the engine. The UI, metrics and tests subscribe; a listener that
 * throws (or rejects) is logged and ignored, because a faulty subscriber must never stop the
 * queue.
 */
import type { Logger } from 'pino';

import type { CallsignError } from '../core/errors.ts';
import type { TargetResult } from '../connectors/types.ts';
import type { NumberKind } from '../core/model.ts';
import type { OperationRecord } from '../store/types.ts';

/** Payload of every event, by name. */
export interface EngineEventMap {
  /** The target is about to be called (after the lease re-check). */
  'operation:started': { operation: OperationRecord; attempt: number };
  'operation:done': { operation: OperationRecord; result: TargetResult; durationMs: number };
  /** A retryable error; the operation waits until `notBefore`. */
  'operation:retry': { operation: OperationRecord; error: CallsignError; notBefore: Date };
  /** A retry cannot help (or attempts ran out): the person's later operations wait. */
  'operation:failed': { operation: OperationRecord; error: CallsignError };
  /** The lease was lost (another worker holds the operation now): nothing was written. */
  'operation:stale': { operation: OperationRecord; phase: 'before-call' | 'complete' };
  /** Retry-After from a target: no operation starts on it before `until`. */
  'target:paused': { target: string; until: Date };
  /**
   * A pool has just become low on stock (src/engine/pool-watch.ts): fewer free numbers than
   * `threshold.below`, or less than `threshold.percent` of its usable numbers free.
   */
  'pool:low': {
    pool: string;
    kind: NumberKind;
    free: number;
    total: number;
    threshold: { below: number } | { percent: number };
    at: Date;
  };
  /** `runUntilIdle` returned. */
  'run:finished': { runId?: string; done: number; failed: number; retried: number };
}

export type EngineEventName = keyof EngineEventMap;

export type EngineListener<K extends EngineEventName> = (
  payload: EngineEventMap[K],
) => void | Promise<void>;

/** A small typed emitter whose listeners cannot break the emitter's caller. */
export class EngineEvents {
  #listeners = new Map<EngineEventName, Set<EngineListener<never>>>();
  #log: Logger | undefined;

  constructor(options: { log?: Logger } = {}) {
    this.#log = options.log;
  }

  /** Subscribes; returns the function that unsubscribes. */
  on<K extends EngineEventName>(name: K, listener: EngineListener<K>): () => void {
    let set = this.#listeners.get(name);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(name, set);
    }
    set.add(listener as EngineListener<never>);
    return () => this.off(name, listener);
  }

  off<K extends EngineEventName>(name: K, listener: EngineListener<K>): void {
    this.#listeners.get(name)?.delete(listener as EngineListener<never>);
  }

  /** Calls every listener synchronously; errors and rejections are logged, never thrown. */
  emit<K extends EngineEventName>(name: K, payload: EngineEventMap[K]): void {
    const set = this.#listeners.get(name);
    if (set === undefined) return;

    for (const listener of [...set]) {
      try {
        const result = (listener as EngineListener<K>)(payload);
        if (result instanceof Promise) result.catch((err) => this.#report(name, err));
      } catch (err) {
        this.#report(name, err);
      }
    }
  }

  /** Lets the executor log through the logger it was given when the emitter was not. */
  useLogger(log: Logger): void {
    this.#log ??= log;
  }

  #report(event: EngineEventName, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.#log?.error({ event, err: message }, 'event listener failed');
  }
}
