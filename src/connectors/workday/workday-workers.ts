/**
 * Get_Workers of Workday's Human Resources web service: the request for one page, and each
 * Worker of the answer as an HR row (src/connectors/hr/hr-api.ts names the keys). Element
 * names follow Workday's published Get_Workers schema as shown in public integration guides and
 * WSDL-generated code; the one that could not be confirmed is marked UNCONFIRMED below.
 */
import { API_COLUMNS, API_FIELDS } from '../hr/hr-api.ts';
import type { RawRow } from '../hr/hr-read.ts';
import { ISO3 } from './workday-writeback.ts';
import { esc, node, textOf, type SoapNode } from './workday-xml.ts';

export interface GetWorkersPage {
  version: string;
  page: number;
  count: number;
  /** ISO timestamp: the data as of this moment (one value for every page of a read). */
  asOf: string;
  /** Delta: only workers with transactions entered in this window (Transaction_Log_Criteria). */
  updated?: { from: string; through: string };
}

/**
 * One page of Get_Workers. Inactive (terminated) workers are asked for so that leavers are
 * seen; Response_Group keeps the answer to what the rows need.
 */
export function getWorkersBody(r: GetWorkersPage): string {
  const el = (name: string, value: string) => `<bsvc:${name}>${esc(value)}</bsvc:${name}>`;
  const delta =
    r.updated === undefined
      ? ''
      : `<bsvc:Transaction_Log_Criteria_Data><bsvc:Transaction_Date_Range_Data>` +
        el('Updated_From', r.updated.from) +
        el('Updated_Through', r.updated.through) +
        `</bsvc:Transaction_Date_Range_Data></bsvc:Transaction_Log_Criteria_Data>`;
  return (
    `<bsvc:Get_Workers_Request bsvc:version="${esc(r.version)}">` +
    `<bsvc:Request_Criteria>${delta}` +
    el('Exclude_Inactive_Workers', 'false') +
    `</bsvc:Request_Criteria>` +
    `<bsvc:Response_Filter>` +
    el('As_Of_Effective_Date', r.asOf.slice(0, 10)) +
    el('As_Of_Entry_DateTime', r.asOf) +
    el('Page', String(r.page)) +
    el('Count', String(r.count)) +
    `</bsvc:Response_Filter>` +
    `<bsvc:Response_Group>` +
    el('Include_Reference', 'true') +
    el('Include_Personal_Information', 'true') +
    el('Include_Employment_Information', 'true') +
    el('Include_Organizations', 'true') +
    `</bsvc:Response_Group>` +
    `</bsvc:Get_Workers_Request>`
  );
}

/** Response_Results of a Get_Workers answer. */
export interface WorkersResults {
  totalResults: number;
  totalPages: number;
  page: number;
}

/** The workers of one answer's Body, as rows, with the paging results. */
export function readWorkersResponse(
  body: SoapNode,
  options: { today: string; workerTypes: Record<string, unknown> },
): { rows: RawRow[]; results: WorkersResults } {
  const response = node(body, 'Get_Workers_Response');
  if (response === undefined) throw new SyntaxError('answer has no Get_Workers_Response');
  const results = node(response, 'Response_Results');
  const num = (name: string) => Number(textOf(results?.[name]) ?? NaN);
  const out: WorkersResults = {
    totalResults: num('Total_Results'),
    totalPages: num('Total_Pages'),
    page: num('Page'),
  };
  if (!Number.isInteger(out.totalPages) || !Number.isInteger(out.page)) {
    throw new SyntaxError('answer has no Response_Results Total_Pages and Page');
  }
  const workers = list(node(response, 'Response_Data')?.Worker);
  const rows = workers.map((w, i) => workerRow(w, `page ${out.page} entry ${i + 1}`, options));
  return { rows, results: out };
}

