/**
 * SAP SuccessFactors OData v2 on 127.0.0.1:0, the part Callsign reads: `/odata/v2/PerPerson`
 * as JSON (`d.results`, `__count` with `$inlinecount=allpages`, `__metadata`), navigation
 * properties expanded only when `$expand` names them (else `__deferred`), effective-dated
 * records as of today unless `fromDate` asks from a date on, `$top`/`$skip` (at most 1000) or
 * server-driven paging with `__next` and `$skiptoken`, `$filter` on `lastModifiedDateTime`,
 * `/Date(ms)/` literals, basic or bearer auth (401 otherwise), OData error bodies, and on
 * demand throttling (429 or 503 with Retry-After) and a failing page (500). With `oauth`,
 * `/oauth/token` grants SAML bearer tokens (sf-oauth-emulator.ts) and OData wants one of them.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { EmuOAuth, type EmuOAuthOptions } from './sf-oauth-emulator.ts';

/** Dates are ISO `YYYY-MM-DD`; `raw` values are sent as they are (to send broken literals). */
export interface EmuPerson {
  personIdExternal: string;
  /** ISO instant of the last change of PerPerson. */
  lastModified?: string;
  personal: { startDate: string; endDate?: string; firstName?: string; lastName?: string }[];
  emails?: { address: string; primary?: boolean }[];
  phones?: { countryCode?: string; areaCode?: string; number: string; primary?: boolean }[];
  employments: {
    startDate: string | { raw: string };
    endDate?: string;
    userId: string;
    jobs: EmuJob[];
  }[];
}

export interface EmuJob {
  startDate: string;
  endDate?: string;
  company?: string;
  department?: string;
  location?: string;
  jobTitle?: string;
  employeeClass?: string;
  /** emplStatus picklist external code: A, U, P, T, R… */
  emplStatus: string;
  managerId?: string;
  countryOfCompany?: string;
}

export interface SfEmulator {
  url: string;
  people: EmuPerson[];
  /** Request URLs as received (path and query). */
  requests: string[];
  /** The next `times` requests answer `status` (429 or 503) with Retry-After `seconds`. */
  throttle: (times: number, seconds?: number, status?: 429 | 503) => void;
  /** Called with the offset of each page before it is served (to change data mid-read). */
  onPage?: (skip: number) => void;
  /** Requests for the page starting at `skip` answer 500 the next `times` times. */
  failAt: (skip: number, times?: number) => void;
  /** The token endpoint, when started with `oauth`. */
  oauth?: EmuOAuth;
  /** `/oauth/token` on this server. */
  tokenUrl: string;
  close: () => Promise<void>;
}

const MAX_TOP = 1000;
const OPEN_END = '9999-12-31';

