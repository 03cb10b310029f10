/**
 * Validation of sources (LDAP directories) and targets (Kamailio, null). Passwords must be
 * secret references; a value that is not is reported without being repeated.
 */
import { isAbsolute, resolve } from 'node:path';
import { isMap, isScalar, isSeq } from 'yaml';
import type { ConfigReader, MapView } from './config-reader.ts';
import type {
  ContactCenterTargetConfig,
  CucmTargetConfig,
  CucTargetConfig,
  LdapSourceConfig,
  ScimSourceConfig,
  SourceConfig,
  TargetConfig,
  WebexTargetConfig,
} from './config-types.ts';
import { HR_FILE_KEYS, readHrFile } from './config-hr.ts';
import { HR_API_KEYS, readHrApi } from './config-hr-api.ts';
import { HR_HTTPS_KEYS, HR_PUSH_KEYS, readHrHttps, readHrPush } from './config-hr-https.ts';
import { readServiceNow, SERVICENOW_KEYS } from './config-servicenow.ts';
import type { NumberKind } from './model.ts';
import { anchorSecretRef, secretRefKind } from './secrets.ts';

export interface SystemsContext {
  reader: ConfigReader;
  top: MapView;
  baseDir: string;
  /** Names already taken by sources and targets, with their lines. */
  names: Map<string, number>;
}

const LDAP_KEYS = [
  'name',
  'type',
  'url',
  'bindDn',
  'password',
  'baseDn',
  'filter',
  'pageSize',
  'parallelReads',
  'partitionAttribute',
  'idAttribute',
  'attributes',
  'disabled',
  'writeBack',
  'tlsCa',
  'startTls',
  'timeoutMs',
  'delta',
  'fullEverySeconds',
  'groups',
  'missingGraceSeconds',
] as const;
const SCIM_KEYS = ['name', 'type', 'attributes'] as const;
const DELTA_MODES = ['auto', 'none', 'dirsync', 'usn', 'content-sync', 'timestamp'] as const;
/** UCCX and UCCE targets take the same keys. */
const CONTACT_CENTER_KEYS = [
  'name',
  'type',
  'url',
  'username',
  'password',
  'tlsCa',
  'timeoutMs',
  'concurrency',
  'ratePerSecond',
] as const;
const TARGET_KEYS: Record<string, readonly string[]> = {
  kamailio: [
    'name',
    'type',
    'database',
    'domain',
    'rpcUrl',
    'sipPort',
    'concurrency',
    'ratePerSecond',
  ],
  null: ['name', 'type', 'concurrency', 'ratePerSecond'],
  cucm: [
    'name',
    'type',
    'url',
    'version',
    'username',
    'password',
    'tlsCa',
    'schema',
    'timeoutMs',
    'concurrency',
    'ratePerSecond',
    'forwardCallingSearchSpace',
  ],
  uccx: CONTACT_CENTER_KEYS,
  ucce: CONTACT_CENTER_KEYS,
  cuc: [
    'name',
    'type',
    'url',
    'username',
    'password',
    'tlsCa',
    'templateAlias',
    'timeoutMs',
    'concurrency',
    'ratePerSecond',
  ],
  webex: [
    'name',
    'type',
    'url',
    'token',
    'orgId',
    'locationId',
    'licenses',
    'tlsCa',
    'timeoutMs',
    'concurrency',
    'ratePerSecond',
  ],
};
/** AXL schema versions Unified CM serves (there was no 13). */
const AXL_VERSIONS = ['11.0', '11.5', '12.0', '12.5', '14.0', '15.0'] as const;

type HrRead = { name: string | undefined; baseDir: string; correlation: string[] };

/** HR source types: the keys each accepts and its reader (one way of reading for all). */
const HR_READERS: Record<
  string,
  { keys: readonly string[]; read: (view: MapView, o: HrRead) => SourceConfig }
> = {
  'hr-file': { keys: HR_FILE_KEYS, read: readHrFile },
  'hr-https': { keys: HR_HTTPS_KEYS, read: readHrHttps },
  'hr-push': { keys: HR_PUSH_KEYS, read: readHrPush },
  workday: { keys: HR_API_KEYS.workday, read: (view, o) => readHrApi(view, 'workday', o) },
  successfactors: {
    keys: HR_API_KEYS.successfactors,
    read: (view, o) => readHrApi(view, 'successfactors', o),
  },
};

