/**
 * Low stock as an event: a pool is low when fewer numbers are free than the notification
 * rules' `pool-low` threshold (`below`, a count; the largest when several rules set one), or,
 * without such a rule, when less than 10% of its usable numbers are free (usable: all but the
 * blocked and retired, as in the inventory report). `callsign serve` checks every minute and
 * after each sync; the `pool:low` event fires when a pool becomes low, not at every check, so a
 * webhook or log is told once per episode, and again if the pool recovers and runs low again.
 */
import type { CallsignConfig } from '../core/config-types.ts';
import { inventoryReport } from '../core/inventory-report.ts';
import type { PoolUsage, Store } from '../store/types.ts';
import type { EngineEvents } from './events.ts';

/** Share of usable numbers below which a pool is low when no `pool-low` rule sets a count. */
export const DEFAULT_LOW_STOCK_PERCENT = 10;

/** The threshold in force: a count of free numbers, or a percent of the usable ones. */
export type LowStockThreshold = { below: number } | { percent: number };

/** The threshold the configuration implies (see the file comment). */
export function lowStockThreshold(config: Pick<CallsignConfig, 'notifications'>) {
  const counts = (config.notifications?.rules ?? [])
    .filter((r) => r.on === 'pool-low' && r.below !== undefined)
    .map((r) => r.below!);
  const threshold: LowStockThreshold =
    counts.length > 0 ? { below: Math.max(...counts) } : { percent: DEFAULT_LOW_STOCK_PERCENT };
  return threshold;
}

/** True when the pool is under the threshold. */
export function isPoolLow(usage: PoolUsage, threshold: LowStockThreshold, now: Date): boolean {
  if ('below' in threshold) return usage.free < threshold.below;
  const [report] = inventoryReport([usage], [], {
    now,
    windowDays: 1,
    lowStockPercent: threshold.percent,
  });
  return report!.lowStock;
}

export interface PoolWatchOptions {
  store: Pick<Store, 'poolUsage'>;
  config: Pick<CallsignConfig, 'notifications'>;
  clock: () => Date;
  events: EngineEvents;
}

/** Checks the pools and emits `pool:low` for each one that has just become low. */
export class PoolWatch {
  readonly #o: PoolWatchOptions;
  readonly #low = new Set<string>();

  constructor(o: PoolWatchOptions) {
    this.#o = o;
  }

  /** One check; returns the pools low now (all of them, not only the new ones). */
  async check(): Promise<string[]> {
    const now = this.#o.clock();
    const threshold = lowStockThreshold(this.#o.config);
    const lowNow: string[] = [];
    for (const usage of await this.#o.store.poolUsage(now)) {
      if (!isPoolLow(usage, threshold, now)) {
        this.#low.delete(usage.pool);
        continue;
      }
      lowNow.push(usage.pool);
      if (this.#low.has(usage.pool)) continue;
      this.#low.add(usage.pool);
      this.#o.events.emit('pool:low', {
        pool: usage.pool,
        kind: usage.kind,
        free: usage.free,
        total: usage.total,
        threshold,
        at: now,
      });
    }
    return lowNow;
  }
}
