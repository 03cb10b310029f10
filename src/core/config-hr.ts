/**
 * Validation of `type: hr-file` sources (HR exports dropped in a folder). Every column the
 * sections name must be a plain string; the person key must be one of the mapped columns so
 * that it reaches correlation as an attribute.
 */
import { isAbsolute, resolve } from 'node:path';

import type { MapView } from './config-reader.ts';
import { HR_TIMING_KEYS, readHrTiming } from './config-hr-timing.ts';
import type { HrFileSourceConfig, WorkdayConfig } from './config-types.ts';
import { anchorSecretRef, secretRefKind } from './secrets.ts';

export const HR_FILE_KEYS = [
  'name',
  'type',
  'path',
  'format',
  'columns',
  'keys',
  'status',
  'dates',
  'workerType',
  'country',
  'phone',
  'manager',
  'provisionDaysBeforeStart',
  'writeBack',
  'workday',
  ...HR_TIMING_KEYS,
] as const;

export const WORKER_TYPES = ['employee', 'contractor', 'intern'] as const;
/** Tokens YYYY, MM, DD, M, D with `-`, `/`, `.` or space between them. */
const DATE_FORMAT = /^(YYYY|MM|DD|M|D|[-./ ])+$/;

/** Reads one hr-file source; `name` has been checked for uniqueness by the caller. */
export function readHrFile(
  view: MapView,
  options: { name: string | undefined; baseDir: string; correlation: string[]; pathless?: boolean },
): HrFileSourceConfig {
  // Sources read over HTTPS (config-hr-https.ts) share the mapping and have no path.
  const path = options.pathless === true ? '' : (view.str('path', { required: true }) ?? '');
  const format = view.str('format');
  if (format !== undefined && format !== 'csv' && format !== 'json') {
    view.problem('format', `must be csv or json, not ${JSON.stringify(format)}`);
  }
  const columns = strings(view, 'columns');
  if (view.has('columns') && columns.workerId === undefined) {
    view.problem('columns', 'must map workerId to the column holding the worker id');
  }
  if (!view.has('columns')) view.problem('columns', 'is required');

  const source: HrFileSourceConfig = {
    name: options.name ?? '',
    type: 'hr-file',
    path: path === '' || isAbsolute(path) ? path : resolve(options.baseDir, path),
    columns,
    attributes: { ...columns },
    provisionDaysBeforeStart: view.num('provisionDaysBeforeStart', {
      default: 0,
      min: 0,
      max: 365,
      integer: true,
    }),
  };
  Object.assign(source, readHrTiming(view));
  if (format === 'csv' || format === 'json') source.format = format;

  const keys = view.map('keys', ['personKey']);
  const personKey = keys?.str('personKey');
  if (personKey !== undefined && keys !== undefined) {
    const attr = Object.entries(columns).find(([, col]) => col === personKey)?.[0];
    if (attr === undefined) keys.problem('personKey', `column ${personKey} is not in columns`);
    else if (!options.correlation.includes(attr)) {
      keys.problem('personKey', `attribute ${attr} (column ${personKey}) is not in correlation`);
    }
    source.keys = { personKey };
  }

  const status = view.map('status', ['column', 'active', 'leave', 'terminated']);
  const statusColumn = status?.str('column', { required: true });
  if (status !== undefined && statusColumn !== undefined) {
    source.status = {
      column: statusColumn,
      active: status.strings('active'),
      leave: status.strings('leave'),
      terminated: status.strings('terminated'),
    };
    if (source.status.active.length === 0) status.problem('active', 'list the active values');
    checkStatusOverlap(status, source.status);
  }

  const dates = view.map('dates', ['hire', 'termination', 'format']);
  if (dates !== undefined) {
    const fmt = dates.str('format') ?? 'YYYY-MM-DD';
    const tokens = fmt.match(/YYYY|MM|DD|M|D/g) ?? [];
    const once = ['Y', 'M', 'D'].every((t) => tokens.filter((x) => x[0] === t).length === 1);
    if (!DATE_FORMAT.test(fmt) || !once) {
      dates.problem('format', `must use YYYY, MM (or M), DD (or D) once each, not ${fmt}`);
    }
    const hire = dates.str('hire');
    const termination = dates.str('termination');
    source.dates = { format: fmt };
    if (hire !== undefined) source.dates.hire = hire;
    if (termination !== undefined) source.dates.termination = termination;
  }

  const workerType = view.map('workerType', ['column', 'map']);
  const typeColumn = workerType?.str('column', { required: true });
  if (workerType !== undefined && typeColumn !== undefined) {
    const map: Record<string, (typeof WORKER_TYPES)[number]> = {};
    for (const [value, kind] of Object.entries(strings(workerType, 'map'))) {
      if ((WORKER_TYPES as readonly string[]).includes(kind)) {
        map[value] = kind as (typeof WORKER_TYPES)[number];
      } else workerType.problem('map', `${value}: must be ${WORKER_TYPES.join(', ')}`);
    }
    source.workerType = { column: typeColumn, map };
  }

  const country = view.map('country', ['column', 'aliases']);
  const countryColumn = country?.str('column', { required: true });
  if (country !== undefined && countryColumn !== undefined) {
    const aliases = strings(country, 'aliases');
    for (const [alias, iso] of Object.entries(aliases)) {
      if (!/^[A-Z]{2}$/.test(iso)) {
        country.problem('aliases', `${alias}: ${iso} is not ISO alpha-2`);
      }
    }
    source.country = { column: countryColumn, aliases };
  }
  const phone = view.map('phone', ['column'])?.str('column', { required: true });
  if (phone !== undefined) source.phone = { column: phone };
  const manager = view.map('manager', ['column'])?.str('column', { required: true });
  if (manager !== undefined) source.manager = { column: manager };
  source.attributes = { ...columns, ...derivedAttributes(source) };
  readWorkday(view, source, options.baseDir);
  return source;
}

