/**
 * Workers read from Workday's Human Resources web service (Get_Workers, SOAP with a
 * WS-Security UsernameToken), page by page, through the same row rules as an HR export. A
 * fault on the first page throws (credentials refused: `auth`); a page failing later leaves
 * the read incomplete, so nobody is de-provisioned from it. Changes since the last read come
 * from the transaction log (Transaction_Log_Criteria, entry dates).
 */
import type { WorkdaySourceConfig } from '../../core/config-hr-api.ts';
import { CallsignError, ErrorCode } from '../../core/errors.ts';
import type { Snapshot } from '../../core/model.ts';
import {
  apiRules,
  fetchFailureReason,
  readApiChanges,
  readApiPages,
  retryAfterMs,
  withRetries,
  type HrApiSourceOptions,
} from '../hr/hr-api.ts';
import type { RawRow } from '../hr/hr-read.ts';
import type { ChangeBatch, SourceCapabilities, SourceConnector } from '../types.ts';
import { getWorkersBody, readWorkersResponse, type GetWorkersPage } from './workday-workers.ts';
import { envelope, parseSoap, type SoapNode } from './workday-xml.ts';
import { faultError } from './workday-writeback.ts';

export const WORKDAY_STATUSES = {
  active: ['Active', 'Pre_Hire'],
  leave: ['On_Leave'],
  terminated: ['Terminated'],
};

export class WorkdaySource implements SourceConnector {
  readonly name: string;
  readonly kind = 'workday';
  readonly capabilities: SourceCapabilities = { delta: true, writeBack: false };
  readonly #config: WorkdaySourceConfig;
  readonly #options: HrApiSourceOptions;

  constructor(config: WorkdaySourceConfig, options: HrApiSourceOptions) {
    this.name = config.name;
    this.#config = config;
    this.#options = options;
  }

  #now(): Date {
    return (this.#options.clock ?? (() => new Date()))();
  }

  async readAll(signal?: AbortSignal): Promise<Snapshot> {
    const asOf = this.#now().toISOString();
    const rules = apiRules(this.#config, WORKDAY_STATUSES);
    return readApiPages(
      rules,
      async (_cursor, index) => {
        const page = await this.#page({ page: index + 1, asOf }, signal);
        const more = page.results.page < page.results.totalPages;
        return { rows: page.rows, next: more ? true : undefined, total: page.results.totalResults };
      },
      { signal, log: this.#options.log, message: 'workday workers read', unit: 'workers' },
    );
  }

  /** Workers with transactions entered since the cursor (the time the last read began). */
  async readChanges(cursor: string | undefined, signal?: AbortSignal): Promise<ChangeBatch> {
    const through = this.#now().toISOString();
    const rules = apiRules(this.#config, WORKDAY_STATUSES);
    return readApiChanges(rules, cursor, through, async (from) => {
      const rows: RawRow[] = [];
      for (let page = 1; ; page += 1) {
        const updated = { from, through };
        const answer = await this.#page({ page, asOf: through, updated }, signal);
        rows.push(...answer.rows);
        if (answer.results.page >= answer.results.totalPages) return rows;
      }
    });
  }

  async #page(
    request: Omit<GetWorkersPage, 'version' | 'count'>,
    signal?: AbortSignal,
  ): Promise<ReturnType<typeof readWorkersResponse>> {
    const body = getWorkersBody({
      ...request,
      version: this.#config.version,
      count: this.#config.pageSize,
    });
    const answer = await withRetries(() => this.#call(body, request.page, signal), {
      attempts: this.#options.attempts ?? 4,
      baseMs: this.#options.backoffMs ?? 500,
      ...(signal === undefined ? {} : { signal }),
    });
    try {
      return readWorkersResponse(answer, {
        today: request.asOf.slice(0, 10),
        workerTypes: this.#config.workerTypes,
      });
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new CallsignError(ErrorCode.Unavailable, `workday: page ${request.page}: ${reason}`, {
        retryable: false,
      });
    }
  }

  async #call(body: string, page: number, signal?: AbortSignal): Promise<SoapNode> {
    const { username } = this.#config;
    const xml = envelope({ username, password: this.#options.secret, body });
    const timeout = AbortSignal.timeout(this.#config.timeoutMs);
    let res: Response;
    try {
      res = await fetch(this.#config.url, {
        method: 'POST',
        headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' },
        body: xml,
        signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
      });
    } catch (err) {
      const reason = fetchFailureReason(err);
      throw new CallsignError(ErrorCode.Unavailable, `workday: page ${page}: ${reason}`, {
        cause: err,
      });
    }
    const text = await res.text();
    let answer: ReturnType<typeof parseSoap> | undefined;
    try {
      answer = parseSoap(text);
    } catch {
      answer = undefined;
    }
    if (answer !== undefined && 'fault' in answer) {
      // Workday answers faults with HTTP 500; the fault code says what went wrong.
      const mapped = faultError(answer.fault, '-');
      const message = `workday: page ${page}: ${answer.fault.message} (${answer.fault.code})`;
      throw new CallsignError(mapped.code, message, {
        retryable: mapped.retryable,
        details: { page, faultcode: answer.fault.code },
      });
    }
    if (res.status === 401 || res.status === 403) {
      throw new CallsignError(ErrorCode.Auth, `workday: HTTP ${res.status}: credentials refused`);
    }
    if (res.status === 429 || res.status === 503) {
      throw new CallsignError(ErrorCode.Throttled, `workday: page ${page}: HTTP ${res.status}`, {
        retryAfterMs: retryAfterMs(res.headers.get('retry-after'), this.#options.backoffMs ?? 500),
      });
    }
    if (!res.ok || answer === undefined) {
      throw new CallsignError(ErrorCode.Unavailable, `workday: page ${page}: HTTP ${res.status}`, {
        retryable: res.status >= 500,
      });
    }
    return answer.body;
  }

  async close(): Promise<void> {
    // Nothing is kept open between reads.
  }
}
