/**
 * Validation of `type: servicenow` sources: catalog tasks assigned to Callsign's group, read
 * through the ServiceNow Table API. See src/connectors/servicenow/README.md.
 */
import type { MapView } from './config-reader.ts';
import { anchorSecretRef, secretRefKind } from './secrets.ts';

/** What a catalog item asks for; `agent` is a joiner whose rules grant an agent login. */
export const REQUEST_KINDS = ['joiner', 'mover', 'leaver', 'agent'] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

/** Tickets from ServiceNow: the requested person, what the requested item asks for. */
export interface ServiceNowSourceConfig {
  name: string;
  type: 'servicenow';
  /** https://instance.service-now.com (no path, no credentials). */
  url: string;
  /** Basic auth (user and a secret reference) or an OAuth bearer token (a secret reference). */
  auth: { user: string; password: string } | { token: string };
  /** The task table, `sc_task` by default. */
  table: string;
  /** sys_id of the assignment group whose tasks Callsign takes. */
  assignmentGroup: string;
  /** Extra encoded query ANDed to the poll (`priority=1`). */
  pollQuery?: string;
  /** Catalog item name (display value of `cat_item`) → what it asks for. */
  itemMap: Record<string, RequestKind>;
  /**
   * Callsign attribute → requested item field (`variables.site`, `location`). `person` is the
   * reference to sys_user (usually `requested_for`); it is looked up, not copied.
   */
  fields: Record<string, string>;
  /** Callsign attribute → sys_user field; default mail, employeeId and displayName. */
  userFields: Record<string, string>;
  /** Records per page; default 100. */
  pageSize: number;
  timeoutMs: number;
  /** Every attribute the source fills (for rule checking): userFields, fields, `request`. */
  attributes: Record<string, string>;
}

export const SERVICENOW_KEYS = [
  'name',
  'type',
  'url',
  'auth',
  'table',
  'assignmentGroup',
  'pollQuery',
  'itemMap',
  'fields',
  'userFields',
  'pageSize',
  'timeoutMs',
] as const;

const DEFAULT_USER_FIELDS = { mail: 'email', employeeId: 'employee_number', displayName: 'name' };
const SYS_ID = /^[0-9a-f]{32}$/;

/** Reads one servicenow source; `name` has been checked for uniqueness by the caller. */
export function readServiceNow(
  view: MapView,
  options: { name: string | undefined; baseDir: string },
): ServiceNowSourceConfig {
  const url = view.str('url', { required: true }) ?? '';
  if (url !== '' && !/^https?:\/\/[^/@]+\/?$/.test(url)) {
    view.problem('url', 'must be https://instance.service-now.com (no path, no credentials)');
  }
  const group = view.str('assignmentGroup', { required: true }) ?? '';
  if (group !== '' && !SYS_ID.test(group)) {
    view.problem('assignmentGroup', 'must be the group sys_id (32 hex digits), not its name');
  }

  const itemMap: Record<string, RequestKind> = {};
  for (const [item, kind] of Object.entries(plainMap(view, 'itemMap', true))) {
    if ((REQUEST_KINDS as readonly string[]).includes(kind)) itemMap[item] = kind as RequestKind;
    else view.problem('itemMap', `${item}: must be ${REQUEST_KINDS.join(', ')}, not ${kind}`);
  }
  const fields = plainMap(view, 'fields', true);
  if (view.has('fields') && fields.person === undefined) {
    view.problem('fields', 'must map person to the reference to sys_user (requested_for)');
  }
  const userFields = view.has('userFields')
    ? plainMap(view, 'userFields', true)
    : { ...DEFAULT_USER_FIELDS };

  const attributes: Record<string, string> = { ...userFields, request: 'cat_item' };
  for (const [attr, field] of Object.entries(fields))
    if (attr !== 'person') attributes[attr] = field;
  const source: ServiceNowSourceConfig = {
    name: options.name ?? '',
    type: 'servicenow',
    url: url.replace(/\/$/, ''),
    auth: readAuth(view, options.baseDir),
    table: view.str('table') ?? 'sc_task',
    assignmentGroup: group,
    itemMap,
    fields,
    userFields,
    pageSize: view.num('pageSize', { default: 100, min: 1, max: 10000, integer: true }),
    timeoutMs: view.num('timeoutMs', { default: 30000, min: 1, integer: true }),
    attributes,
  };
  const pollQuery = view.str('pollQuery');
  if (pollQuery !== undefined) source.pollQuery = pollQuery;
  return source;
}

function readAuth(view: MapView, baseDir: string): ServiceNowSourceConfig['auth'] {
  const auth = view.map('auth', ['user', 'password', 'token'], true);
  if (auth === undefined) return { token: '' };
  const secret = (key: string) => {
    const value = auth.str(key, { required: true });
    if (value === undefined) return '';
    if (secretRefKind(value) === undefined) {
      // Never repeat the value: it is most likely the secret itself.
      auth.problem(
        key,
        'inline secrets are not allowed; use env:NAME or file:PATH (value not shown)',
      );
      return '';
    }
    return anchorSecretRef(value, baseDir);
  };
  if (auth.has('token')) {
    if (auth.has('user') || auth.has('password')) {
      auth.problem('token', 'give either token or user and password, not both');
    }
    return { token: secret('token') };
  }
  const user = auth.str('user', { required: true }) ?? '';
  return { user, password: secret('password') };
}

function plainMap(view: MapView, key: string, required: boolean): Record<string, string> {
  const map = view.map(key, undefined, required);
  const out: Record<string, string> = {};
  for (const name of map?.entries.keys() ?? []) {
    const value = map?.str(name, { required: true });
    if (value !== undefined) out[name] = value;
  }
  if (required && map !== undefined && Object.keys(out).length === 0) {
    view.problem(key, 'must not be empty');
  }
  return out;
}
