/**
 * Checking a CSV of existing number assignments before it is imported. Columns: `pool`,
 * `number`, `state` (assigned, reserved or blocked), `person` (a Callsign person id, or a
 * value of one of the configuration's correlation keys, any case), `note`. The file must be
 * UTF-8 with exactly that header, else nothing is read; each row is then checked on its own and
 * a bad one is named by line and field, while the good ones go on to be imported together (one
 * transaction).
 */
import { normalizeKey } from './correlate.ts';
import type { PoolConfig } from './config-types.ts';
import { parseCsv, restoreCell } from './csv.ts';
import { CallsignError, ErrorCode } from './errors.ts';
import { parsePhone } from './phone.ts';
import type { NumberImportRow, NumberRecord } from '../store/types.ts';

/** The header the file must start with, in this order. */
export const IMPORT_HEADER = ['pool', 'number', 'state', 'person', 'note'] as const;

/** A rejected row: its 1-based line in the file and the field at fault. */
export interface ImportProblem {
  line: number;
  field: string;
  message: string;
}

/** What the checks need from the store: people by key and the stored number rows. */
export interface ImportLookups {
  pools: readonly PoolConfig[];
  /** Person ids whose correlation key `key` has value `value`, compared without case. */
  findPeople(key: string, value: string): Promise<string[]>;
  /** Correlation keys tried for the `person` column, in order (the configuration's). */
  personKeys: readonly string[];
  /** Whether a Callsign person id exists (the id other `numbers` commands take). */
  personExists(id: string): Promise<boolean>;
  number(pool: string, value: string): Promise<NumberRecord | undefined>;
  /** The number of the pool the person already has assigned, if any. */
  assignedTo(pool: string, personId: string): Promise<string | undefined>;
}

/** Decodes and splits the file; `config` error (nothing imported) for encoding or header. */
export function readImportCsv(bytes: Uint8Array, file: string): string[][] {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new CallsignError(
      ErrorCode.Config,
      `${file}: not UTF-8 text; save the CSV as UTF-8 (nothing was imported)`,
      { details: { field: 'encoding' } },
    );
  }
  const rows = splitCsv(text.replace(/^\uFEFF/, ''), file);
  const header = (rows[0] ?? []).map((h) => h.trim().toLowerCase());
  const missing = REQUIRED_COLUMNS.filter((c) => !header.includes(c));
  if (missing.length > 0) {
    throw new CallsignError(
      ErrorCode.Config,
      `${file}: the header must name the columns ${REQUIRED_COLUMNS.join(', ')} ` +
        `(person and note are optional, others are ignored); it lacks ${missing.join(', ')} ` +
        `in '${(rows[0] ?? []).join(',')}' (nothing was imported)`,
      { details: { line: 1, field: 'header' } },
    );
  }

  // Columns are taken by name, so a file written by `numbers export` imports as it is.
  const at = IMPORT_HEADER.map((c) => header.indexOf(c));
  const projected = rows.slice(1).map((cells) => {
    if (cells.length === 1 && cells[0]!.trim() === '') return cells;
    if (cells.length !== header.length) return [];
    return at.map((i) => (i < 0 ? '' : cells[i]!));
  });
  return [[...IMPORT_HEADER], ...projected];
}

/** Columns an import file must have; `person` and `note` may be absent. */
const REQUIRED_COLUMNS = ['pool', 'number', 'state'] as const;

/** `parseCsv`, with a quote that never closes named by its line (nothing is imported). */
function splitCsv(text: string, file: string): string[][] {
  try {
    return parseCsv(text);
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    const offset = Number(/offset (\d+)/.exec(err.message)?.[1] ?? 0);
    const line = text.slice(0, offset).split('\n').length;
    throw new CallsignError(
      ErrorCode.Config,
      `${file}: line ${line}, field row: a quoted field never closes (nothing was imported)`,
      { details: { line, field: 'row' } },
    );
  }
}

