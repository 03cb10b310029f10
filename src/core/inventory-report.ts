/**
 * The inventory report: how full each pool is, when it runs out at the current hiring rate, and
 * whether it is low on stock. Pure: the caller reads pool usage and the `number.assigned` audit
 * entries from the store and passes the clock.
 */
import type { AuditEntry, PoolUsage } from '../store/types.ts';

const DAY_MS = 86_400_000;

export interface InventoryReportOptions {
  now: Date;
  /** The hiring rate is the allocations of the last this many days, per day. */
  windowDays: number;
  /** A pool whose free share of its usable numbers is below this percent is low on stock. */
  lowStockPercent: number;
}

/** One allocation: the pool and when. */
export interface AllocationEvent {
  pool: string;
  at: string;
}

export interface PoolReport extends PoolUsage {
  /** Numbers that can ever be given: all but the blocked and retired ones. */
  usable: number;
  /** Assigned share of the usable numbers, 0–100. */
  utilisationPercent: number;
  /** Free share of the usable numbers, 0–100. */
  freePercent: number;
  allocationsInWindow: number;
  ratePerDay: number;
  /** Whole days until no free number is left at this rate; absent without a rate. */
  daysLeft?: number;
  /** The day (YYYY-MM-DD, UTC) the pool runs out at this rate. */
  runsOutOn?: string;
  /** The forecast in words, for people. */
  forecast: string;
  lowStock: boolean;
}

/**
 * A report line per pool. The forecast counts only numbers free now: quarantined numbers coming
 * back later would stretch it, so it errs on the early side.
 */
export function inventoryReport(
  usage: readonly PoolUsage[],
  allocations: readonly AllocationEvent[],
  options: InventoryReportOptions,
): PoolReport[] {
  const { now, windowDays, lowStockPercent } = options;
  if (!(windowDays > 0)) throw new RangeError(`windowDays must be above 0, not ${windowDays}`);
  const since = now.getTime() - windowDays * DAY_MS;
  const recent = new Map<string, number>();
  for (const a of allocations) {
    const t = Date.parse(a.at);
    if (t > since && t <= now.getTime()) recent.set(a.pool, (recent.get(a.pool) ?? 0) + 1);
  }

  return usage.map((u) => {
    const usable = u.total - u.counts.blocked - (u.counts.retired ?? 0);
    const allocationsInWindow = recent.get(u.pool) ?? 0;
    const ratePerDay = allocationsInWindow / windowDays;
    const freePercent = percent(u.free, usable);
    return {
      ...u,
      usable,
      utilisationPercent: percent(u.counts.assigned, usable),
      freePercent,
      allocationsInWindow,
      ratePerDay,
      ...forecast(u.free, ratePerDay, { now, windowDays }),
      lowStock: usable === 0 || freePercent < lowStockPercent,
    };
  });
}

/** The allocations recorded in audit entries (`number.assigned`, subject `number:POOL:VALUE`). */
export function allocationsFromAudit(entries: readonly AuditEntry[]): AllocationEvent[] {
  const out: AllocationEvent[] = [];
  for (const e of entries) {
    if (e.action !== 'number.assigned') continue;
    // Pool names hold no ':' (config-pools.ts), so the pool is the second part.
    const [kind, pool] = e.subject.split(':');
    if (kind === 'number' && pool !== undefined && pool !== '') out.push({ pool, at: e.at });
  }
  return out;
}

/** Report lines for a terminal, one block per pool. */
export function formatInventoryReport(reports: readonly PoolReport[]): string[] {
  const lines: string[] = [];
  for (const r of reports) {
    const flag = r.lowStock ? '  LOW STOCK' : '';
    lines.push(
      `${r.pool} (${r.kind}): ${r.free} free of ${r.usable} usable, ` +
        `${r.utilisationPercent.toFixed(1)}% assigned${flag}`,
    );
    const states = Object.entries(r.counts)
      .map(([s, n]) => `${s} ${n}`)
      .join(', ');
    lines.push(`  ${states}`);
    lines.push(`  forecast: ${r.forecast}`);
    if (r.outOfRange !== undefined && r.outOfRange.length > 0) {
      lines.push(`  out of range, still in use: ${r.outOfRange.join(', ')}`);
    }
  }
  return lines;
}

function forecast(
  free: number,
  ratePerDay: number,
  at: { now: Date; windowDays: number },
): Pick<PoolReport, 'daysLeft' | 'runsOutOn' | 'forecast'> {
  if (free === 0) {
    return { daysLeft: 0, runsOutOn: day(at.now), forecast: 'no free number left' };
  }
  if (ratePerDay === 0) {
    return { forecast: `no allocations in the window (last ${at.windowDays} days)` };
  }

  const daysLeft = Math.floor(free / ratePerDay);
  const runsOutOn = day(new Date(at.now.getTime() + daysLeft * DAY_MS));
  const rate = ratePerDay >= 10 ? ratePerDay.toFixed(0) : ratePerDay.toFixed(2);
  return {
    daysLeft,
    runsOutOn,
    forecast: `runs out in about ${daysLeft} days (${runsOutOn}) at ${rate} allocations a day`,
  };
}

function percent(part: number, whole: number): number {
  return whole === 0 ? 0 : (part / whole) * 100;
}

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}