/** Reads the `sources` list. */
export function readSources(ctx: SystemsContext): SourceConfig[] {
  const items = ctx.reader.list(ctx.top.value('sources'), 'sources', ctx.top.keyLine('sources'));
  if (items.length === 0) ctx.top.problem('sources', 'at least one source is required');
  const out: SourceConfig[] = [];
  for (const item of items) {
    const type = peekType(item.node);
    if (type === 'scim') {
      const view = ctx.reader.map(item.node, item.path, item.line, SCIM_KEYS);
      if (view !== undefined) out.push(readScim(ctx, view));
      continue;
    }
    const hr =
      typeof type === 'string' && Object.hasOwn(HR_READERS, type) ? HR_READERS[type] : undefined;
    if (hr !== undefined) {
      const view = ctx.reader.map(item.node, item.path, item.line, hr.keys);
      if (view === undefined) continue;
      const correlation = plainStrings(ctx.top.value('correlation'));
      const name = uniqueName(ctx, view);
      out.push(hr.read(view, { name, baseDir: ctx.baseDir, correlation }));
      continue;
    }
    if (type === 'servicenow') {
      const view = ctx.reader.map(item.node, item.path, item.line, SERVICENOW_KEYS);
      if (view === undefined) continue;
      const name = uniqueName(ctx, view);
      out.push(readServiceNow(view, { name, baseDir: ctx.baseDir }));
      continue;
    }
    if (type !== 'ldap') {
      const kinds = 'ldap, scim, hr-file, hr-https, hr-push, workday, successfactors or servicenow';
      const msg = `must be ${kinds}, not ${JSON.stringify(type)}`;
      ctx.reader.add(item.line, `${item.path}.type`, msg);
      continue;
    }
    const view = ctx.reader.map(item.node, item.path, item.line, LDAP_KEYS);
    if (view !== undefined) out.push(readLdap(ctx, view));
  }
  return out;
}

/** Reads the `targets` list. */
export function readTargets(ctx: SystemsContext): TargetConfig[] {
  const items = ctx.reader.list(ctx.top.value('targets'), 'targets', ctx.top.keyLine('targets'));
  if (items.length === 0) ctx.top.problem('targets', 'at least one target is required');
  const out: TargetConfig[] = [];
  for (const item of items) {
    const type = peekType(item.node);
    const keys = typeof type === 'string' ? TARGET_KEYS[type] : undefined;
    if (keys === undefined) {
      const msg = `must be ${Object.keys(TARGET_KEYS).join(', ')}, not ${JSON.stringify(type)}`;
      ctx.reader.add(item.line, `${item.path}.type`, msg);
      continue;
    }
    const view = ctx.reader.map(item.node, item.path, item.line, keys);
    if (view === undefined) continue;
    const name = uniqueName(ctx, view);
    const concurrency = view.num('concurrency', { default: 4, min: 1, integer: true });
    const rate = view.has('ratePerSecond')
      ? view.num('ratePerSecond', { default: 1, min: 0.001 })
      : undefined;
    const pace = rate === undefined ? { concurrency } : { concurrency, ratePerSecond: rate };
    if (type === 'null') {
      if (name !== undefined) out.push({ name, type: 'null', ...pace });
      continue;
    }
    if (type === 'uccx' || type === 'ucce') {
      const cc = readContactCenter(ctx, view, type);
      if (name !== undefined && cc !== undefined) out.push({ name, ...cc, ...pace });
      continue;
    }
    if (type === 'cuc') {
      const cuc = readCuc(ctx, view);
      if (name !== undefined && cuc !== undefined) out.push({ name, ...cuc, ...pace });
      continue;
    }
    if (type === 'webex') {
      const webex = readWebex(ctx, view);
      if (name !== undefined && webex !== undefined) out.push({ name, ...webex, ...pace });
      continue;
    }
    if (type === 'cucm') {
      const cucm = readCucm(ctx, view);
      if (name !== undefined && cucm !== undefined) out.push({ name, ...cucm, ...pace });
      continue;
    }

    const database = view.str('database', { required: true });
    const domain = view.str('domain', { required: true });
    const rpcUrl = view.str('rpcUrl');
    if (rpcUrl !== undefined && !/^https?:\/\/[^/]+/.test(rpcUrl)) {
      view.problem('rpcUrl', 'must be an http:// or https:// URL');
    }
    if (name === undefined) continue;
    const db = database ?? '';
    const path = isAbsolute(db) ? db : resolve(ctx.baseDir, db);
    const rpc = rpcUrl === undefined ? {} : { rpcUrl };
    const port = view.has('sipPort')
      ? { sipPort: view.num('sipPort', { default: 5060, min: 1, max: 65535, integer: true }) }
      : {};
    const kamailio = { name, type: 'kamailio' as const, database: path, domain: domain ?? '' };
    out.push({ ...kamailio, ...pace, ...rpc, ...port });
  }
  return out;
}