/** `writeBack: { workPhone: did }` with a `workday:` block to write it through. */
function readWorkday(view: MapView, source: HrFileSourceConfig, baseDir: string): void {
  const writeBack: Record<string, 'did' | 'extension'> = {};
  for (const [attr, kind] of Object.entries(strings(view, 'writeBack'))) {
    if (kind === 'did' || kind === 'extension') writeBack[attr] = kind;
    else view.problem('writeBack', `${attr}: must be did or extension, not ${kind}`);
  }
  const wd = view.map('workday', ['url', 'username', 'password', 'version', 'timeoutMs']);
  if (Object.keys(writeBack).length > 0) {
    if (wd === undefined) view.problem('writeBack', 'needs a workday: block to write through');
    source.writeBack = writeBack;
  }
  if (wd === undefined) return;
  const url = wd.str('url', { required: true }) ?? '';
  if (url !== '' && !/^https?:\/\/[^/]+\/ccx\/service\/[^/]+\/Human_Resources\//.test(url)) {
    wd.problem('url', 'must be https://HOST/ccx/service/TENANT/Human_Resources/VERSION');
  }
  const password = wd.str('password', { required: true }) ?? '';
  if (password !== '' && secretRefKind(password) === undefined) {
    wd.problem('password', 'inline secrets are not allowed; use env:NAME or file:PATH');
  }
  const version = wd.str('version') ?? /\/(v\d+(?:\.\d+)?)\/?$/.exec(url)?.[1] ?? 'v42.0';
  const config: WorkdayConfig = {
    url,
    username: wd.str('username', { required: true }) ?? '',
    password: password === '' ? '' : anchorSecretRef(password, baseDir),
    version,
  };
  if (wd.has('timeoutMs')) {
    config.timeoutMs = wd.num('timeoutMs', { default: 30_000, min: 100, integer: true });
  }
  source.workday = config;
}

/** Attributes the connector fills from the sections, with the column each comes from. */
function derivedAttributes(source: HrFileSourceConfig): Record<string, string> {
  const out: Record<string, string> = {};
  if (source.dates?.hire !== undefined) {
    out.hireDate = source.dates.hire;
    out.startDate = source.dates.hire;
  }
  if (source.dates?.termination !== undefined) out.endDate = source.dates.termination;
  if (source.status !== undefined) {
    out.hrStatus = source.status.column;
    out.onLeave = source.status.column;
  }
  if (source.workerType !== undefined) out.workerType = source.workerType.column;
  if (source.country !== undefined) out.country = source.country.column;
  if (source.phone !== undefined) out.phone = source.phone.column;
  if (source.manager !== undefined) out.managerId = source.manager.column;
  return out;
}

export function strings(view: MapView, key: string): Record<string, string> {
  const map = view.map(key);
  const out: Record<string, string> = {};
  for (const name of map?.entries.keys() ?? []) {
    const value = map?.str(name, { required: true });
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/**
 * A status value in two lists (`Active` both active and terminated) would make every worker
 * with it a leaver, or an active person on leave: refused, naming the value and both fields.
 * Values compare without case, as the readers match them.
 */
export function checkStatusOverlap(
  view: MapView,
  lists: { active: string[]; leave: string[]; terminated: string[] },
): void {
  const seen = new Map<string, string>();
  for (const key of ['active', 'leave', 'terminated'] as const) {
    for (const value of lists[key]) {
      const first = seen.get(value.toLowerCase());
      if (first === undefined) seen.set(value.toLowerCase(), key);
      else if (first !== key) {
        view.problem(key, `${JSON.stringify(value)} is also listed in ${view.pathOf(first)}`);
      }
    }
  }
}
