/**
 * Workday's Get_Workers on 127.0.0.1:0, shaped after the published Human Resources web
 * service: WS-Security UsernameToken checked (Client.authenticationError), Response_Filter
 * Page and Count (Count above 999 or a page past the last refused with Client.validationError
 * and an Xpath), Response_Results with Total_Results, Total_Pages, Page_Results and Page,
 * Response_Group honoured (no Personal_Data unless asked), Transaction_Log_Criteria_Data
 * Updated_From/Updated_Through against each worker's last entry time, and on demand: a page
 * that faults (Server, HTTP 500) and throttling (HTTP 429 with Retry-After).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import {
  esc,
  node,
  parser,
  textOf,
  type SoapNode,
} from '../../../src/connectors/workday/workday-xml.ts';
import { fault, soap, validation } from './workday-emulator.ts';

export interface EmuWorker {
  id: string;
  contingent?: boolean;
  firstName?: string;
  lastName?: string;
  email?: string;
  /** International code, area code, number. */
  phone?: { code: string; area?: string; number: string };
  active: boolean;
  terminated?: boolean;
  onLeave?: boolean;
  /** Written as xs:date with the tenant's zone, as Workday does (`2025-03-01-08:00`). */
  hireDate?: string;
  terminationDate?: string;
  title?: string;
  location?: string;
  /** Country_Reference ID: `{ type: 'ISO_3166-1_Alpha-2_Code', value: 'US' }`. */
  country?: { type: string; value: string };
  /** Worker_Type_Reference Employee_Type_ID (`Regular`, `Intern`). */
  employeeType?: string;
  managerId?: string;
  department?: string;
  company?: string;
  /** When its last transaction was entered (for the transaction log); default the start. */
  updatedAt?: string;
}

export interface WorkersEmulator {
  url: string;
  workers: EmuWorker[];
  /** Every request's Response_Filter as received (page, count, asOf). */
  requests: { page: number; count: number; asOf?: string; updatedFrom?: string }[];
  /** Page `page` answers a Server fault the next `times` times it is asked. */
  failPage: (page: number, times?: number) => void;
  /** The next `times` requests get HTTP 429 with Retry-After `seconds`. */
  throttle: (times: number, seconds?: number) => void;
  close: () => Promise<void>;
}

const REQUEST = 'Get_Workers_Request';