export async function startSfEmulator(options: {
  people: EmuPerson[];
  basic?: { user: string; password: string };
  token?: string;
  /** Today for effective dating (the emulator's clock). */
  today: string;
  /** Server-driven paging: pages of this size with `__next`, whatever `$top` says. */
  serverPageSize?: number;
  /** OAuth 2.0 SAML bearer: OData then takes only tokens granted here. */
  oauth?: EmuOAuthOptions;
}): Promise<SfEmulator> {
  let throttled = 0;
  let throttleSeconds = 0;
  let throttleStatus: 429 | 503 = 429;
  const failing = new Map<number, number>();
  let base = '';
  const oauth = options.oauth === undefined ? undefined : new EmuOAuth(options.oauth);
  const emu: Omit<SfEmulator, 'url' | 'tokenUrl' | 'close'> = {
    ...(oauth === undefined ? {} : { oauth }),
    people: options.people,
    requests: [] as string[],
    throttle: (times: number, seconds = 0, status: 429 | 503 = 429) => {
      throttled = times;
      throttleSeconds = seconds;
      throttleStatus = status;
    },
    failAt: (skip: number, times = 1_000) => failing.set(skip, times),
  };

  const handle = (req: IncomingMessage, res: ServerResponse, body: string) => {
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json;charset=utf-8', ...headers });
      res.end(JSON.stringify(body));
    };
    const error = (status: number, code: string, value: string, headers = {}) =>
      send(status, { error: { code, message: { lang: 'en-US', value } } }, headers);
    emu.requests.push(req.url ?? '');
    if (oauth !== undefined && req.url === '/oauth/token') {
      if (req.method !== 'POST') return send(405, { errorMessage: 'Use POST' });
      const answer = oauth.token(new URLSearchParams(body), `${base}/oauth/token`);
      return send(answer.status, answer.body);
    }
    const allowed =
      oauth === undefined
        ? authorised(req.headers.authorization, options)
        : oauth.valid(req.headers.authorization);
    if (!allowed) {
      return error(
        401,
        'COE_AUTHENTICATION_FAILED',
        'Authentication failed. Check the user, company and password, or the token.',
        {
          'www-authenticate': 'Basic realm="SuccessFactors"',
        },
      );
    }
    if (throttled > 0) {
      throttled -= 1;
      return error(throttleStatus, 'COE_TOO_MANY_REQUESTS', 'Too many requests.', {
        'retry-after': String(throttleSeconds),
      });
    }
    const url = new URL(req.url ?? '/', base);
    if (url.pathname !== '/odata/v2/PerPerson') {
      return error(404, 'COE_RESOURCE_NOT_FOUND', `Entity set ${url.pathname} is not served here.`);
    }
    const q = url.searchParams;
    if (q.get('$format') !== 'json') {
      return error(400, 'COE_BAD_REQUEST', 'Only $format=json is served by this emulator.');
    }
    const top = Number(q.get('$top') ?? MAX_TOP);
    if (!Number.isInteger(top) || top < 1 || top > MAX_TOP) {
      return error(400, 'COE_INVALID_PARAMETER', `$top must be 1..${MAX_TOP}: ${q.get('$top')}`);
    }
    const skip = Number(q.get('$skiptoken') ?? q.get('$skip') ?? 0);
    emu.onPage?.(skip);
    let people = [...emu.people].sort((a, b) =>
      a.personIdExternal.localeCompare(b.personIdExternal),
    );
    const filter = q.get('$filter');
    if (filter !== null) {
      const m = /^lastModifiedDateTime gt datetimeoffset'([^']+)'$/.exec(filter);
      if (m === null || Number.isNaN(Date.parse(m[1]!))) {
        return error(400, 'COE_INVALID_FILTER', `Invalid $filter: ${filter}`);
      }
      const from = Date.parse(m[1]!);
      people = people.filter((p) => Date.parse(p.lastModified ?? '2000-01-01T00:00:00Z') > from);
    }
    const size = options.serverPageSize ?? top;
    const left = failing.get(skip) ?? 0;
    if (left > 0) {
      failing.set(skip, left - 1);
      return error(500, 'COE_GENERAL_SERVER_FAILURE', 'Internal server error.');
    }
    const expand = new Set((q.get('$expand') ?? '').split(',').filter(Boolean));
    const fromDate = q.get('fromDate') ?? undefined;
    const slice = people.slice(skip, skip + size);
    const d: Record<string, unknown> = {
      results: slice.map((p) => personJson(p, expand, { today: options.today, fromDate, base })),
    };
    if (q.get('$inlinecount') === 'allpages') d.__count = String(people.length);
    if (options.serverPageSize !== undefined && skip + size < people.length) {
      const next = new URL(url.toString());
      next.searchParams.delete('$skip');
      next.searchParams.set('$skiptoken', String(skip + size));
      d.__next = next.toString();
    }
    send(200, { d });
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () => new Promise<void>((ok) => server.close(() => ok()));
  return Object.assign(emu, { url: `${base}/odata/v2`, tokenUrl: `${base}/oauth/token`, close });
}

function authorised(
  header: string | undefined,
  options: { basic?: { user: string; password: string }; token?: string },
): boolean {
  if (header === undefined) return false;
  if (options.token !== undefined && header === `Bearer ${options.token}`) return true;
  if (options.basic === undefined || !header.startsWith('Basic ')) return false;
  const [user, ...rest] = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':');
  return user === options.basic.user && rest.join(':') === options.basic.password;
}

