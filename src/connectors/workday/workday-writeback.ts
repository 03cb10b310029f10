/**
 * Writes an assigned work number back to Workday (Human Resources web service,
 * Maintain_Contact_Information_for_Person_Event) as the worker's primary, public WORK landline.
 * A worker whose hire date has not come yet is held with a retryable `waiting` error.
 * Phone_Number goes as subscriber digits (`5550100`); Workday applies its country format.
 */
import type { Logger } from 'pino';
import { parsePhoneNumberFromString } from 'libphonenumber-js';

import type { WorkdayConfig } from '../../core/config-types.ts';
import { CallsignError, ErrorCode } from '../../core/errors.ts';
import { fromCanonical } from '../../core/phone.ts';
import type { WriteBackValues } from '../types.ts';
import {
  envelope,
  fieldOfXpath,
  maintainContactBody,
  parseSoap,
  type SoapFault,
  type WorkPhoneRequest,
} from './workday-xml.ts';

/** What the HR source knows of a worker at write-back time. */
export interface WorkerFacts {
  /** YYYY-MM-DD or null. */
  hireDate?: string | null;
  workerType?: string | null;
}

export interface WorkdayWriteBackOptions {
  password: string;
  /** Facts of the worker by worker id (the HR source's last read). */
  worker: (workerId: string) => Promise<WorkerFacts | undefined>;
  clock?: () => Date;
  log?: Logger;
}

export class WorkdayWriteBack {
  readonly #config: WorkdayConfig;
  readonly #options: WorkdayWriteBackOptions;

  constructor(config: WorkdayConfig, options: WorkdayWriteBackOptions) {
    this.#config = config;
    this.#options = options;
  }