function workerRow(
  worker: SoapNode,
  where: string,
  options: { today: string; workerTypes: Record<string, unknown> },
): RawRow {
  const data = node(worker, 'Worker_Data');
  const values: Record<string, string> = {};
  const set = (key: string, value: string | undefined) => {
    if (value !== undefined) values[key] = value;
  };
  set(API_COLUMNS.workerId, textOf(data?.Worker_ID));

  const names = node(data, 'Personal_Data');
  const nameData = node(names, 'Name_Data');
  const preferred = node(node(nameData, 'Preferred_Name_Data'), 'Name_Detail_Data');
  const legal = node(node(nameData, 'Legal_Name_Data'), 'Name_Detail_Data');
  // The preferred name when it is complete; else the legal one.
  const name = (textOf(preferred?.Last_Name) ?? '') !== '' ? preferred : (legal ?? preferred);
  set(API_COLUMNS.givenName, textOf(name?.First_Name));
  set(API_COLUMNS.sn, textOf(name?.Last_Name));
  set(API_COLUMNS.displayName, attr(name, 'Formatted_Name'));

  const contact = node(names, 'Contact_Data');
  const email = workUsage(list(contact?.Email_Address_Data));
  set(API_COLUMNS.mail, textOf(email?.Email_Address));
  const phone = workUsage(list(contact?.Phone_Data));
  set(API_FIELDS.phone, phoneText(phone));

  const employment = node(data, 'Employment_Data');
  const status = node(employment, 'Worker_Status_Data');
  const yes = (v: unknown) => ['1', 'true'].includes((textOf(v) ?? '').trim().toLowerCase());
  const hire = dateOf(textOf(status?.Hire_Date));
  set(API_FIELDS.hireDate, hire);
  set(API_FIELDS.terminationDate, dateOf(textOf(status?.Termination_Date)));
  // Leave_Status_Data (one per leave) says On_Leave as of the request's as-of date.
  const onLeave = list(status?.Leave_Status_Data).some((l) => yes(l.On_Leave));
  values[API_FIELDS.status] = yes(status?.Terminated)
    ? 'Terminated'
    : onLeave
      ? 'On_Leave'
      : yes(status?.Active)
        ? 'Active'
        : // Workday sets Active to 1 only on the hire date: a hire to come is a pre-hire.
          hire !== undefined && hire > options.today
          ? 'Pre_Hire'
          : 'Inactive';

  const jobs = list(employment?.Worker_Job_Data);
  const job = jobs.find((j) => yes(j['@Primary_Job'])) ?? jobs[0];
  const position = node(job, 'Position_Data');
  set(API_COLUMNS.title, textOf(position?.Business_Title) ?? textOf(position?.Position_Title));
  const site = node(position, 'Business_Site_Summary_Data');
  set(API_COLUMNS.location, textOf(site?.Name));
  set(API_FIELDS.country, countryOf(node(node(site, 'Address_Data'), 'Country_Reference')));

  // Employee_Type_ID (Regular, Intern…) when the configuration maps it; else the kind of worker.
  const typeId = idOf(node(position, 'Worker_Type_Reference'));
  const contingent =
    ids(node(worker, 'Worker_Reference')).some((i) => i.type === 'Contingent_Worker_ID') ||
    ids(node(position, 'Worker_Type_Reference')).some(
      (i) => i.type === 'Contingent_Worker_Type_ID',
    );
  values[API_FIELDS.workerType] =
    typeId !== undefined && typeId in options.workerTypes
      ? typeId
      : contingent
        ? 'Contingent_Worker'
        : 'Employee';

  for (const org of list(node(data, 'Organization_Data')?.Worker_Organization_Data)) {
    const o = node(org, 'Organization_Data');
    // Organization_Type_ID SUPERVISORY is confirmed in public requests; COMPANY is UNCONFIRMED.
    const kind = (idOf(node(o, 'Organization_Type_Reference')) ?? '').toLowerCase();
    if (kind === 'supervisory') set(API_COLUMNS.department, textOf(o?.Organization_Name));
    if (kind === 'company') set(API_COLUMNS.company, textOf(o?.Organization_Name));
  }

  // The direct manager; the Employee_ID (or Contingent_Worker_ID) is the manager's Worker_ID.
  set(
    API_FIELDS.managerId,
    workerIdOf(node(position, 'Manager_as_of_last_detected_manager_change_Reference')),
  );

  const row: RawRow = { where, values };
  // A worker without any name cannot be given a directory or phone entry that makes sense.
  if (name === undefined || (textOf(name.Last_Name) ?? '').trim() === '') {
    row.error = 'has no name (Legal_Name_Data or Preferred_Name_Data Last_Name)';
  }
  return row;
}

