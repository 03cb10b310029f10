/**
 * The number inventory's bulk operations, shared by `callsign numbers …` and the API so both
 * answer the same: CSV import, reconciliation with the platforms, the utilisation report and the
 * CSV export. Each takes the open engine; the callers only format the answer.
 */
import type { PlatformNumber } from '../connectors/types.ts';
import { toCsv } from '../core/csv.ts';
import {
  allocationsFromAudit,
  inventoryReport,
  type PoolReport,
} from '../core/inventory-report.ts';
import { normalizeKey } from '../core/correlate.ts';
import { checkImportRows, readImportCsv, type ImportProblem } from '../core/number-import.ts';
import { reconcileNumbers, type NumberReconcileReport } from '../core/number-reconcile.ts';
import type { NumberQuery } from '../store/types.ts';
import type { Engine } from './engine.ts';

const DAY_MS = 86_400_000;

export interface ImportOutcome {
  valid: number;
  /** Rows whose state changed (0 on a dry run). */
  imported: number;
  dryRun: boolean;
  problems: ImportProblem[];
}

/**
 * Checks a CSV (bytes as read) and imports its valid rows in one transaction. A file that is
 * not UTF-8, lacks the header or cannot be split throws a `config` CallsignError: nothing read.
 */
export async function importNumbersCsv(
  engine: Engine,
  o: { bytes: Uint8Array; file: string; dryRun: boolean; actor: string },
): Promise<ImportOutcome & { rows: { line: number; pool: string; value: string }[] }> {
  const records = readImportCsv(o.bytes, o.file);
  // Only correlation keys are stored for people; they are matched without case, as correlation
  // matches them, though the store keeps each as its source spelled it.
  const keys = engine.config.correlation;
  let index: Promise<Map<string, string[]>> | undefined;
  const indexed = async () => {
    const byValue = new Map<string, string[]>();
    for (const k of await engine.store.listPersonKeys(keys)) {
      const [norm] = normalizeKey(k.value);
      if (norm === undefined) continue;
      const at = `${k.key}\u0000${norm}`;
      byValue.set(at, [...(byValue.get(at) ?? []), k.personId]);
    }
    return byValue;
  };
  const { rows, problems } = await checkImportRows(records, {
    pools: engine.config.pools,
    personKeys: keys,
    personExists: async (id) => (await engine.store.getPerson(id)) !== undefined,
    findPeople: async (key, value) => {
      index ??= indexed();
      const [norm] = normalizeKey(value);
      return norm === undefined ? [] : ((await index).get(`${key}\u0000${norm}`) ?? []);
    },
    assignedTo: async (pool, personId) =>
      (await engine.store.searchNumbers({ pool, personId, state: 'assigned' }))[0]?.value,
    number: async (pool, value) =>
      (await engine.store.searchNumbers({ pool, prefix: value })).find((n) => n.value === value),
  });
  const imported =
    o.dryRun || rows.length === 0
      ? 0
      : await engine.store.importNumbers(rows, o.actor, engine.clock());
  return {
    valid: rows.length,
    imported,
    dryRun: o.dryRun,
    problems,
    rows: rows.map((r) => ({ line: r.line, pool: r.pool, value: r.value })),
  };
}

/**
 * Compares the inventory with every target that lists its numbers. With `adopt`, a number a
 * platform uses that is free here is held for review (never assigned: a person decides whose).
 */
export async function reconcileInventory(
  engine: Engine,
  o: { adopt: boolean; actor: string },
): Promise<NumberReconcileReport & { adopted: string[] }> {
  const platforms: { target: string; numbers: PlatformNumber[] }[] = [];
  for (const target of engine.targets.values()) {
    if (target.listNumbers === undefined) continue;
    const numbers: PlatformNumber[] = [];
    for await (const n of target.listNumbers()) numbers.push(n);
    platforms.push({ target: target.name, numbers });
  }
  const report = reconcileNumbers(await engine.store.listNumbers(), platforms);
  const adopted: string[] = [];
  if (o.adopt) {
    for (const u of report.unknownHere) {
      if (u.pool === undefined || (u.state !== 'available' && u.state !== 'quarantined')) continue;
      const reason = `in use on ${u.target} by ${u.owner ?? 'unknown'}: adopted for review`;
      await engine.store.holdNumber(u.pool, u.value, reason, o.actor);
      u.state = 'held';
      adopted.push(`${u.pool}:${u.value}`);
    }
  }
  return { ...report, adopted };
}

/** Utilisation, forecast and low-stock flag per pool, at the engine's clock. */
export async function poolReports(
  engine: Engine,
  o: { windowDays: number; lowStockPercent: number },
): Promise<PoolReport[]> {
  const now = engine.clock();
  const since = new Date(now.getTime() - o.windowDays * DAY_MS).toISOString();
  const audit = await engine.store.queryAudit({ action: 'number.assigned', since });
  return inventoryReport(await engine.store.poolUsage(now), allocationsFromAudit(audit), {
    now,
    windowDays: o.windowDays,
    lowStockPercent: o.lowStockPercent,
  });
}

/** The export's columns. */
export const EXPORT_HEADER = [
  'pool',
  'kind',
  'number',
  'state',
  'person',
  'person_name',
  'until',
  'note',
  'updated_at',
  'forward_to',
  'pinned_to',
  'emergency_location',
  'emergency_elin',
  'emergency_callback',
] as const;

/** The inventory (or the part `query` selects) as CSV guarded against formulas; and its size. */
export async function exportNumbersCsv(
  engine: Engine,
  query: NumberQuery,
): Promise<{ csv: string; count: number }> {
  const list = await engine.store.searchNumbers(query);
  const names = new Map((await engine.store.listPeople()).map((p) => [p.id, p.attributes]));
  const sites = new Map(engine.config.pools.map((p) => [p.name, p.emergency]));
  const rows = list.map((n) => {
    // The emergency data in force: the number's own, else its pool's (site's).
    const emergency = n.emergency ?? sites.get(n.pool);
    return [
      n.pool,
      n.kind,
      n.value,
      n.state,
      n.personId,
      displayName(names.get(n.personId ?? '')),
      n.availableAt,
      n.note,
      n.updatedAt,
      n.forward?.to,
      n.pinnedTo,
      emergency?.location,
      emergency?.elin,
      emergency?.callback,
    ];
  });
  return { csv: toCsv([EXPORT_HEADER, ...rows]), count: list.length };
}

function displayName(attributes: Record<string, unknown> | undefined): string | undefined {
  const name = attributes?.displayName;
  return typeof name === 'string' ? name : undefined;
}