/** `/Date(ms)/` of an ISO date; raw values as they are. */
function lit(date: string | { raw: string } | undefined): string | null {
  if (date === undefined) return `/Date(${Date.parse(`${OPEN_END}T00:00:00Z`)})/`;
  if (typeof date === 'object') return date.raw;
  return `/Date(${Date.parse(`${date}T00:00:00Z`)})/`;
}

/** Effective-dated records as SuccessFactors gives them: as of today, or from `fromDate` on. */
function effective<T extends { startDate: string | { raw: string }; endDate?: string }>(
  records: T[],
  c: { today: string; fromDate: string | undefined },
): T[] {
  return records.filter((r) => {
    const start = typeof r.startDate === 'string' ? r.startDate : '0000-01-01';
    const end = r.endDate ?? OPEN_END;
    return c.fromDate === undefined ? start <= c.today && end >= c.today : end >= c.fromDate;
  });
}

function personJson(
  p: EmuPerson,
  expand: Set<string>,
  c: { today: string; fromDate: string | undefined; base: string },
): Record<string, unknown> {
  const uri = `${c.base}/odata/v2/PerPerson('${p.personIdExternal}')`;
  const deferred = (name: string) => ({ __deferred: { uri: `${uri}/${name}` } });
  const many = (name: string, items: () => unknown[]) =>
    expand.has(name) ? { results: items() } : deferred(name);
  return {
    __metadata: { uri, type: 'SFOData.PerPerson' },
    personIdExternal: p.personIdExternal,
    lastModifiedDateTime: `/Date(${Date.parse(p.lastModified ?? '2000-01-01T00:00:00Z')}+0000)/`,
    personalInfoNav: many('personalInfoNav', () =>
      effective(p.personal, c).map((r) => ({
        __metadata: { type: 'SFOData.PerPersonal' },
        personIdExternal: p.personIdExternal,
        startDate: lit(r.startDate),
        endDate: lit(r.endDate),
        firstName: r.firstName ?? null,
        lastName: r.lastName ?? null,
        displayName: [r.firstName, r.lastName].filter(Boolean).join(' ') || null,
      })),
    ),
    emailNav: many('emailNav', () =>
      (p.emails ?? []).map((e) => ({
        __metadata: { type: 'SFOData.PerEmail' },
        emailAddress: e.address,
        isPrimary: e.primary === true,
        emailType: '18242',
      })),
    ),
    phoneNav: many('phoneNav', () =>
      (p.phones ?? []).map((f) => ({
        __metadata: { type: 'SFOData.PerPhone' },
        countryCode: f.countryCode ?? null,
        areaCode: f.areaCode ?? null,
        phoneNumber: f.number,
        extension: null,
        isPrimary: f.primary === true,
        phoneType: '18258',
      })),
    ),
    employmentNav: many('employmentNav', () =>
      p.employments.map((e) => ({
        __metadata: { type: 'SFOData.EmpEmployment' },
        personIdExternal: p.personIdExternal,
        userId: e.userId,
        startDate: lit(e.startDate),
        endDate: e.endDate === undefined ? null : lit(e.endDate),
        jobInfoNav: expand.has('employmentNav/jobInfoNav')
          ? {
              results: effective(e.jobs, c).map((j) => ({
                __metadata: { type: 'SFOData.EmpJob' },
                userId: e.userId,
                startDate: lit(j.startDate),
                endDate: lit(j.endDate),
                company: j.company ?? null,
                department: j.department ?? null,
                location: j.location ?? null,
                jobTitle: j.jobTitle ?? null,
                employeeClass: j.employeeClass ?? null,
                emplStatus: String(1000 + j.emplStatus.charCodeAt(0)),
                managerId: j.managerId ?? 'NO_MANAGER',
                countryOfCompany: j.countryOfCompany ?? null,
                emplStatusNav: expand.has('employmentNav/jobInfoNav/emplStatusNav')
                  ? {
                      __metadata: { type: 'SFOData.PicklistOption' },
                      id: String(1000 + j.emplStatus.charCodeAt(0)),
                      externalCode: j.emplStatus,
                    }
                  : { __deferred: { uri: `${uri}/emplStatusNav` } },
              })),
            }
          : { __deferred: { uri: `${uri}/jobInfoNav` } },
      })),
    ),
  };
}
