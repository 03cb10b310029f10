/**
 * People read from SAP SuccessFactors Employee Central over OData v2 (PerPerson with personal
 * info, emails, phones, employments and job info expanded), page by page, through the same row
 * rules as an HR export. `fromDate` asks for today's and future effective-dated records, so a
 * hire or a termination to come is seen ahead. The first page failing throws (bad credentials:
 * `auth`); a later page failing leaves the read incomplete. Changes since the last read are
 * asked by `lastModifiedDateTime`.
 */
import type { SuccessFactorsSourceConfig } from '../../core/config-hr-api.ts';
import { CallsignError, ErrorCode } from '../../core/errors.ts';
import type { Snapshot } from '../../core/model.ts';
import {
  apiRules,
  readApiChanges,
  readApiPages,
  withRetries,
  type HrApiSourceOptions,
} from '../hr/hr-api.ts';
import type { ChangeBatch, SourceCapabilities, SourceConnector } from '../types.ts';
import { datetimeOffset, odataGet, type ODataPage, type SfAuth } from './sf-odata.ts';
import { SfTokenSource } from './sf-oauth.ts';
import { personRow } from './sf-person.ts';

const EXPAND = [
  'personalInfoNav',
  'emailNav',
  'phoneNav',
  'employmentNav',
  'employmentNav/jobInfoNav',
  'employmentNav/jobInfoNav/emplStatusNav',
].join(',');

export class SuccessFactorsSource implements SourceConnector {
  readonly name: string;
  readonly kind = 'successfactors';
  readonly capabilities: SourceCapabilities = { delta: true, writeBack: false };
  readonly #config: SuccessFactorsSourceConfig;
  readonly #options: HrApiSourceOptions;
  readonly #auth: SfAuth | SfTokenSource;

  constructor(config: SuccessFactorsSourceConfig, options: HrApiSourceOptions) {
    this.name = config.name;
    this.#config = config;
    this.#options = options;
    // With OAuth, the resolved secret is the private key: it goes to the signer and nowhere else.
    this.#auth =
      'oauth' in config.auth
        ? new SfTokenSource(config.auth.oauth, {
            privateKey: options.secret,
            clock: () => this.#now(),
            timeoutMs: config.timeoutMs,
          })
        : 'token' in config.auth
          ? { token: options.secret }
          : { user: config.auth.user, password: options.secret };
  }

  #now(): Date {
    return (this.#options.clock ?? (() => new Date()))();
  }

  async readAll(signal?: AbortSignal): Promise<Snapshot> {
    const today = this.#now().toISOString().slice(0, 10);
    const rules = apiRules(this.#config, this.#config.statuses);
    return readApiPages(
      rules,
      async (cursor, index) => {
        const url = typeof cursor === 'string' ? cursor : this.#firstUrl(today);
        const page = await this.#get(url, signal);
        const rows = page.results.map((p, i) =>
          personRow(p, `page ${index + 1} entry ${i + 1}`, {
            today,
            terminated: this.#config.statuses.terminated,
          }),
        );
        return {
          rows,
          next: this.#nextUrl(url, page),
          ...(page.count === undefined ? {} : { total: page.count }),
        };
      },
      { signal, log: this.#options.log, message: 'successfactors people read', unit: 'people' },
    );
  }

  /**
   * People whose PerPerson changed since the cursor. SuccessFactors stamps
   * `lastModifiedDateTime` on the entity changed: a job change alone may not touch PerPerson,
   * so the periodic full read stays the authority.
   */
  async readChanges(cursor: string | undefined, signal?: AbortSignal): Promise<ChangeBatch> {
    const through = this.#now().toISOString();
    const today = through.slice(0, 10);
    const terminated = this.#config.statuses.terminated;
    const rules = apiRules(this.#config, this.#config.statuses);
    return readApiChanges(rules, cursor, through, async (since) => {
      const filter = `lastModifiedDateTime gt ${datetimeOffset(since)}`;
      const people: Record<string, unknown>[] = [];
      let url: string | undefined = this.#firstUrl(today, filter);
      while (url !== undefined) {
        const page = await this.#get(url, signal);
        people.push(...page.results);
        url = this.#nextUrl(url, page);
      }
      return people.map((p, i) => personRow(p, `change ${i + 1}`, { today, terminated }));
    });
  }

  #firstUrl(today: string, filter?: string): string {
    const params = new URLSearchParams({
      $format: 'json',
      $expand: EXPAND,
      $orderby: 'personIdExternal',
      $top: String(this.#config.pageSize),
      $skip: '0',
      $inlinecount: 'allpages',
      fromDate: today,
    });
    if (filter !== undefined) params.set('$filter', filter);
    return `${this.#config.url.replace(/\/$/, '')}/PerPerson?${params.toString()}`;
  }

  /**
   * The server's `__next` when it pages (only on this server: credentials go nowhere else),
   * else the next `$skip` while pages come back full.
   */
  #nextUrl(url: string, page: ODataPage): string | undefined {
    if (page.next !== undefined) {
      const next = new URL(page.next, url);
      if (next.origin !== new URL(this.#config.url).origin) {
        throw new CallsignError(
          ErrorCode.Unavailable,
          `successfactors: __next points to ${next.origin}`,
          {
            retryable: false,
          },
        );
      }
      return next.toString();
    }
    const current = new URL(url);
    const top = Number(current.searchParams.get('$top') ?? NaN);
    if (!Number.isInteger(top) || page.results.length < top) return undefined;
    current.searchParams.set('$skip', String(Number(current.searchParams.get('$skip') ?? 0) + top));
    return current.toString();
  }

  #get(url: string, signal?: AbortSignal): Promise<ODataPage> {
    const backoffMs = this.#options.backoffMs ?? 500;
    const options = {
      timeoutMs: this.#config.timeoutMs,
      backoffMs,
      ...(signal === undefined ? {} : { signal }),
    };
    return withRetries(
      async () => {
        const auth = this.#auth;
        if (!(auth instanceof SfTokenSource)) return odataGet(url, auth, options);
        try {
          return await odataGet(url, { token: await auth.token({ signal }) }, options);
        } catch (err) {
          // A token revoked or expired early: one new token, then the answer stands.
          if (!(err instanceof CallsignError) || err.details.status !== 401) throw err;
          return odataGet(url, { token: await auth.token({ renew: true, signal }) }, options);
        }
      },
      {
        attempts: this.#options.attempts ?? 4,
        baseMs: backoffMs,
        ...(signal === undefined ? {} : { signal }),
      },
    );
  }

  async close(): Promise<void> {
    // Nothing is kept open between reads.
  }
}
