/**
 * HR workers pushed by the HR system (`type: hr-push`): each call carries one or more workers in
 * the source's column names. Every entry goes through the same row rules as an export; an entry
 * whose id, status or dates cannot be trusted is refused and named with its field, the others
 * are kept. The latest accepted row of each worker is stored in the engine's state, and a
 * reconciliation reads the stored rows as if they were one export (cross-row checks included).
 */
import type { HrPushSourceConfig } from '../../core/config-hr-https.ts';
import { CallsignError } from '../../core/errors.ts';
import type { RecordProblem, Snapshot } from '../../core/model.ts';
import type { Store } from '../../store/types.ts';
import type { SourceCapabilities, SourceConnector } from '../types.ts';
import { snapshotOfRows } from './hr-batch.ts';
import type { RawRow } from './hr-read.ts';
import { rowMapper } from './hr-rows.ts';

type PushState = Pick<Store, 'getState' | 'setState'>;

/** One stored worker: the row as pushed (column → text) and when. */
interface StoredRow {
  values: Record<string, string>;
  at: string;
}

export interface PushOutcome {
  accepted: string[];
  /** Entries refused (nothing of them kept), each named with its field. */
  rejected: RecordProblem[];
  /** Faults of accepted entries (a field dropped, a value normalised). */
  notes: RecordProblem[];
}

const stateKey = (source: string) => `hr-push:${source}`;

/**
 * Checks and keeps pushed entries. Entries are plain objects of column → string, number,
 * boolean or null; anything else in a field drops that field (as in a JSON export).
 */
export async function acceptPush(
  state: PushState,
  config: HrPushSourceConfig,
  entries: readonly unknown[],
  now: Date,
): Promise<PushOutcome> {
  const map = rowMapper(config);
  const outcome: PushOutcome = { accepted: [], rejected: [], notes: [] };
  const known = new Set(Object.values(config.attributes));
  const rows = entries.map((entry, i) => {
    const row = rawRow(entry, i + 1, known);
    return { row, mapped: map(row) };
  });
  // As in an export, an id on several entries refuses all of them: which one is true cannot be
  // told, so that worker's stored row stays as it was.
  const where = new Map<string, string[]>();
  for (const { mapped } of rows) {
    if (mapped.workerId !== '')
      where.set(mapped.workerId, [...(where.get(mapped.workerId) ?? []), mapped.where]);
  }
  const keep = new Map<string, StoredRow>();
  for (const { row, mapped } of rows) {
    const same = where.get(mapped.workerId) ?? [];
    if (same.length > 1) {
      outcome.rejected.push({
        source: config.name,
        record: `${mapped.where} (worker ${mapped.workerId})`,
        field: 'workerId',
        message:
          `worker id ${mapped.workerId} is on ${same.length} entries ` +
          `(${same.join(', ')}); all refused`,
        outcome: 'held',
      });
      continue;
    }
    for (const key of row.unknown) {
      outcome.notes.push({
        source: config.name,
        record:
          mapped.workerId === '' ? mapped.where : `${mapped.where} (worker ${mapped.workerId})`,
        field: key,
        message: `${key} is not a column of this source's mapping; field dropped`,
        outcome: 'dropped',
      });
    }
    if (mapped.held) {
      outcome.rejected.push(...mapped.problems.filter((p) => p.outcome === 'held'));
      continue;
    }
    outcome.notes.push(...mapped.problems);
    keep.set(mapped.workerId, { values: row.values, at: now.toISOString() });
    outcome.accepted.push(mapped.workerId);
  }
  if (keep.size > 0) {
    // Read-modify-write of one key: calls for one source are serialised by the caller.
    const stored = await load(state, config.name);
    for (const [id, row] of keep) stored[id] = row;
    await state.setState(stateKey(config.name), JSON.stringify(stored));
  }
  return outcome;
}

export class HrPushSource implements SourceConnector {
  readonly name: string;
  readonly kind = 'hr-push';
  // Pushed rows are already in the store: polling has no change feed to ask.
  readonly capabilities: SourceCapabilities = { delta: false, writeBack: false, push: true };
  readonly #config: HrPushSourceConfig;
  readonly #state: PushState;

  constructor(config: HrPushSourceConfig, state: PushState) {
    this.name = config.name;
    this.#config = config;
    this.#state = state;
  }

  async readAll(): Promise<Snapshot> {
    const stored = await load(this.#state, this.#config.name);
    const rows: RawRow[] = Object.values(stored).map((row) => ({
      where: `pushed ${row.at}`,
      values: row.values,
    }));
    return (await snapshotOfRows(this.#config, rows)).snapshot;
  }

  async close(): Promise<void> {
    // The rows live in the store.
  }
}

/** One entry as a row of the mapping's columns; keys the mapping does not name are listed. */
function rawRow(
  entry: unknown,
  n: number,
  known: ReadonlySet<string>,
): RawRow & { unknown: string[] } {
  const row: RawRow & { unknown: string[] } = { where: `entry ${n}`, values: {}, unknown: [] };
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
    row.error = 'is not an object';
    return row;
  }
  for (const [key, value] of Object.entries(entry as Record<string, unknown>)) {
    if (!known.has(key)) row.unknown.push(key);
    else if (value === null || value === undefined) row.values[key] = '';
    else if (typeof value === 'object') (row.dropped ??= []).push(key);
    else row.values[key] = String(value);
  }
  return row;
}

async function load(state: PushState, source: string): Promise<Record<string, StoredRow>> {
  const text = await state.getState(stateKey(source));
  if (text === undefined) return {};
  try {
    return JSON.parse(text) as Record<string, StoredRow>;
  } catch {
    throw new CallsignError('internal', `source ${source}: the stored pushed workers do not parse`);
  }
}
