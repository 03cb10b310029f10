/**
 * Checks across the rows of one export. A worker id on several rows holds all of them: which
 * one is true cannot be told, so nothing changes for that id. Manager references that point
 * nowhere, or at the worker themself, are noted and kept (a manager is informative, not a
 * reason to deny a phone). When a person (by the person key) has a terminated old worker id and
 * a live new one (a contractor converted, a rehire), the old row is superseded so that
 * correlation sees one record of that person, not two.
 */
import { normalizeKey } from '../../core/correlate.ts';
import type { RecordProblem, Snapshot } from '../../core/model.ts';
import type { RawRow } from './hr-read.ts';
import { rowMapper, type HrRowRules, type MappedRow } from './hr-rows.ts';

export interface BatchOptions {
  source: string;
  /** Callsign attribute holding the person key (mapped from `keys.personKey`). */
  personKey?: string;
  /** Rows carry `managerId`. */
  managers: boolean;
}

/**
 * Maps every row read (from a file or an API) by the source's rules and settles them: the one
 * path all HR readers share. `mapped` is returned for the caller's counts.
 */
export async function snapshotOfRows(
  rules: HrRowRules,
  rows: AsyncIterable<RawRow> | Iterable<RawRow>,
): Promise<{ snapshot: Snapshot; mapped: MappedRow[] }> {
  const map = rowMapper(rules);
  const mapped: MappedRow[] = [];
  for await (const row of rows) mapped.push(map(row));
  const personKey =
    rules.keys?.personKey === undefined
      ? undefined
      : Object.entries(rules.columns).find(([, c]) => c === rules.keys?.personKey)?.[0];
  const snapshot = settleRows(mapped, {
    source: rules.name,
    managers: rules.manager !== undefined,
    ...(personKey === undefined ? {} : { personKey }),
  });
  return { snapshot, mapped };
}

/** The snapshot of one complete read; every row is emitted or named in `problems`. */
export function settleRows(rows: MappedRow[], options: BatchOptions): Snapshot {
  const problems: RecordProblem[] = rows.flatMap((r) => r.problems);
  const note = (row: MappedRow, field: string, message: string, extra: Partial<RecordProblem>) =>
    problems.push({ source: options.source, record: label(row), field, message, ...extra });

  const byId = groupBy(
    rows.filter((r) => r.workerId !== ''),
    (r) => r.workerId,
  );
  for (const [id, same] of byId) {
    if (same.length < 2) continue;
    const where = same.map((r) => r.where).join(', ');
    for (const row of same) {
      row.held = true;
      const message = `worker id ${id} is on ${same.length} rows (${where}); all held`;
      note(row, 'workerId', message, { outcome: 'held' });
    }
  }

  if (options.managers) {
    for (const row of rows) {
      const manager = row.record.attributes.managerId;
      if (typeof manager !== 'string') continue;
      if (manager === row.workerId) {
        note(row, 'managerId', 'the worker is their own manager; kept', noted);
      } else if (!byId.has(manager)) {
        note(row, 'managerId', `manager ${manager} is not a worker in this file; kept`, noted);
      }
    }
  }

  const live = rows.filter((r) => !r.held);
  const superseded = new Set<MappedRow>();
  if (options.personKey !== undefined) {
    const key = options.personKey;
    const byPerson = groupBy(live, (r) => normalizeKey(r.record.attributes[key])[0] ?? '');
    byPerson.delete('');
    for (const [value, same] of byPerson) {
      const current = same.filter((r) => !r.terminated);
      if (same.length < 2 || current.length !== 1) continue;
      const now = current[0]!;
      for (const old of same.filter((r) => r.terminated)) {
        old.held = true;
        superseded.add(old);
        const message =
          `terminated worker ${old.workerId} is superseded by worker ${now.workerId} ` +
          `(same ${key} ${value}); its id counts as gone`;
        note(old, key, message, { severity: 'info', outcome: 'superseded' });
      }
    }
  }

  const held = rows.filter((r) => r.held && r.workerId !== '' && !superseded.has(r));
  return {
    source: options.source,
    records: rows.filter((r) => !r.held).map((r) => r.record),
    complete: true,
    problems,
    heldIds: [...new Set(held.map((r) => r.workerId))],
  };
}

const noted: Partial<RecordProblem> = { severity: 'info', outcome: 'kept' };

function label(row: MappedRow): string {
  return row.workerId === '' ? row.where : `${row.where} (worker ${row.workerId})`;
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list === undefined) out.set(k, [item]);
    else list.push(item);
  }
  return out;
}
