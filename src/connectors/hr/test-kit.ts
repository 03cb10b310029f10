/**
 * Fixtures for HR export tests: a Workday-like header, a CSV writer, and the source
 * configuration that maps it (3 days' provisioning lead, `UK` as an alias of `GB`).
 */
import type { HrFileSourceConfig } from '../../core/config-types.ts';

export const HR_HEADER =
  'Worker ID,Status,Type,Email,First,Last,Hire Date,Termination Date,Country,Phone,Manager';

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