export async function startWorkersEmulator(options: {
  username: string;
  password: string;
  workers: EmuWorker[];
  tenant?: string;
  version?: string;
}): Promise<WorkersEmulator> {
  const version = options.version ?? 'v42.0';
  const failing = new Map<number, number>();
  let throttled = 0;
  let retryAfter = 0;
  const started = new Date().toISOString();
  const emu: Omit<WorkersEmulator, 'url' | 'close'> = {
    workers: options.workers,
    requests: [],
    failPage: (page, times = 1_000) => failing.set(page, times),
    throttle: (times, seconds = 0) => {
      throttled = times;
      retryAfter = seconds;
    },
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: string, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'text/xml; charset=utf-8', ...headers });
        res.end(soap(body));
      };
      if (throttled > 0) {
        throttled -= 1;
        const text = fault('Server', 'Too many requests; try again later.');
        return reply(429, text, { 'retry-after': String(retryAfter) });
      }
      let doc: SoapNode;
      try {
        doc = parser.parse(Buffer.concat(chunks).toString('utf8')) as SoapNode;
      } catch {
        return reply(500, fault('Client', 'Invalid request: not XML'));
      }
      const env = node(doc, 'Envelope');
      const token = node(node(node(env, 'Header'), 'Security'), 'UsernameToken');
      if (
        textOf(token?.Username) !== options.username ||
        textOf(token?.Password) !== options.password
      ) {
        return reply(500, fault('Client.authenticationError', 'invalid username or password'));
      }
      const request = node(node(env, 'Body'), REQUEST);
      if (request === undefined) return reply(500, fault('Client', 'Unknown operation'));
      if (request['@version'] !== version) {
        return reply(
          500,
          fault('Client', `Invalid request service version: ${String(request['@version'])}`),
        );
      }
      const filter = node(request, 'Response_Filter');
      const page = Number(textOf(filter?.Page) ?? '1');
      const count = Number(textOf(filter?.Count) ?? '100');
      const XP = `/ns0:${REQUEST}[1]/ns0:Response_Filter[1]`;
      if (!Number.isInteger(count) || count < 1 || count > 999) {
        return reply(
          500,
          validation(`Count must be between 1 and 999: ${count}`, `${XP}/ns0:Count[1]`),
        );
      }
      const range = node(
        node(node(request, 'Request_Criteria'), 'Transaction_Log_Criteria_Data'),
        'Transaction_Date_Range_Data',
      );
      const from = textOf(range?.Updated_From);
      const through = textOf(range?.Updated_Through);
      emu.requests.push({
        page,
        count,
        ...(textOf(filter?.As_Of_Entry_DateTime)
          ? { asOf: textOf(filter?.As_Of_Entry_DateTime)! }
          : {}),
        ...(from === undefined ? {} : { updatedFrom: from }),
      });
      const left = failing.get(page) ?? 0;
      if (left > 0) {
        failing.set(page, left - 1);
        return reply(
          500,
          fault('Server', 'An internal error occurred. Please contact Workday support.'),
        );
      }
      const excludeInactive = /^(1|true)$/.test(
        textOf(node(request, 'Request_Criteria')?.Exclude_Inactive_Workers) ?? '',
      );
      const chosen = emu.workers.filter((w) => {
        if (excludeInactive && !w.active) return false;
        if (from === undefined || through === undefined) return true;
        const at = w.updatedAt ?? started;
        return at >= from && at <= through;
      });
      const totalPages = Math.ceil(chosen.length / count);
      if (page < 1 || (page > totalPages && !(page === 1 && totalPages === 0))) {
        return reply(
          500,
          validation(`Page ${page} is past the last page (${totalPages})`, `${XP}/ns0:Page[1]`),
        );
      }
      const slice = chosen.slice((page - 1) * count, page * count);
      const group = node(request, 'Response_Group');
      const wants = (name: string) => /^(1|true)$/.test(textOf(group?.[name]) ?? '');
      reply(
        200,
        `<wd:Get_Workers_Response wd:version="${esc(version)}">` +
          `<wd:Response_Filter><wd:Page>${page}</wd:Page><wd:Count>${count}</wd:Count></wd:Response_Filter>` +
          `<wd:Response_Results><wd:Total_Results>${chosen.length}</wd:Total_Results>` +
          `<wd:Total_Pages>${totalPages}</wd:Total_Pages><wd:Page_Results>${slice.length}</wd:Page_Results>` +
          `<wd:Page>${page}</wd:Page></wd:Response_Results>` +
          `<wd:Response_Data>${slice.map((w) => workerXml(w, wants)).join('')}</wd:Response_Data>` +
          `</wd:Get_Workers_Response>`,
      );
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as AddressInfo).port;
  const url =
    `http://127.0.0.1:${port}/ccx/service/${options.tenant ?? 'acme'}` +
    `/Human_Resources/${version}`;
  const close = () => new Promise<void>((ok) => server.close(() => ok()));
  return Object.assign(emu, { url, close });
}