/** A Unified CM publisher's AXL endpoint; `version` decides SOAPAction and namespace. */
function readCucm(
  ctx: SystemsContext,
  view: MapView,
): Omit<CucmTargetConfig, 'name' | 'concurrency' | 'ratePerSecond'> | undefined {
  const url = view.str('url', { required: true });
  if (url !== undefined && !/^https?:\/\/[^/@]+\/.*$/.test(url)) {
    view.problem('url', 'must be https://host:8443/axl/ (no credentials in the URL)');
  }
  // A YAML number such as 14.0 arrives as its source text.
  const version = view.str('version') ?? '14.0';
  if (!(AXL_VERSIONS as readonly string[]).includes(version)) {
    view.problem('version', `must be one of ${AXL_VERSIONS.join(', ')}, not ${version}`);
  }
  const username = view.str('username', { required: true });
  const password = readSecret(view, 'password', ctx.baseDir);
  const tlsCa = view.str('tlsCa');
  const schema = view.str('schema');
  const timeoutMs = view.num('timeoutMs', { default: 30000, min: 1, integer: true });
  const css = view.str('forwardCallingSearchSpace');
  if (url === undefined || username === undefined || password === undefined) return undefined;
  const ca =
    tlsCa === undefined
      ? {}
      : {
          tlsCa: isAbsolute(tlsCa) ? tlsCa : resolve(ctx.baseDir, tlsCa),
        };
  const xsd =
    schema === undefined
      ? {}
      : { schema: isAbsolute(schema) ? schema : resolve(ctx.baseDir, schema) };
  const forward = css === undefined ? {} : { forwardCallingSearchSpace: css };
  return { type: 'cucm', url, version, username, password, timeoutMs, ...ca, ...xsd, ...forward };
}

/** Webex People API: bearer token reference, calling location and licences for new people. */
function readWebex(
  ctx: SystemsContext,
  view: MapView,
): Omit<WebexTargetConfig, 'name' | 'concurrency' | 'ratePerSecond'> | undefined {
  const url = view.str('url') ?? 'https://webexapis.com';
  if (!/^https?:\/\/[^/@]+\/?$/.test(url)) {
    view.problem('url', 'must be an API base like https://webexapis.com (no path or credentials)');
  }
  const token = readSecret(view, 'token', ctx.baseDir);
  const locationId = view.str('locationId', { required: true });
  const licenses = view.strings('licenses');
  if (licenses.length === 0) view.problem('licenses', 'list the licence ids (a Webex Calling one)');
  const orgId = view.str('orgId');
  const tlsCa = view.str('tlsCa');
  const timeoutMs = view.num('timeoutMs', { default: 30000, min: 1, integer: true });
  if (token === undefined || locationId === undefined) return undefined;
  const ca =
    tlsCa === undefined ? {} : { tlsCa: isAbsolute(tlsCa) ? tlsCa : resolve(ctx.baseDir, tlsCa) };
  const org = orgId === undefined ? {} : { orgId };
  return { type: 'webex', url, token, locationId, licenses, timeoutMs, ...org, ...ca };
}

/** A UCCX Admin API or UCCE Configuration API endpoint. */
function readContactCenter(
  ctx: SystemsContext,
  view: MapView,
  type: 'uccx' | 'ucce',
): Omit<ContactCenterTargetConfig, 'name' | 'concurrency' | 'ratePerSecond'> | undefined {
  const url = view.str('url', { required: true });
  const example = type === 'uccx' ? 'https://uccx/adminapi' : 'https://aw/unifiedconfig/config';
  if (url !== undefined && !/^https?:\/\/[^/@]+\/.+$/.test(url)) {
    view.problem('url', `must be like ${example} (no credentials in the URL)`);
  }
  const username = view.str('username', { required: true });
  const password = readSecret(view, 'password', ctx.baseDir);
  const tlsCa = view.str('tlsCa');
  const timeoutMs = view.num('timeoutMs', { default: 30000, min: 1, integer: true });
  if (url === undefined || username === undefined || password === undefined) return undefined;
  const ca =
    tlsCa === undefined ? {} : { tlsCa: isAbsolute(tlsCa) ? tlsCa : resolve(ctx.baseDir, tlsCa) };
  return { type, url, username, password, timeoutMs, ...ca };
}