/** The entry whose usage is WORK and primary, else the first WORK one, else the first. */
function workUsage(entries: SoapNode[]): SoapNode | undefined {
  const usage = (e: SoapNode) => node(node(e, 'Usage_Data'), 'Type_Data');
  const work = entries.filter((e) => idOf(node(usage(e), 'Type_Reference')) === 'WORK');
  const primary = work.find((e) => ['1', 'true'].includes(String(usage(e)?.['@Primary'])));
  return primary ?? work[0] ?? entries[0];
}

/** `+1 212 5550100` from the parts, or Workday's formatted text when the code is missing. */
function phoneText(phone: SoapNode | undefined): string | undefined {
  if (phone === undefined) return undefined;
  const code = textOf(phone.International_Phone_Code);
  const parts = [textOf(phone.Area_Code), textOf(phone.Phone_Number)].filter(Boolean).join(' ');
  const ext = textOf(phone.Phone_Extension);
  const base =
    code !== undefined && parts !== '' ? `+${code} ${parts}` : attr(phone, 'Formatted_Phone');
  return base === undefined || ext === undefined ? base : `${base} ext. ${ext}`;
}

/** xs:date may carry a zone (`2025-03-01-08:00`); the calendar date is the part before it. */
function dateOf(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d{4}-\d{2}-\d{2})(?:Z|[+-]\d{2}:\d{2})?$/.exec(text.trim());
  return m?.[1] ?? text;
}

function countryOf(ref: SoapNode | undefined): string | undefined {
  const all = ids(ref);
  const alpha2 = all.find((i) => i.type === 'ISO_3166-1_Alpha-2_Code')?.value;
  if (alpha2 !== undefined) return alpha2;
  const alpha3 = all.find((i) => i.type === 'ISO_3166-1_Alpha-3_Code')?.value;
  if (alpha3 === undefined) return undefined;
  const two = Object.entries(ISO3).find(([, three]) => three === alpha3.toUpperCase())?.[0];
  // An alpha-3 code Callsign does not know is passed on: the row rules drop it, saying why.
  return two ?? alpha3;
}

function workerIdOf(ref: SoapNode | undefined): string | undefined {
  return ids(ref).find((i) => i.type === 'Employee_ID' || i.type === 'Contingent_Worker_ID')?.value;
}

/** The first non-WID id of a reference. */
function idOf(ref: SoapNode | undefined): string | undefined {
  return ids(ref).find((i) => i.type !== 'WID')?.value;
}

function ids(ref: SoapNode | undefined): { type: string; value: string }[] {
  return list(ref?.ID).map((id) => ({ type: String(id['@type'] ?? ''), value: textOf(id) ?? '' }));
}

function attr(n: SoapNode | undefined, name: string): string | undefined {
  const v = n?.[`@${name}`];
  return typeof v === 'string' ? v : undefined;
}

/** Elements that may occur once or many times, as a list; text-only ones wrapped. */
function list(value: unknown): SoapNode[] {
  const items = value === undefined ? [] : Array.isArray(value) ? value : [value];
  return items.map((v) => (v !== null && typeof v === 'object' ? (v as SoapNode) : { '#text': v }));
}