  /**
   * Writes the one attribute holding a number (`workPhone`). A null or empty value is not sent:
   * Workday keeps a leaver's contact data, and removing a phone needs its Workday id.
   */
  async write(workerId: string, values: WriteBackValues): Promise<void> {
    const entries = Object.entries(values).filter(([, v]) => v !== null && v !== '');
    if (entries.length === 0) return;
    const [attribute, value] = entries[0]!;

    const facts = await this.#options.worker(workerId);
    const today = (this.#options.clock ?? (() => new Date()))().toISOString().slice(0, 10);
    const hire = facts?.hireDate ?? undefined;
    if (hire !== undefined && today < hire) {
      throw new CallsignError(
        ErrorCode.Waiting,
        `worker ${workerId}: ${attribute} is held until the hire date ${hire}`,
        { retryable: true, details: { workerId, field: 'hireDate', hireDate: hire } },
      );
    }
    const split = splitWorkPhone(value!, `worker ${workerId}: ${attribute}`);
    const request: WorkPhoneRequest = {
      idType: facts?.workerType === 'contractor' ? 'Contingent_Worker_ID' : 'Employee_ID',
      workerId,
      effectiveDate: today,
      version: this.#config.version,
      ...split,
    };
    await this.#call(workerId, maintainContactBody(request));
    this.#options.log?.info({ workerId, attribute }, 'workday phone written');
  }

  async #call(workerId: string, body: string): Promise<void> {
    const { username } = this.#config;
    const xml = envelope({ username, password: this.#options.password, body });
    let res: Response;
    try {
      res = await fetch(this.#config.url, {
        method: 'POST',
        headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' },
        body: xml,
        signal: AbortSignal.timeout(this.#config.timeoutMs ?? 30_000),
      });
    } catch (err) {
      throw new CallsignError(ErrorCode.Unavailable, `workday: ${String(err)}`, { cause: err });
    }
    const text = await res.text();
    let answer: ReturnType<typeof parseSoap> | undefined;
    try {
      answer = parseSoap(text);
    } catch {
      answer = undefined;
    }
    if (answer !== undefined && 'fault' in answer) throw faultError(answer.fault, workerId);
    if (res.status === 401 || res.status === 403) {
      throw new CallsignError(ErrorCode.Auth, `workday: HTTP ${res.status}`);
    }
    if (res.status === 429) throw new CallsignError(ErrorCode.Throttled, 'workday: HTTP 429');
    if (res.status >= 500 || answer === undefined || !res.ok) {
      throw new CallsignError(ErrorCode.Unavailable, `workday: HTTP ${res.status}`, {
        retryable: res.status >= 500 || res.ok,
      });
    }
  }
}

/** Workday's phone parts of a canonical number (`+19085550100;ext=123`). */
export function splitWorkPhone(
  value: string,
  what: string,
): Pick<WorkPhoneRequest, 'countryIso3' | 'countryCode' | 'areaCode' | 'number' | 'extension'> {
  const phone = fromCanonical(value);
  const parsed = phone === undefined ? undefined : parsePhoneNumberFromString(phone.e164);
  if (phone === undefined || parsed === undefined) {
    throw new CallsignError(ErrorCode.BadRecord, `${what}: '${value}' is not an E.164 number`);
  }
  // The first group of the international format is the area (national destination) code,
  // except in countries that have none, where the whole national number is the number.
  const groups = parsed.formatInternational().split(' ').slice(1);
  const noArea = parsed.country !== undefined && NO_AREA_CODE.has(parsed.country);
  const area = groups.length > 1 && !noArea ? groups[0] : undefined;
  const national = String(parsed.nationalNumber);
  const out: ReturnType<typeof splitWorkPhone> = {
    countryCode: String(parsed.countryCallingCode),
    number: area === undefined ? national : national.slice(area.length),
  };
  const iso3 = parsed.country === undefined ? undefined : ISO3[parsed.country];
  if (iso3 !== undefined) out.countryIso3 = iso3;
  if (area !== undefined) out.areaCode = area;
  if (phone.extension !== undefined) out.extension = phone.extension;
  return out;
}

/** Maps a Workday SOAP fault to Callsign's error, naming the worker and the field. */
export function faultError(fault: SoapFault, workerId: string): CallsignError {
  const field = fault.xpath === undefined ? undefined : fieldOfXpath(fault.xpath);
  const details = { workerId, faultcode: fault.code, ...(field ? { field } : {}) };
  const where = field === undefined ? '' : ` (${field})`;
  const message = `workday: worker ${workerId}${where}: ${fault.message}`;
  if (/authentication/i.test(fault.code)) {
    return new CallsignError(ErrorCode.Auth, `workday: ${fault.message}`, { details });
  }
  if (/validation/i.test(fault.code)) {
    const code =
      field === 'ID' && /Worker_Reference/.test(fault.xpath ?? '')
        ? ErrorCode.NotFound
        : ErrorCode.Rejected;
    return new CallsignError(code, message, { details });
  }
  if (/^Server/i.test(fault.code)) {
    return new CallsignError(ErrorCode.Unavailable, message, { details });
  }
  return new CallsignError(ErrorCode.Rejected, message, { details });
}

const NO_AREA_CODE: ReadonlySet<string> = new Set([
  'SG',
  'HK',
  'MO',
  'DK',
  'NO',
  'IS',
  'LU',
  'MT',
  'QA',
  'BH',
  'MC',
  'CY',
  'EE',
]);

/** Workday names a phone's country by ISO alpha-3; the countries Callsign sees most. */
export const ISO3: Readonly<Record<string, string>> = {
  US: 'USA',
  CA: 'CAN',
  GB: 'GBR',
  IE: 'IRL',
  DE: 'DEU',
  FR: 'FRA',
  NL: 'NLD',
  BE: 'BEL',
  LU: 'LUX',
  CH: 'CHE',
  AT: 'AUT',
  IT: 'ITA',
  ES: 'ESP',
  PT: 'PRT',
  DK: 'DNK',
  NO: 'NOR',
  SE: 'SWE',
  FI: 'FIN',
  IS: 'ISL',
  PL: 'POL',
  CZ: 'CZE',
  HU: 'HUN',
  RO: 'ROU',
  GR: 'GRC',
  AU: 'AUS',
  NZ: 'NZL',
  JP: 'JPN',
  CN: 'CHN',
  HK: 'HKG',
  SG: 'SGP',
  IN: 'IND',
  BR: 'BRA',
  MX: 'MEX',
  AR: 'ARG',
  ZA: 'ZAF',
  IL: 'ISR',
  AE: 'ARE',
  KR: 'KOR',
  MT: 'MLT',
  EE: 'EST',
};