/** A Unity Connection CUPI endpoint and the user template mailboxes are made from. */
function readCuc(
  ctx: SystemsContext,
  view: MapView,
): Omit<CucTargetConfig, 'name' | 'concurrency' | 'ratePerSecond'> | undefined {
  const url = view.str('url', { required: true });
  if (url !== undefined && !/^https?:\/\/[^/@]+\/vmrest\/?$/.test(url)) {
    view.problem('url', 'must be https://host/vmrest (no credentials in the URL)');
  }
  const username = view.str('username', { required: true });
  const password = readSecret(view, 'password', ctx.baseDir);
  const templateAlias = view.str('templateAlias') ?? 'voicemailusertemplate';
  const tlsCa = view.str('tlsCa');
  const timeoutMs = view.num('timeoutMs', { default: 30000, min: 1, integer: true });
  if (url === undefined || username === undefined || password === undefined) return undefined;
  const ca =
    tlsCa === undefined ? {} : { tlsCa: isAbsolute(tlsCa) ? tlsCa : resolve(ctx.baseDir, tlsCa) };
  return { type: 'cuc', url, username, password, templateAlias, timeoutMs, ...ca };
}

function readLdap(ctx: SystemsContext, view: MapView): LdapSourceConfig {
  const name = uniqueName(ctx, view);
  const url = view.str('url', { required: true });
  if (url !== undefined && !/^ldaps?:\/\/[^/]+/.test(url)) {
    view.problem('url', 'must be ldap://host:port or ldaps://host:port');
  }
  if (url !== undefined && /^ldaps?:\/\/[^/@]*@/.test(url)) {
    // The value is not repeated: the part before @ may hold a password.
    view.problem('url', 'must not carry credentials; give bindDn and password instead');
  }
  const bindDn = view.str('bindDn', { required: true });
  const password = readSecret(view, 'password', ctx.baseDir);
  const baseDn = view.str('baseDn', { required: true });
  const filter = view.str('filter') ?? '(objectClass=inetOrgPerson)';
  if (!/^\(.*\)$/s.test(filter)) view.problem('filter', 'must be an LDAP filter in parentheses');
  const attributes = stringMap(view, 'attributes', true);
  const writeBack = readWriteBack(view);
  const disabled = readDisabled(view);
  const tlsCa = view.str('tlsCa');

  const source: LdapSourceConfig = {
    name: name ?? '',
    type: 'ldap',
    url: url ?? '',
    bindDn: bindDn ?? '',
    password: password ?? '',
    baseDn: baseDn ?? '',
    filter,
    pageSize: view.num('pageSize', { default: 500, min: 1, max: 100000, integer: true }),
    idAttribute: view.str('idAttribute') ?? 'entryUUID',
    attributes,
    writeBack,
    timeoutMs: view.num('timeoutMs', { default: 10000, min: 1, integer: true }),
    delta: readDelta(view),
    fullEverySeconds: view.num('fullEverySeconds', { default: 3600, min: 1, integer: true }),
  };
  if (disabled !== undefined) source.disabled = disabled;
  readPartitioning(view, source);
  const groups = readGroups(view);
  if (groups !== undefined) source.groups = groups;
  source.missingGraceSeconds = view.num('missingGraceSeconds', {
    default: 86400,
    min: 0,
    integer: true,
  });
  if (tlsCa !== undefined) source.tlsCa = isAbsolute(tlsCa) ? tlsCa : resolve(ctx.baseDir, tlsCa);
  if (view.has('startTls')) source.startTls = view.bool('startTls', false);
  if (source.startTls === true && source.url.startsWith('ldaps:')) {
    view.problem('startTls', 'StartTLS and ldaps:// exclude each other');
  }
  // Kept even when incomplete (the file is refused anyway) so that rules checked against its
  // attributes do not report a cascade of follow-on errors.
  return source;
}

/** `parallelReads` and the attribute that splits the read (see connectors/ldap/partitions.ts). */
function readPartitioning(view: MapView, source: LdapSourceConfig): void {
  if (view.has('parallelReads')) {
    source.parallelReads = view.num('parallelReads', {
      default: 1,
      min: 1,
      max: 36,
      integer: true,
    });
  }
  const attribute = view.str('partitionAttribute');
  if (attribute === undefined) return;
  if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(attribute)) {
    view.problem('partitionAttribute', 'must be an attribute name');
  } else if (/^(entryuuid|objectguid|objectsid|usnchanged)$/i.test(attribute)) {
    view.problem('partitionAttribute', 'needs an attribute with substring matching (cn, uid)');
  }
  source.partitionAttribute = attribute;
}

