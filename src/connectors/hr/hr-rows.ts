/**
 * One HR row to one source record, with every fault said: a field that cannot be trusted is
 * dropped (the rest kept), a value with a known alias is normalised, and a row whose id, status
 * or dates cannot be trusted is held, because a wrong hire date could provision early and a wrong
 * status could remove someone's phone.
 */
import {
  getCountryCallingCode,
  isSupportedCountry,
  parsePhoneNumberFromString,
  type CountryCode,
} from 'libphonenumber-js/max';

import type { HrFileSourceConfig } from '../../core/config-types.ts';
import type { Attributes, RecordProblem, SourceRecord } from '../../core/model.ts';
import { formatPhone, parsePhone } from '../../core/phone.ts';
import { compileDateFormat, minusDays, plusDays, startOfDay, type DateParser } from './dates.ts';
import type { RawRow } from './hr-read.ts';

/** A row after its own checks; cross-row checks (hr-batch.ts) may still hold it. */
export interface MappedRow {
  where: string;
  /** Trimmed worker id; '' when the row has none. */
  workerId: string;
  record: SourceRecord;
  held: boolean;
  /** The HR status says terminated (for superseding by a newer record of the same person). */
  terminated: boolean;
  problems: RecordProblem[];
}

/**
 * What the row rules read of a source's configuration. The file source passes its own; the API
 * sources (Workday, SuccessFactors) pass fixed names for the values their readers put in rows.
 */
export type HrRowRules = Pick<
  HrFileSourceConfig,
  | 'name'
  | 'columns'
  | 'keys'
  | 'status'
  | 'dates'
  | 'workerType'
  | 'country'
  | 'phone'
  | 'manager'
  | 'provisionDaysBeforeStart'
  | 'timezone'
>;

/** Maps rows of one source; build once per read (compiles the date format). */
export function rowMapper(config: HrRowRules): (row: RawRow) => MappedRow {
  const parseDate = compileDateFormat(config.dates?.format ?? 'YYYY-MM-DD');
  return (row) => mapRow(config, parseDate, row);
}

