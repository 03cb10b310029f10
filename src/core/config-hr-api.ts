/**
 * Validation of `type: workday` and `type: successfactors` sources (HR systems read over their
 * APIs). Their rows use the HR export's checks with fixed names (src/connectors/hr/hr-api.ts),
 * so only the connection, the person key, aliases, worker types and statuses are configured.
 */
import type { MapView } from './config-reader.ts';
import { HR_TIMING_KEYS, readHrTiming, type HrTiming } from './config-hr-timing.ts';
import { checkStatusOverlap, strings, WORKER_TYPES } from './config-hr.ts';
import { anchorSecretRef, secretRefKind } from './secrets.ts';

/**
 * Callsign attribute → the key the Workday and SuccessFactors readers fill in each row (the
 * same names on purpose); src/connectors/hr/hr-api.ts maps them with the export's rules.
 */
export const API_COLUMNS = {
  workerId: 'workerId',
  mail: 'mail',
  givenName: 'givenName',
  sn: 'sn',
  displayName: 'displayName',
  title: 'title',
  department: 'department',
  company: 'company',
  location: 'location',
} as const;

/** Every attribute an API source fills → the row key it comes from. */
export const API_ATTRIBUTES: Readonly<Record<string, string>> = {
  ...API_COLUMNS,
  hireDate: 'hireDate',
  startDate: 'hireDate',
  endDate: 'terminationDate',
  hrStatus: 'status',
  onLeave: 'status',
  workerType: 'workerType',
  country: 'country',
  phone: 'phone',
  managerId: 'managerId',
};

/** What the Workday and SuccessFactors sources share (src/connectors/hr/hr-api.ts). */
export interface HrApiSourceConfig extends HrTiming {
  name: string;
  /**
   * Workday: `https://HOST/ccx/service/TENANT/Human_Resources/VERSION`;
   * SuccessFactors: `https://HOST/odata/v2`.
   */
  url: string;
  /** Workers per page; default 100. */
  pageSize: number;
  /** One request's limit; default 30 000. */
  timeoutMs: number;
  /** Attribute naming the person across worker-id changes (`mail`); must be in correlation. */
  personKey?: string;
  /** Country aliases such as `UK: GB`. */
  countryAliases: Record<string, string>;
  /** Worker type as the reader gives it → Callsign's worker type. */
  workerTypes: Record<string, 'employee' | 'contractor' | 'intern'>;
  provisionDaysBeforeStart: number;
  /** Every attribute the source fills → where from (for rule and correlation checks). */
  attributes: Record<string, string>;
}

/** Workday Human Resources web service, Get_Workers (src/connectors/workday/README.md). */
export interface WorkdaySourceConfig extends HrApiSourceConfig {
  type: 'workday';
  username: string;
  password: string;
  /** Web service version (`v42.0`); from the URL's last segment when absent. */
  version: string;
}

/** SAP SuccessFactors OData v2, PerPerson (src/connectors/successfactors/README.md). */
export interface SuccessFactorsSourceConfig extends HrApiSourceConfig {
  type: 'successfactors';
  /**
   * Basic auth (`user@companyId` and a secret reference), a bearer token (a reference), or
   * OAuth 2.0 with a SAML bearer assertion signed by a private key (a reference).
   */
  auth: { user: string; password: string } | { token: string } | { oauth: SfOAuthConfig };
  /** emplStatus external codes by meaning; defaults A / U, P, S / T, R, D. */
  statuses: { active: string[]; leave: string[]; terminated: string[] };
}

/** OAuth 2.0 SAML bearer (src/connectors/successfactors/README.md). */
export interface SfOAuthConfig {
  /** The API key of the OAuth client registered in SuccessFactors. */
  clientId: string;
  companyId: string;
  /** The SuccessFactors user the token acts as (its userId, not its user name). */
  userId: string;
  /** `file:` or `env:` reference to the PEM private key of the registered certificate. */
  privateKey: string;
  /** Default: the OData URL's origin + `/oauth/token`. */
  tokenUrl: string;
}

export const HR_API_KEYS = {
  workday: [
    'name',
    'type',
    'url',
    'username',
    'password',
    'version',
    'pageSize',
    'timeoutMs',
    'personKey',
    'countryAliases',
    'workerTypes',
    'provisionDaysBeforeStart',
    ...HR_TIMING_KEYS,
  ],
  successfactors: [
    'name',
    'type',
    'url',
    'auth',
    'statuses',
    'pageSize',
    'timeoutMs',
    'personKey',
    'countryAliases',
    'workerTypes',
    'provisionDaysBeforeStart',
    ...HR_TIMING_KEYS,
  ],
} as const;

