/**
 * The reconciliation report between the inventory and the platforms' own numbers: numbers a
 * platform uses that are unknown or free here, numbers assigned here that a platform lacks,
 * and people holding two numbers of one kind. Pure; the CLI gathers the inputs.
 */
import type { PlatformNumber } from '../connectors/types.ts';
import type { NumberKind } from './model.ts';
import type { NumberRecord } from '../store/types.ts';

/** A platform number the inventory does not count as in use. */
export interface UnknownHere {
  target: string;
  value: string;
  kind: NumberKind;
  owner?: string;
  /** The pool holding the number here, if any, and its state there. */
  pool?: string;
  state?: string;
}

/** An assigned number a platform does not have. */
export interface MissingThere {
  target: string;
  pool: string;
  value: string;
  personId: string;
}

export interface Duplicate {
  personId: string;
  kind: NumberKind;
  numbers: { pool: string; value: string }[];
}

export interface NumberReconcileReport {
  unknownHere: UnknownHere[];
  missingThere: MissingThere[];
  duplicates: Duplicate[];
}

/** States in which the inventory knows a number is taken or kept (not free for anyone). */
const IN_USE = new Set(['assigned', 'reserved', 'held', 'blocked']);

/** Compares the inventory with each platform's numbers. */
export function reconcileNumbers(
  records: readonly NumberRecord[],
  platforms: readonly { target: string; numbers: readonly PlatformNumber[] }[],
): NumberReconcileReport {
  const byKey = new Map<string, NumberRecord[]>();
  for (const r of records) {
    const key = `${r.kind}|${r.value}`;
    byKey.set(key, [...(byKey.get(key) ?? []), r]);
  }
  const unknownHere: UnknownHere[] = [];
  const missingThere: MissingThere[] = [];
  for (const { target, numbers } of platforms) {
    const there = new Set(numbers.map((n) => `${n.kind}|${n.value}`));
    for (const n of numbers) {
      const here = byKey.get(`${n.kind}|${n.value}`) ?? [];
      if (here.some((r) => IN_USE.has(r.state))) continue;
      const entry: UnknownHere = { target, value: n.value, kind: n.kind };
      if (n.owner !== undefined) entry.owner = n.owner;
      if (here[0] !== undefined) {
        entry.pool = here[0].pool;
        entry.state = here[0].state;
      }
      unknownHere.push(entry);
    }
    for (const r of records) {
      if (r.state !== 'assigned' || there.has(`${r.kind}|${r.value}`)) continue;
      missingThere.push({ target, pool: r.pool, value: r.value, personId: r.personId ?? '' });
    }
  }
  return { unknownHere, missingThere, duplicates: duplicates(records) };
}

/** Lines for a terminal. */
export function formatReconcileReport(report: NumberReconcileReport): string[] {
  const lines = [`on a platform but unknown or free here: ${report.unknownHere.length}`];
  for (const u of report.unknownHere) {
    const here = u.pool === undefined ? 'in no pool' : `${u.state} in pool ${u.pool}`;
    lines.push(`  ${u.target}  ${u.kind} ${u.value}  owner ${u.owner ?? '?'}  (${here})`);
  }
  lines.push(`assigned here but missing there: ${report.missingThere.length}`);
  for (const m of report.missingThere) {
    lines.push(`  ${m.target}  ${m.pool} ${m.value}  person ${m.personId}`);
  }
  lines.push(`people with two numbers of one kind: ${report.duplicates.length}`);
  for (const d of report.duplicates) {
    const values = d.numbers.map((n) => `${n.pool}:${n.value}`).join(', ');
    lines.push(`  ${d.personId}  ${d.kind}: ${values}`);
  }
  return lines;
}

function duplicates(records: readonly NumberRecord[]): Duplicate[] {
  const held = new Map<string, Duplicate>();
  for (const r of records) {
    if (r.state !== 'assigned' || r.personId === undefined) continue;
    const key = `${r.personId}|${r.kind}`;
    const entry = held.get(key) ?? { personId: r.personId, kind: r.kind, numbers: [] };
    entry.numbers.push({ pool: r.pool, value: r.value });
    held.set(key, entry);
  }
  return [...held.values()].filter((d) => d.numbers.length > 1);
}
