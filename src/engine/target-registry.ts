/**
 * Where the executor sends each operation: real targets (TargetConnector) and pseudo-targets
 * the sync supplies as plain handlers (`inventory`, a source's write-back). Both get a pace,
 * a token bucket and in-flight accounting, so the executor treats them alike.
 */
import type {
  TargetChange,
  TargetConnector,
  TargetPace,
  TargetResult,
} from '../connectors/types.ts';
import type { OperationRecord } from '../store/types.ts';
import { INVENTORY_TARGET } from './handlers.ts';
import { TokenBucket } from './rate-limiter.ts';

/**
 * A pseudo-target: the same shape as TargetConnector.apply, with the operation as context
 * (the inventory needs the person). Must be idempotent like a target.
 */
export type OperationHandler = (
  change: TargetChange,
  /** `actor`: who caused the operation's run (`api:<token>`, `scim:<token>`, `poll`). */
  context: { operation: OperationRecord; actor?: string },
) => Promise<TargetResult>;

/** Pace of a handler: local work, a few at a time, no rate. */
export const HANDLER_PACE: TargetPace = { concurrency: 4 };

export interface RegisteredTarget {
  name: string;
  /**
   * The executor keeps links for this target's resources: every real target, and handlers but
   * the inventory (a write-back's link is what the planner compares the wanted write-back with,
   * so without it a leaver's write-back is never cleared and an unchanged one re-sent each run).
   */
  linked: boolean;
  concurrency: number;
  bucket: TokenBucket;
  inFlight: number;
  apply: OperationHandler;
}

/** The targets and handlers of one executor, by name. */
export class TargetRegistry {
  #entries = new Map<string, RegisteredTarget>();

  constructor(options: {
    targets: Map<string, TargetConnector>;
    handlers?: Map<string, OperationHandler>;
    now: Date;
  }) {
    for (const [name, target] of options.targets) {
      this.#add({ name, pace: target.pace, linked: true, now: options.now }, (change) =>
        target.apply(change),
      );
    }
    for (const [name, handler] of options.handlers ?? new Map<string, OperationHandler>()) {
      if (this.#entries.has(name)) throw new Error(`Handler '${name}' shadows a target`);
      const linked = name !== INVENTORY_TARGET;
      this.#add({ name, pace: HANDLER_PACE, linked, now: options.now }, handler);
    }
  }

  get(name: string): RegisteredTarget | undefined {
    return this.#entries.get(name);
  }

  all(): RegisteredTarget[] {
    return [...this.#entries.values()];
  }

  /** Free slots per target now: concurrency left, bounded by the tokens in its bucket. */
  slots(now: Date): Record<string, number> {
    const slots: Record<string, number> = {};
    for (const entry of this.#entries.values()) {
      const free = Math.max(0, entry.concurrency - entry.inFlight);
      const n = Math.min(free, entry.bucket.available(now));
      if (n > 0) slots[entry.name] = n;
    }
    return slots;
  }

  /**
   * Milliseconds until some target with a free slot gets a token; undefined when every target
   * is either ready now or full (a completion will wake the loop).
   */
  waitMs(now: Date): number | undefined {
    let wait: number | undefined;
    for (const entry of this.#entries.values()) {
      if (entry.inFlight >= entry.concurrency) continue;
      const ms = entry.bucket.waitMs(now);
      if (ms > 0 && (wait === undefined || ms < wait)) wait = ms;
    }
    return wait;
  }

  #add(
    entry: { name: string; pace: TargetPace; linked: boolean; now: Date },
    apply: OperationHandler,
  ): void {
    const { name, pace, linked, now } = entry;
    const concurrency = Math.max(1, Math.floor(pace.concurrency));
    const bucket = new TokenBucket(pace.ratePerSecond, now);
    this.#entries.set(name, { name, linked, concurrency, bucket, inFlight: 0, apply });
  }
}