/** Reads one `type: workday` or `type: successfactors` source. */
export function readHrApi(
  view: MapView,
  type: 'workday' | 'successfactors',
  options: { name: string | undefined; baseDir: string; correlation: string[] },
): WorkdaySourceConfig | SuccessFactorsSourceConfig {
  const url = view.str('url', { required: true }) ?? '';
  const common: HrApiSourceConfig = {
    name: options.name ?? '',
    url,
    pageSize: view.num('pageSize', { default: 100, min: 1, max: 999, integer: true }),
    timeoutMs: view.num('timeoutMs', { default: 30_000, min: 100, integer: true }),
    countryAliases: strings(view, 'countryAliases'),
    workerTypes: {},
    provisionDaysBeforeStart: view.num('provisionDaysBeforeStart', {
      default: 0,
      min: 0,
      max: 365,
      integer: true,
    }),
    attributes: { ...API_ATTRIBUTES },
    ...readHrTiming(view),
  };
  for (const [alias, iso] of Object.entries(common.countryAliases)) {
    if (!/^[A-Z]{2}$/.test(iso))
      view.problem('countryAliases', `${alias}: ${iso} is not ISO alpha-2`);
  }
  const defaults: Record<string, (typeof WORKER_TYPES)[number]> =
    type === 'workday' ? { Employee: 'employee', Contingent_Worker: 'contractor' } : {};
  const types = view.has('workerTypes') ? strings(view, 'workerTypes') : defaults;
  for (const [value, kind] of Object.entries(types)) {
    if ((WORKER_TYPES as readonly string[]).includes(kind)) {
      common.workerTypes[value] = kind as (typeof WORKER_TYPES)[number];
    } else view.problem('workerTypes', `${value}: must be ${WORKER_TYPES.join(', ')}`);
  }
  const personKey = view.str('personKey');
  if (personKey !== undefined) {
    if (!(personKey in API_COLUMNS)) {
      view.problem('personKey', `must be one of ${Object.keys(API_COLUMNS).join(', ')}`);
    } else if (!options.correlation.includes(personKey)) {
      view.problem('personKey', `attribute ${personKey} is not in correlation`);
    }
    common.personKey = personKey;
  }
  const secret = (holder: MapView, key: string): string => {
    const ref = holder.str(key, { required: true }) ?? '';
    if (ref !== '' && secretRefKind(ref) === undefined) {
      holder.problem(key, 'inline secrets are not allowed; use env:NAME or file:PATH');
    }
    return ref === '' ? '' : anchorSecretRef(ref, options.baseDir);
  };

  if (type === 'workday') {
    if (url !== '' && !/^https?:\/\/[^/]+\/ccx\/service\/[^/]+\/Human_Resources(\/|$)/.test(url)) {
      view.problem('url', 'must be https://HOST/ccx/service/TENANT/Human_Resources/VERSION');
    }
    const version = view.str('version') ?? /\/(v\d+(?:\.\d+)?)\/?$/.exec(url)?.[1] ?? 'v42.0';
    if (!/^v\d+(\.\d+)?$/.test(version))
      view.problem('version', `must look like v42.0, not ${version}`);
    const username = view.str('username', { required: true }) ?? '';
    return { ...common, type, username, password: secret(view, 'password'), version };
  }

  if (url !== '' && !/^https?:\/\/[^/]+(\/.*)?\/odata\/v2\/?$/.test(url)) {
    view.problem('url', 'must be https://HOST/odata/v2');
  }
  let auth: SuccessFactorsSourceConfig['auth'] = { token: '' };
  const a = view.map('auth', ['user', 'password', 'token', 'oauth']);
  if (a === undefined) {
    view.problem('auth', 'is required: { user, password }, { token } or { oauth }');
  } else if (a.has('oauth')) {
    if (['user', 'password', 'token'].some((k) => a.has(k))) {
      a.problem('oauth', 'give oauth alone, not with user, password or token');
    }
    auth = { oauth: readOAuth(a, url, secret) };
  } else if (a.has('token')) {
    if (a.has('user') || a.has('password')) a.problem('token', 'give a token or a user, not both');
    auth = { token: secret(a, 'token') };
  } else {
    auth = { user: a.str('user', { required: true }) ?? '', password: secret(a, 'password') };
  }
  const s = view.map('statuses', ['active', 'leave', 'terminated']);
  const statuses = {
    active: s?.has('active') ? s.strings('active') : ['A'],
    leave: s?.has('leave') ? s.strings('leave') : ['U', 'P', 'S'],
    terminated: s?.has('terminated') ? s.strings('terminated') : ['T', 'R', 'D'],
  };
  if (statuses.active.length === 0) s?.problem('active', 'list the active values');
  if (s !== undefined) checkStatusOverlap(s, statuses);
  return { ...common, type, auth, statuses };
}

/** The secret reference of an auth block: the token, the OAuth private key, or the password. */
export function secretRefOf(auth: SuccessFactorsSourceConfig['auth']): string {
  if ('oauth' in auth) return auth.oauth.privateKey;
  return 'token' in auth ? auth.token : auth.password;
}

function readOAuth(
  a: MapView,
  url: string,
  secret: (holder: MapView, key: string) => string,
): SfOAuthConfig {
  const keys = ['clientId', 'companyId', 'userId', 'privateKey', 'tokenUrl'];
  const o = a.map('oauth', keys, true);
  const fallback = /^https?:\/\/[^/]+/.exec(url)?.[0];
  const read = (key: string) => o?.str(key, { required: true }) ?? '';
  const config: SfOAuthConfig = {
    clientId: read('clientId'),
    companyId: read('companyId'),
    userId: read('userId'),
    privateKey: o === undefined ? '' : secret(o, 'privateKey'),
    tokenUrl: o?.str('tokenUrl') ?? (fallback === undefined ? '' : `${fallback}/oauth/token`),
  };
  if (o !== undefined && !/^https?:\/\/[^/]+\/\S*$/.test(config.tokenUrl)) {
    o.problem('tokenUrl', 'must be https://HOST/oauth/token');
  }
  return config;
}