/** A SCIM source: people come from the SCIM service's own tables, mapped by `attributes`. */
function readScim(ctx: SystemsContext, view: MapView): ScimSourceConfig {
  const name = uniqueName(ctx, view);
  const attributes = view.has('attributes') ? stringMap(view, 'attributes', true) : {};
  return { name: name ?? '', type: 'scim', attributes };
}

function readGroups(view: MapView): LdapSourceConfig['groups'] {
  const map = view.map('groups', ['attribute', 'memberOf', 'nested', 'baseDn', 'filter']);
  if (map === undefined) return undefined;
  const groups: NonNullable<LdapSourceConfig['groups']> = {
    attribute: map.str('attribute') ?? 'groups',
    memberOf: map.bool('memberOf', false),
    nested: map.bool('nested', false),
  };
  const baseDn = map.str('baseDn');
  const filter = map.str('filter');
  if (baseDn !== undefined) groups.baseDn = baseDn;
  if (filter !== undefined) {
    if (!/^\(.*\)$/s.test(filter)) map.problem('filter', 'must be an LDAP filter in parentheses');
    groups.filter = filter;
  }
  return groups;
}

function readDelta(view: MapView): LdapSourceConfig['delta'] {
  const mode = view.str('delta') ?? 'auto';
  if ((DELTA_MODES as readonly string[]).includes(mode)) return mode as LdapSourceConfig['delta'];
  view.problem('delta', `must be one of ${DELTA_MODES.join(', ')}, not ${JSON.stringify(mode)}`);
  return 'none';
}

function readSecret(view: MapView, key: string, baseDir: string): string | undefined {
  if (!view.has(key)) {
    view.problem(key, 'is required (env:NAME or file:PATH)');
    return undefined;
  }
  const value = view.str(key);
  if (value === undefined) return undefined;
  if (secretRefKind(value) === undefined) {
    // Never repeat the value: it is most likely the password itself.
    const msg = 'inline secrets are not allowed; use env:NAME or file:PATH (value not shown)';
    view.problem(key, msg);
    return undefined;
  }
  return anchorSecretRef(value, baseDir);
}

function readWriteBack(view: MapView): Record<string, NumberKind> {
  const out: Record<string, NumberKind> = {};
  for (const [attr, kind] of Object.entries(stringMap(view, 'writeBack', false))) {
    if (kind === 'did' || kind === 'extension') out[attr] = kind;
    else {
      const msg = `${attr}: must be did or extension, not ${JSON.stringify(kind)}`;
      view.problem('writeBack', msg);
    }
  }
  return out;
}

function readDisabled(view: MapView): LdapSourceConfig['disabled'] {
  const map = view.map('disabled', ['attribute', 'values', 'userAccountControl']);
  if (map === undefined) return undefined;
  if (map.has('userAccountControl')) {
    if (map.has('attribute')) {
      map.problem('attribute', 'give attribute or userAccountControl, not both');
    }
    return map.bool('userAccountControl', true) ? { userAccountControl: true } : undefined;
  }
  const attribute = map.str('attribute', { required: true });
  const values = map.strings('values');
  if (values.length === 0) map.problem('values', 'list the values that mean disabled');
  return attribute === undefined ? undefined : { attribute, values };
}

function stringMap(view: MapView, key: string, required: boolean): Record<string, string> {
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

function uniqueName(ctx: SystemsContext, view: MapView): string | undefined {
  const name = view.str('name', { required: true });
  if (name === undefined) return undefined;
  const first = ctx.names.get(name);
  if (name === 'inventory') view.problem('name', 'inventory is reserved for number operations');
  else if (first !== undefined) {
    view.problem('name', `duplicate name ${name} (line ${first}); sources and targets share names`);
  } else ctx.names.set(name, view.keyLine('name'));
  return name;
}

function peekType(node: unknown): unknown {
  if (!isMap(node)) return undefined;
  const type = node.get('type');
  return type;
}

/** A list of plain strings, read without reporting (the top level reports its own problems). */
function plainStrings(node: unknown): string[] {
  const items = isSeq(node) ? node.items : [node];
  return items.flatMap((i) => (isScalar(i) && typeof i.value === 'string' ? [i.value] : []));
}
