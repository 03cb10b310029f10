/**
 * One PerPerson (with its expanded personal info, emails, phones, employments and job info)
 * as an HR row. Effective-dated records are chosen as of today: the one valid today; with none,
 * the earliest to come (a hire ahead); with neither, the latest that ended. A future job record
 * with a terminating status gives the end date when the employment has none yet.
 */
import { API_COLUMNS, API_FIELDS } from '../hr/hr-api.ts';
import type { RawRow } from '../hr/hr-read.ts';
import { ISO3 } from '../workday/workday-writeback.ts';
import { odataDate } from './sf-odata.ts';

type Entity = Record<string, unknown>;

export function personRow(
  person: Entity,
  where: string,
  options: { today: string; terminated: string[] },
): RawRow {
  const values: Record<string, string> = {};
  const set = (key: string, value: unknown) => {
    if (value !== undefined && value !== null && value !== '') values[key] = String(value);
  };
  set(API_COLUMNS.workerId, person.personIdExternal);

  const personal = asOf(nav(person.personalInfoNav), options.today);
  set(API_COLUMNS.givenName, personal?.firstName);
  set(API_COLUMNS.sn, personal?.lastName);
  set(
    API_COLUMNS.displayName,
    personal?.displayName ??
      ([personal?.firstName, personal?.lastName].filter(Boolean).join(' ') || undefined),
  );

  const emails = nav(person.emailNav);
  const email = emails.find((e) => e.isPrimary === true) ?? emails[0];
  set(API_COLUMNS.mail, email?.emailAddress);
  const phones = nav(person.phoneNav);
  set(API_FIELDS.phone, phoneText(phones.find((p) => p.isPrimary === true) ?? phones[0]));

  const employment = asOf(nav(person.employmentNav), options.today);
  const jobs = nav(employment?.jobInfoNav);
  const job = asOf(jobs, options.today);
  set(API_COLUMNS.title, job?.jobTitle);
  set(API_COLUMNS.department, job?.department);
  set(API_COLUMNS.company, job?.company);
  set(API_COLUMNS.location, job?.location);
  set(API_FIELDS.workerType, job?.employeeClass);
  set(API_FIELDS.managerId, job?.managerId === 'NO_MANAGER' ? undefined : job?.managerId);
  set(API_FIELDS.country, countryOf(job?.countryOfCompany));
  values[API_FIELDS.status] = statusOf(job) ?? '';

  set(API_FIELDS.hireDate, odataDate(employment?.startDate));
  let end = odataDate(employment?.endDate);
  if (end === undefined) {
    const leaving = jobs
      .filter((j) => (odataDate(j.startDate) ?? '') > options.today)
      .filter((j) => options.terminated.includes(statusOf(j) ?? ''))
      .sort(byStart)[0];
    end = odataDate(leaving?.startDate);
  }
  set(API_FIELDS.terminationDate, end);

  const row: RawRow = { where, values };
  if (personal === undefined || String(personal.lastName ?? '').trim() === '') {
    row.error = 'has no name (personalInfoNav lastName)';
  }
  return row;
}

/** The emplStatus external code (A, U, T…) from the expanded picklist, else the raw value. */
function statusOf(job: Entity | undefined): string | undefined {
  if (job === undefined) return undefined;
  const nav = job.emplStatusNav as Entity | null | undefined;
  const code = nav?.externalCode ?? job.emplStatus;
  return code === undefined || code === null ? undefined : String(code);
}

/** Valid today; else the earliest to come; else the latest begun. */
function asOf(records: Entity[], today: string): Entity | undefined {
  const start = (r: Entity) => odataDate(r.startDate) ?? '0000-01-01';
  const end = (r: Entity) => odataDate(r.endDate) ?? '9999-12-31';
  const current = records.filter((r) => start(r) <= today && end(r) >= today).sort(byStart);
  if (current.length > 0) return current.at(-1);
  const future = records.filter((r) => start(r) > today).sort(byStart);
  return future[0] ?? [...records].sort(byStart).at(-1);
}

function byStart(a: Entity, b: Entity): number {
  return (odataDate(a.startDate) ?? '').localeCompare(odataDate(b.startDate) ?? '');
}

/** An expanded navigation: `{ results: [...] }` for to-many, the entity for to-one. */
function nav(value: unknown): Entity[] {
  if (value === null || typeof value !== 'object') return [];
  const results = (value as { results?: unknown }).results;
  if (Array.isArray(results)) return results as Entity[];
  return '__deferred' in value ? [] : [value as Entity];
}

function phoneText(phone: Entity | undefined): string | undefined {
  if (phone === undefined) return undefined;
  const code = String(phone.countryCode ?? '').replace(/^\+/, '');
  const rest = [phone.areaCode, phone.phoneNumber].filter((v) => v != null && v !== '').join(' ');
  if (rest === '') return undefined;
  const ext =
    phone.extension == null || phone.extension === '' ? '' : ` ext. ${String(phone.extension)}`;
  return `${code === '' ? '' : `+${code} `}${rest}${ext}`;
}

/** countryOfCompany is ISO alpha-3; one Callsign cannot map is passed on (and dropped). */
function countryOf(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const text = String(value).toUpperCase();
  if (text.length === 2) return text;
  return Object.entries(ISO3).find(([, three]) => three === text)?.[0] ?? text;
}