/** Checks every data row; returns the rows to import and the problems of the others. */
export async function checkImportRows(
  rows: readonly string[][],
  lookups: ImportLookups,
): Promise<{ rows: NumberImportRow[]; problems: ImportProblem[] }> {
  const out: NumberImportRow[] = [];
  const problems: ImportProblem[] = [];
  const seenNumbers = new Map<string, number>();
  const seenHolders = new Map<string, number>();
  for (let i = 1; i < rows.length; i++) {
    const cells = rows[i]!;
    const line = i + 1;
    if (cells.length === 1 && cells[0]!.trim() === '') continue;
    const fault = (field: string, message: string) => problems.push({ line, field, message });
    if (cells.length !== IMPORT_HEADER.length) {
      fault('row', 'has a different number of fields than the header');
      continue;
    }
    const [poolName, rawNumber, state, personText, note] = cells.map((c) => restoreCell(c).trim());
    const row = await checkRow(
      {
        line,
        poolName: poolName!,
        rawNumber: rawNumber!,
        state: state!,
        personText: personText!,
        note: note!,
      },
      lookups,
      fault,
    );
    if (row === undefined) continue;

    const numberKey = `${row.pool}|${row.value}`;
    if (seenNumbers.has(numberKey)) {
      fault('number', `${row.value} is already on line ${seenNumbers.get(numberKey)}`);
      continue;
    }
    const holderKey = `${row.pool}|${row.personId}`;
    if (row.state === 'assigned' && seenHolders.has(holderKey)) {
      fault(
        'person',
        `${personText} already gets a number of pool ${row.pool} on line ` +
          `${seenHolders.get(holderKey)}`,
      );
      continue;
    }
    seenNumbers.set(numberKey, line);
    if (row.state === 'assigned') seenHolders.set(holderKey, line);
    out.push(row);
  }
  return { rows: out, problems };
}

type Fault = (field: string, message: string) => void;

async function checkRow(
  c: {
    line: number;
    poolName: string;
    rawNumber: string;
    state: string;
    personText: string;
    note: string;
  },
  lookups: ImportLookups,
  fault: Fault,
): Promise<NumberImportRow | undefined> {
  const pool = lookups.pools.find((p) => p.name === c.poolName);
  if (pool === undefined) return void fault('pool', `'${c.poolName}' is not a configured pool`);
  if (c.state !== 'assigned' && c.state !== 'reserved' && c.state !== 'blocked') {
    return void fault('state', `'${c.state}' must be assigned, reserved or blocked`);
  }
  const value = canonicalIn(pool, c.rawNumber, fault);
  if (value === undefined) return undefined;

  let personId: string | undefined;
  if (c.personText !== '') {
    personId = await resolvePerson(c.personText, lookups, fault);
    if (personId === undefined) return undefined;
  } else if (c.state === 'assigned') {
    return void fault('person', 'is required for an assigned number');
  }
  const stored = await lookups.number(pool.name, value);
  if (stored === undefined) {
    return void fault('number', `${value} is not in the inventory of pool ${pool.name}`);
  }
  if (stored.state === 'assigned' && stored.personId !== personId) {
    return void fault('number', `${value} is assigned to someone else (${stored.personId})`);
  }
  // Found here, the row is refused alone; found by the import's transaction, it aborts all.
  if (c.state === 'assigned' && personId !== undefined) {
    const held = await lookups.assignedTo(pool.name, personId);
    if (held !== undefined && held !== value) {
      return void fault('person', `${c.personText} already has ${held} in pool ${pool.name}`);
    }
  }
  const row: NumberImportRow = { line: c.line, pool: pool.name, value, state: c.state };
  if (personId !== undefined) row.personId = personId;
  if (c.note !== '') row.note = c.note;
  return row;
}

/** The pool's stored form of the number, or undefined after reporting why not. */
function canonicalIn(pool: PoolConfig, raw: string, fault: Fault): string | undefined {
  let value = raw;
  if (pool.kind === 'did') {
    const parsed = parsePhone(raw, pool.region);
    if (!parsed.ok) return void fault('number', `'${raw}': ${parsed.problem}`);
    if (parsed.phone.extension !== undefined) {
      return void fault('number', `'${raw}' carries an extension; a DID has none`);
    }
    value = parsed.phone.e164;
  } else if (!/^\d{1,15}$/.test(raw)) {
    return void fault('number', `'${raw}' is not an extension (1 to 15 digits)`);
  }
  const { start, end } = pool.range;
  if (value.length !== start.length || value < start || value > end) {
    return void fault('number', `${value} is outside pool ${pool.name}'s range ${start}-${end}`);
  }
  if (pool.exclude.includes(value)) {
    return void fault('number', `${value} is excluded from pool ${pool.name}`);
  }
  return value;
}

async function resolvePerson(
  text: string,
  lookups: ImportLookups,
  fault: Fault,
): Promise<string | undefined> {
  if (await lookups.personExists(text)) return text;
  const [key] = normalizeKey(text);
  const ids = new Set<string>();
  for (const name of lookups.personKeys) {
    for (const id of await lookups.findPeople(name, key ?? text)) ids.add(id);
  }
  if (ids.size === 1) return [...ids][0];
  if (ids.size === 0) {
    const names = ['person id', ...lookups.personKeys];
    const tried = `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
    return void fault('person', `nobody has ${tried} '${text}'`);
  }
  return void fault('person', `'${text}' matches ${ids.size} people (${[...ids].join(', ')})`);
}
