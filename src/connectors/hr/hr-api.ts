/**
 * HR systems read over an API (Workday Get_Workers, SuccessFactors OData) reuse the export's
 * row rules: each reader turns one worker into a RawRow whose keys are the fixed names below,
 * and these rules map and check it exactly as a file row would be (held, dropped, normalised,
 * superseded). A page that cannot be read makes the snapshot incomplete, so nobody is taken
 * for gone because of it.
 */
import type { Logger } from 'pino';

import { API_COLUMNS, type HrApiSourceConfig } from '../../core/config-hr-api.ts';
import { toCallsignError } from '../../core/errors.ts';
import type { RecordProblem, Snapshot } from '../../core/model.ts';
import type { ChangeBatch } from '../types.ts';
import { snapshotOfRows } from './hr-batch.ts';
import type { RawRow } from './hr-read.ts';
import { rowMapper, type HrRowRules, type MappedRow } from './hr-rows.ts';

export { API_COLUMNS };

/** Row keys the sections below read (not copied as plain attributes). */
export const API_FIELDS = {
  status: 'status',
  hireDate: 'hireDate',
  terminationDate: 'terminationDate',
  workerType: 'workerType',
  country: 'country',
  phone: 'phone',
  managerId: 'managerId',
} as const;

/** The row rules of an API source; `status` is what its reader writes in the status field. */
export function apiRules(
  config: HrApiSourceConfig,
  status: { active: string[]; leave: string[]; terminated: string[] },
): HrRowRules {
  const rules: HrRowRules = {
    name: config.name,
    columns: { ...API_COLUMNS },
    status: { column: API_FIELDS.status, ...status },
    // Readers write ISO dates; anything else they could not read is passed as is and held.
    dates: {
      hire: API_FIELDS.hireDate,
      termination: API_FIELDS.terminationDate,
      format: 'YYYY-MM-DD',
    },
    country: { column: API_FIELDS.country, aliases: config.countryAliases },
    phone: { column: API_FIELDS.phone },
    manager: { column: API_FIELDS.managerId },
    provisionDaysBeforeStart: config.provisionDaysBeforeStart,
    ...(config.timezone === undefined ? {} : { timezone: config.timezone }),
  };
  if (Object.keys(config.workerTypes).length > 0) {
    rules.workerType = { column: API_FIELDS.workerType, map: config.workerTypes };
  }
  if (config.personKey !== undefined) {
    const column = (API_COLUMNS as Record<string, string>)[config.personKey];
    if (column !== undefined) rules.keys = { personKey: column };
  }
  return rules;
}

/** What an API source is given beside its configuration. */
export interface HrApiSourceOptions {
  /** The resolved secret: the password, or the bearer token where the auth says so. */
  secret: string;
  log?: Logger;
  clock?: () => Date;
  /** Attempts per page on throttling and server errors; default 4. */
  attempts?: number;
  /** First backoff when the server gives no Retry-After; default 500 ms. */
  backoffMs?: number;
}

/** A page of rows, and whether more follow. */
export interface RowPage {
  rows: RawRow[];
  /** Opaque: what the reader needs to fetch the next page; undefined when this was the last. */
  next: unknown;
  /** The server's own count of all rows, when it says (for the log). */
  total?: number;
}

/**
 * Reads every page and settles the rows. The first page failing throws (nothing was read);
 * a later page failing ends the read as incomplete, with what was read kept for joiners and
 * movers and the failure named in `problems`. The read is logged once, at its end.
 */