function mapRow(config: HrRowRules, parseDate: DateParser, row: RawRow): MappedRow {
  const value = (column: string | undefined) =>
    column === undefined ? '' : (row.values[column] ?? '').trim();
  const workerId = value(config.columns.workerId);
  const label = workerId === '' ? row.where : `${row.where} (worker ${workerId})`;
  const problems: RecordProblem[] = [];
  let held = false;
  const note = (field: string | undefined, message: string, extra: Partial<RecordProblem>) => {
    problems.push({ source: config.name, record: label, field, message, ...extra });
  };
  const hold = (field: string | undefined, message: string) => {
    held = true;
    note(field, `${message}; row held`, { outcome: 'held' });
  };
  const drop = (field: string, message: string) =>
    note(field, `${message}; field dropped, row kept`, { outcome: 'dropped' });

  if (row.error !== undefined) hold(undefined, row.error);
  for (const key of row.dropped ?? []) drop(key, `${key} is not a plain value`);
  if (workerId === '') hold('workerId', 'no worker id');

  const attributes: Attributes = {};
  for (const [attr, column] of Object.entries(config.columns)) {
    const text = value(column);
    attributes[attr] = text === '' ? null : text;
  }

  let terminated = false;
  if (config.status !== undefined) {
    const raw = value(config.status.column);
    const is = (list: string[]) => list.some((v) => v.toLowerCase() === raw.toLowerCase());
    terminated = is(config.status.terminated);
    const leave = is(config.status.leave);
    if (!terminated && !leave && !is(config.status.active)) {
      hold('hrStatus', `status ${JSON.stringify(raw)} is not a configured value`);
    }
    attributes.hrStatus = raw === '' ? null : raw;
    // Leave of absence keeps the person's resources: they come back to the same number.
    attributes.onLeave = leave;
  }

  if (config.dates !== undefined) {
    const date = (field: string, column: string | undefined) => {
      const text = value(column);
      if (text === '') return null;
      const iso = parseDate(text);
      if (iso === undefined) {
        hold(field, `${JSON.stringify(text)} is not a date in format ${config.dates?.format}`);
      }
      return iso ?? null;
    };
    const hire = date('hireDate', config.dates.hire);
    const end = date('endDate', config.dates.termination);
    const start = hire === null ? null : minusDays(hire, config.provisionDaysBeforeStart);
    // Always set (null when empty) so that merging records never keeps a stale date.
    if (config.dates.hire !== undefined) {
      attributes.hireDate = hire;
      attributes.startDate = start;
    }
    if (config.dates.termination !== undefined) attributes.endDate = end;
    // HR dates are days where the person works: the start begins that day and a termination
    // date is the last day worked, so it ends at the next day's start. Lifecycle reads date-only
    // values as UTC days; in another zone the row carries the instants themselves.
    const zone = config.timezone;
    if (zone !== undefined && zone !== 'UTC') {
      const at = (iso: string | null, days: number) =>
        iso === null ? null : startOfDay(plusDays(iso, days), zone).toISOString();
      if (config.dates.hire !== undefined) attributes.startsAt = at(start, 0);
      if (config.dates.termination !== undefined) attributes.endsAt = at(end, 1);
    }
  }

  if (config.workerType !== undefined) {
    const raw = value(config.workerType.column);
    const map = config.workerType.map;
    const key = Object.keys(map).find((k) => k.toLowerCase() === raw.toLowerCase());
    attributes.workerType = key === undefined ? null : map[key]!;
    if (key === undefined && raw !== '') drop('workerType', `worker type ${raw} is not mapped`);
  }

  const country = config.country === undefined ? undefined : countryOf(config, value, note, drop);
  if (config.country !== undefined) attributes.country = country ?? null;
  if (config.phone !== undefined) {
    const raw = value(config.phone.column);
    const phone = raw === '' ? null : phoneFor(raw, country);
    if (typeof phone === 'object' && phone !== null) drop('phone', phone.problem);
    attributes.phone = typeof phone === 'string' ? phone : null;
  }
  if (config.manager !== undefined) {
    const manager = value(config.manager.column);
    attributes.managerId = manager === '' ? null : manager;
  }

  // A terminated worker with a date leaves on that date (lifecycle reads endDate); without one,
  // at once.
  const state = terminated && attributes.endDate == null ? 'disabled' : 'active';
  const record: SourceRecord = { source: config.name, externalId: workerId, state, attributes };
  return { where: row.where, workerId, record, held, terminated, problems };
}

type Note = (field: string | undefined, message: string, extra: Partial<RecordProblem>) => void;

function countryOf(
  config: HrRowRules,
  value: (column: string | undefined) => string,
  note: Note,
  drop: (field: string, message: string) => void,
): string | undefined {
  const raw = value(config.country?.column).toUpperCase();
  if (raw === '') return undefined;
  const alias = config.country?.aliases[raw];
  if (alias !== undefined) {
    const message = `country ${raw} normalised to ${alias}`;
    note('country', message, { severity: 'info', outcome: 'normalised' });
    return alias;
  }
  if (!/^[A-Z]{2}$/.test(raw)) {
    drop('country', `country ${raw} is not an ISO 3166 alpha-2 code`);
    return undefined;
  }
  return raw;
}

/**
 * The phone in E.164 when it is a valid number of the row's country (full metadata: the
 * minimal set accepts nearly any ten digits in some countries); else why not.
 */
function phoneFor(raw: string, country: string | undefined): string | { problem: string } {
  const region =
    country !== undefined && isSupportedCountry(country) ? (country as CountryCode) : undefined;
  const parsed = parsePhone(raw, region);
  if (!parsed.ok) return { problem: parsed.problem };
  if (region !== undefined) {
    const strict = parsePhoneNumberFromString(parsed.phone.e164);
    const fits =
      strict?.isValid() === true && strict.countryCallingCode === getCountryCallingCode(region);
    if (!fits) return { problem: `phone ${raw} does not fit country ${region}` };
  } else if (!raw.trim().startsWith('+')) {
    return { problem: `phone ${raw} has no country code and the row no country` };
  }
  return formatPhone(parsed.phone, 'e164');
}
