/**
 * Fixtures for HR export tests: a Workday-like header, a CSV writer, and the source
 * configuration that maps it (3 days' provisioning lead, `UK` as an alias of `GB`); for the
 * tests that go through a config file, a shorter header and the YAML source that reads it.
 */
import type { HrFileSourceConfig } from '../../core/config-types.ts';

export const HR_HEADER =
  'Worker ID,Status,Type,Email,First,Last,Hire Date,Termination Date,Country,Phone,Manager';

/** The header of the exports the config-driven tests drop in `./drop`. */
export const DROP_HEADER = 'Worker ID,Status,Type,Email,Name,Hire Date,Termination Date';

/**
 * A `type: hr-file` source named `hr`, as YAML list item under `sources:`, that reads
 * DROP_HEADER exports from ./drop; `more` holds its last keys (worker types, lead time),
 * indented by four spaces.
 */
export function dropSource(more: string): string {
  return `  - name: hr
    type: hr-file
    path: ./drop
    columns: { workerId: Worker ID, mail: Email, displayName: Name }
    keys: { personKey: Email }
    status: { column: Status, active: [Active], leave: [Leave], terminated: [Terminated] }
    dates: { hire: Hire Date, termination: Termination Date, format: YYYY-MM-DD }
${more}`;
}

/** A CSV export: the header and rows, CRLF-terminated as HR systems write them. */
export function hrCsv(rows: readonly string[], header = HR_HEADER): string {
  return [header, ...rows].map((r) => `${r}\r\n`).join('');
}

/** The source configuration for HR_HEADER, as `loadConfig` would fill it. */
export function hrConfig(path: string, name = 'hr'): HrFileSourceConfig {
  const columns = {
    workerId: 'Worker ID',
    mail: 'Email',
    givenName: 'First',
    sn: 'Last',
  };
  return {
    name,
    type: 'hr-file',
    path,
    columns,
    attributes: { ...columns },
    keys: { personKey: 'Email' },
    status: { column: 'Status', active: ['Active'], leave: ['Leave'], terminated: ['Terminated'] },
    dates: { hire: 'Hire Date', termination: 'Termination Date', format: 'YYYY-MM-DD' },
    workerType: {
      column: 'Type',
      map: { Regular: 'employee', Contractor: 'contractor', Intern: 'intern' },
    },
    country: { column: 'Country', aliases: { UK: 'GB' } },
    phone: { column: 'Phone' },
    manager: { column: 'Manager' },
    provisionDaysBeforeStart: 3,
  };
}