export async function readApiPages(
  rules: HrRowRules,
  fetchPage: (cursor: unknown, index: number) => Promise<RowPage>,
  options: ReadLog & { signal?: AbortSignal },
): Promise<Snapshot> {
  const { signal } = options;
  const rows: RawRow[] = [];
  let cursor: unknown;
  let pages = 0;
  let total: number | undefined;
  let failure: RecordProblem | undefined;
  for (;;) {
    if (signal?.aborted === true) throw toCallsignError(signal.reason);
    let page: RowPage;
    try {
      page = await fetchPage(cursor, pages);
    } catch (err) {
      if (pages === 0) throw err;
      const reason = toCallsignError(err);
      if (reason.code === 'auth') throw reason;
      failure = {
        source: rules.name,
        record: `page ${pages + 1}`,
        message: `${reason.message}; read incomplete, nobody is taken for gone`,
        outcome: 'held',
      };
      break;
    }
    pages += 1;
    total ??= page.total;
    rows.push(...page.rows);
    if (page.next === undefined) break;
    cursor = page.next;
  }
  // Offset paging over data that changes under it can skip a worker: fewer rows than the
  // server counted means someone may be missing, and a missing worker must not be taken for gone.
  if (failure === undefined && total !== undefined && rows.length < total) {
    failure = {
      source: rules.name,
      record: `page ${pages}`,
      message:
        `read ${rows.length} workers but the server counted ${total}; ` +
        'read incomplete, nobody is taken for gone',
      outcome: 'held',
    };
  }
  const { snapshot, mapped } = await snapshotOfRows(rules, rows);
  if (failure !== undefined) {
    snapshot.complete = false;
    snapshot.problems.push(failure);
  }
  logRead(options, { snapshot, mapped, pages, total });
  return snapshot;
}

/** How a full read is logged: `message` is fixed per source, `unit` names what was mapped. */
export interface ReadLog {
  log?: Logger | undefined;
  message: string;
  unit: 'workers' | 'people';
}

function logRead(
  { log, message, unit }: ReadLog,
  read: { snapshot: Snapshot; mapped: MappedRow[]; pages: number; total: number | undefined },
): void {
  const { snapshot } = read;
  log?.info(
    {
      pages: read.pages,
      total: read.total,
      [unit]: read.mapped.length,
      records: snapshot.records.length,
      problems: snapshot.problems.length,
      complete: snapshot.complete,
    },
    message,
  );
}

/**
 * The people changed since `cursor`, read up to `through` by `changedRows`. Each row is mapped
 * by the row rules on its own; a held one is left out and named in `problems`. No usable cursor
 * yet: none are read, and the cursor starts at `through` (a full read has just been done).
 */
export async function readApiChanges(
  rules: HrRowRules,
  cursor: string | undefined,
  through: string,
  changedRows: (since: string) => Promise<RawRow[]>,
): Promise<ChangeBatch> {
  if (cursor === undefined || Number.isNaN(Date.parse(cursor))) {
    return { records: [], cursor: through, complete: cursor === undefined };
  }
  const mapped = (await changedRows(cursor)).map(rowMapper(rules));
  return {
    records: mapped.filter((m) => !m.held).map((m) => m.record),
    cursor: through,
    complete: true,
    problems: mapped.flatMap((m) => m.problems),
  };
}

/** A server's reason to wait, from Retry-After (seconds or an HTTP date), capped. */
export function retryAfterMs(header: string | null, fallback: number, cap = 60_000): number {
  if (header === null || header.trim() === '') return fallback;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  return Math.min(cap, Math.max(0, Number.isFinite(ms) ? ms : fallback));
}

/** Runs `call`, waiting and trying again while it throws a retryable error, `attempts` times. */
export async function withRetries<T>(
  call: () => Promise<T>,
  options: { attempts: number; baseMs: number; signal?: AbortSignal },
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (err) {
      const e = toCallsignError(err);
      if (!e.retryable || attempt >= options.attempts || options.signal?.aborted === true) throw e;
      const wait = e.retryAfterMs ?? options.baseMs * 2 ** (attempt - 1);
      await new Promise((ok) => setTimeout(ok, wait));
    }
  }
}

/**
 * The text of a failed HTTP call with what lies under it: undici's `fetch failed` alone does not
 * say whether the host refused, was not found or timed out; the cause's code and message do.
 */
export function fetchFailureReason(err: unknown): string {
  const reason = err instanceof Error ? err.message : String(err);
  const cause = err instanceof Error ? err.cause : undefined;
  if (cause === undefined || cause === null) return reason;
  const inner = cause instanceof Error ? cause.message : String(cause);
  const code = (cause as { code?: unknown }).code;
  const detail = typeof code === 'string' && !inner.includes(code) ? `${code}: ${inner}` : inner;
  return detail === '' || detail === reason ? reason : `${reason}: ${detail}`;
}