function workerXml(w: EmuWorker, wants: (name: string) => boolean): string {
  const t = (name: string, value: string | undefined) =>
    value === undefined ? '' : `<wd:${name}>${esc(value)}</wd:${name}>`;
  const id = (type: string, value: string) => `<wd:ID wd:type="${esc(type)}">${esc(value)}</wd:ID>`;
  const idType = w.contingent === true ? 'Contingent_Worker_ID' : 'Employee_ID';
  const wid = Buffer.from(w.id).toString('hex').padEnd(32, '0').slice(0, 32);
  const name = [w.firstName, w.lastName].filter(Boolean).join(' ');
  const work =
    `<wd:Usage_Data wd:Public="1"><wd:Type_Data wd:Primary="1"><wd:Type_Reference>` +
    `${id('Communication_Usage_Type_ID', 'WORK')}</wd:Type_Reference></wd:Type_Data></wd:Usage_Data>`;
  const personal = !wants('Include_Personal_Information')
    ? ''
    : `<wd:Personal_Data><wd:Name_Data><wd:Legal_Name_Data>` +
      `<wd:Name_Detail_Data wd:Formatted_Name="${esc(name)}">${t('First_Name', w.firstName)}` +
      `${t('Last_Name', w.lastName)}</wd:Name_Detail_Data></wd:Legal_Name_Data></wd:Name_Data>` +
      `<wd:Contact_Data>` +
      (w.phone === undefined
        ? ''
        : `<wd:Phone_Data wd:Formatted_Phone="+${esc(w.phone.code)} ${esc(w.phone.area ?? '')} ${esc(w.phone.number)}">` +
          `${t('International_Phone_Code', w.phone.code)}${t('Area_Code', w.phone.area)}` +
          `${t('Phone_Number', w.phone.number)}${work}</wd:Phone_Data>`) +
      (w.email === undefined
        ? ''
        : `<wd:Email_Address_Data>${t('Email_Address', w.email)}${work}</wd:Email_Address_Data>`) +
      `</wd:Contact_Data></wd:Personal_Data>`;
  const flag = (v: boolean | undefined) => (v === true ? '1' : '0');
  const employment = !wants('Include_Employment_Information')
    ? ''
    : `<wd:Employment_Data><wd:Worker_Job_Data wd:Primary_Job="1"><wd:Position_Data>` +
      t('Position_Title', w.title) +
      t('Business_Title', w.title) +
      (w.employeeType === undefined && w.contingent !== true
        ? ''
        : `<wd:Worker_Type_Reference>${id(
            w.contingent === true ? 'Contingent_Worker_Type_ID' : 'Employee_Type_ID',
            w.employeeType ?? 'Contractor',
          )}</wd:Worker_Type_Reference>`) +
      (w.managerId === undefined
        ? ''
        : `<wd:Manager_as_of_last_detected_manager_change_Reference>${id('WID', 'ab12')}` +
          `${id('Employee_ID', w.managerId)}</wd:Manager_as_of_last_detected_manager_change_Reference>`) +
      (w.location === undefined && w.country === undefined
        ? ''
        : `<wd:Business_Site_Summary_Data>${t('Name', w.location)}` +
          (w.country === undefined
            ? ''
            : `<wd:Address_Data><wd:Country_Reference>${id('WID', 'c0ffee')}` +
              `${id(w.country.type, w.country.value)}</wd:Country_Reference></wd:Address_Data>`) +
          `</wd:Business_Site_Summary_Data>`) +
      `</wd:Position_Data></wd:Worker_Job_Data>` +
      `<wd:Worker_Status_Data>${t('Active', flag(w.active))}` +
      t('Hire_Date', w.hireDate === undefined ? undefined : zoned(w.hireDate)) +
      t('Terminated', flag(w.terminated)) +
      t(
        'Termination_Date',
        w.terminationDate === undefined ? undefined : zoned(w.terminationDate),
      ) +
      `<wd:Leave_Status_Data>${t('On_Leave', flag(w.onLeave))}</wd:Leave_Status_Data>` +
      `</wd:Worker_Status_Data></wd:Employment_Data>`;
  const orgs = !wants('Include_Organizations')
    ? ''
    : `<wd:Organization_Data>` +
      [
        ['SUPERVISORY', w.department],
        ['COMPANY', w.company],
      ]
        .filter(([, v]) => v !== undefined)
        .map(
          ([kind, v]) =>
            `<wd:Worker_Organization_Data><wd:Organization_Data>${t('Organization_Name', v)}` +
            `<wd:Organization_Type_Reference>${id('Organization_Type_ID', kind!)}` +
            `</wd:Organization_Type_Reference></wd:Organization_Data></wd:Worker_Organization_Data>`,
        )
        .join('') +
      `</wd:Organization_Data>`;
  return (
    `<wd:Worker><wd:Worker_Reference>${id('WID', wid)}${id(idType, w.id)}</wd:Worker_Reference>` +
    `<wd:Worker_Descriptor>${esc(name)}</wd:Worker_Descriptor><wd:Worker_Data>` +
    t('Worker_ID', w.id) +
    personal +
    employment +
    orgs +
    `</wd:Worker_Data></wd:Worker>`
  );
}

/** An xs:date as Workday writes it, with the tenant's zone (Pacific here). */
function zoned(date: string): string {
  return /^\d{4}-\d{2}-\d{2}$/.test(date) ? `${date}-08:00` : date;
}
