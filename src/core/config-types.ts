/**
 * The validated shape of a Callsign configuration file. `loadConfig` (config.ts) turns YAML into
 * this, naming file, line and field in every error. Secrets stay as references (`env:NAME`,
 * `file:/path`) until a connector resolves them with `resolveSecret`.
 */
import type { EmergencyInfo, NumberKind } from './model.ts';
import type { LeaverForwardConfig } from './pool-leaver-config.ts';
import type { NotificationsConfig } from './config-notify.ts';
import type { ServiceNowSourceConfig } from './config-servicenow.ts';
import type { SuccessFactorsSourceConfig, WorkdaySourceConfig } from './config-hr-api.ts';
import type { HrHttpsSourceConfig, HrPushSourceConfig } from './config-hr-https.ts';
import type { HrTiming } from './config-hr-timing.ts';

/** `env:NAME` or `file:/path`. Inline secrets are refused by validation. */
export type SecretRef = string;

export interface LdapSourceConfig {
  name: string;
  type: 'ldap';
  /** `ldap://host:port` or `ldaps://host:port`. */
  url: string;
  bindDn: string;
  password: SecretRef;
  baseDn: string;
  /** LDAP filter selecting people. */
  filter: string;
  pageSize: number;
  /**
   * Connections a full read uses at once, each reading the entries whose `partitionAttribute`
   * starts with its share of characters (1 to 36; default 1, one paged search).
   */
  parallelReads?: number;
  /** Attribute that splits a parallel read; needs a substring rule (default `cn`). */
  partitionAttribute?: string;
  /** Stable identifier attribute: `entryUUID` (OpenLDAP) or `objectGUID` (AD). */
  idAttribute: string;
  /** Callsign attribute name → LDAP attribute name. */
  attributes: Record<string, string>;
  /** How a disabled person is recognised. */
  disabled?: { attribute: string; values: string[] } | { userAccountControl: true };
  /** LDAP attribute → which number (`did` or `extension`) to write there. */
  writeBack: Record<string, NumberKind>;
  /** PEM file of the CA for ldaps:// or StartTLS. */
  tlsCa?: string;
  startTls?: boolean;
  timeoutMs: number;
  /**
   * How changes are read between full reads: `auto` picks the best the server offers (DirSync
   * or uSNChanged on AD, RFC 4533 Content Sync on OpenLDAP, modifyTimestamp as the fallback);
   * `none` reads in full every time.
   */
  delta: 'auto' | 'none' | 'dirsync' | 'usn' | 'content-sync' | 'timestamp';
  /** Seconds between full reconciliations when a delta mechanism is used. */
  fullEverySeconds: number;
  /** Group memberships as a string-list attribute rules can test (`"x" in person.groups`). */
  groups?: LdapGroupsConfig;
  /**
   * Seconds a person absent from a complete full read (moved out of the synced OUs or the
   * filter) keeps their state before counting as leaving. `loadConfig` fills 86400; absent in
   * configurations built by hand means 0 (immediate).
   */
  missingGraceSeconds?: number;
}

/** How an LDAP source reads group memberships. */
export interface LdapGroupsConfig {
  /** Callsign attribute that receives the group names (cn, or the normalised DN). */
  attribute: string;
  /** Read the person's `memberOf` (AD, OpenLDAP with the memberof overlay) for direct groups. */
  memberOf: boolean;
  /** Include groups reached through nested groups (cycles are cut). */
  nested: boolean;
  /** Where groups live; default the source's baseDn. */
  baseDn?: string;
  /** Which entries are groups; default groups of AD and OpenLDAP. */
  filter?: string;
}

export interface KamailioTargetConfig {
  name: string;
  type: 'kamailio';
  /** Path of Kamailio's SQLite database (the one its db_sqlite module reads). */
  database: string;
  /** SIP domain of subscribers and aliases. */
  domain: string;
  /** Kamailio JSON-RPC endpoint, e.g. `http://127.0.0.1:5070/RPC`; used to drop registrations. */
  rpcUrl?: string;
  /**
   * SIP port Kamailio listens on. Alias targets carry it (`domain:port`) when it is not 5060.
   * Absent: the port of `rpcUrl`, since xhttp serves JSON-RPC on a SIP TCP listener.
   */
  sipPort?: number;
  concurrency: number;
  ratePerSecond?: number;
}

/** Test-only and benchmark target that records changes and does nothing. */
export interface NullTargetConfig {
  name: string;
  type: 'null';
  concurrency: number;
  ratePerSecond?: number;
}

/** People pushed by identity managers over SCIM 2.0 (the service Callsign serves itself). */
export interface ScimSourceConfig {
  name: string;
  type: 'scim';
  /**
   * Callsign attribute name → SCIM attribute path, e.g. `mail: emails[type eq "work"].value`
   * or `employeeId: urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber`.
   * Empty: the SCIM service's default mapping. Group names always come as `groups`.
   */
  attributes: Record<string, string>;
}

/**
 * People from an HR system's scheduled export: CSV or JSON files dropped in a folder (the newest
 * file is read) or one file. See src/connectors/hr/README.md for what each field does.
 */
export interface HrFileSourceConfig extends HrTiming {
  name: string;
  type: 'hr-file';
  /** Absolute path of a folder (newest matching file wins) or of one file. */
  path: string;
  /** Absent: taken from the file's extension. */
  format?: 'csv' | 'json';
  /** Callsign attribute name → column; `workerId` is required and is the record's id. */
  columns: Record<string, string>;
  /**
   * Every attribute the source fills (the `columns` plus those derived from the sections below:
   * hireDate, startDate, endDate, hrStatus, onLeave, workerType, country, phone, managerId) →
   * the column it comes from. Filled by validation; rules and correlation check names against it.
   */
  attributes: Record<string, string>;
  /** A column that names the person across worker-id changes; it must be mapped in `columns`. */
  keys?: { personKey?: string };
  status?: { column: string; active: string[]; leave: string[]; terminated: string[] };
  /** Date columns and their one format, e.g. `YYYY-MM-DD`, `MM/DD/YYYY`, `DD.MM.YYYY`. */
  dates?: { hire?: string; termination?: string; format: string };
  workerType?: { column: string; map: Record<string, 'employee' | 'contractor' | 'intern'> };
  /** Country column (ISO 3166 alpha-2 expected) and aliases such as `UK: GB`. */
  country?: { column: string; aliases: Record<string, string> };
  /** Phone column, checked against the row's country. */
  phone?: { column: string };
  /** Column holding the worker id of the row's manager. */
  manager?: { column: string };
  /** Provisioning starts this many days before the hire date; default 0. */
  provisionDaysBeforeStart: number;
  /** Attribute (`workPhone`) → which number to write back; needs `workday`. */
  writeBack?: Record<string, NumberKind>;
  /** Workday's Human Resources web service, for write-back (src/connectors/workday). */
  workday?: WorkdayConfig;
}

/** `https://host/ccx/service/TENANT/Human_Resources/v42.0` and an integration user. */
export interface WorkdayConfig {
  url: string;
  /** `user@tenant`, sent in the WS-Security UsernameToken. */
  username: string;
  password: SecretRef;
  /** Web service version (`v42.0`); taken from the URL's last segment when absent. */
  version: string;
  timeoutMs?: number;
}

export type SourceConfig =
  | LdapSourceConfig
  | ScimSourceConfig
  | HrFileSourceConfig
  | ServiceNowSourceConfig
  | HrHttpsSourceConfig
  | HrPushSourceConfig
  | WorkdaySourceConfig
  | SuccessFactorsSourceConfig;
export type { ServiceNowSourceConfig, HrHttpsSourceConfig, HrPushSourceConfig };

/** Cisco Unified CM over AXL (SOAP); see src/connectors/cucm. */
export interface CucmTargetConfig {
  name: string;
  type: 'cucm';
  /** The publisher's AXL endpoint, `https://host:8443/axl/` (the trailing slash matters). */
  url: string;
  /** AXL schema version, `11.0` to `15.0` (there is no 13): SOAPAction and namespace use it. */
  version: string;
  /** Application user with the Standard AXL API Access role. */
  username: string;
  password: SecretRef;
  /** PEM file of the CA that signed the server's certificate (absolute after loading). */
  tlsCa?: string;
  /**
   * The customer's own AXL schema (AXLSoap.xsd, absolute after loading): every request is
   * validated against it before it is sent. Cisco's XSD is not shipped with Callsign.
   */
  schema?: string;
  /** One request's limit; default 30 000. */
  timeoutMs?: number;
  concurrency: number;
  /** AXL writes per second (reads are not counted); absent means unlimited. */
  ratePerSecond?: number;
  /** Calling search space a leaver's Call Forward All is placed with; absent leaves the line's. */
  forwardCallingSearchSpace?: string;
}

/**
 * Cisco contact-center agents over XML REST: UCCX Admin API (`https://uccx/adminapi`, see
 * src/connectors/uccx) or the UCCE/PCCE Configuration API (`https://aw/unifiedconfig/config`,
 * see src/connectors/ucce).
 */
export type ContactCenterTargetConfig = UccxTargetConfig | UcceTargetConfig;
export interface UccxTargetConfig extends ContactCenterFields {
  type: 'uccx';
}
export interface UcceTargetConfig extends ContactCenterFields {
  type: 'ucce';
}
interface ContactCenterFields {
  name: string;
  url: string;
  /** An administrator of the API. */
  username: string;
  password: SecretRef;
  /** PEM file of the CA that signed the server's certificate (absolute after loading). */
  tlsCa?: string;
  /** One request's limit; default 30 000. */
  timeoutMs?: number;
  concurrency: number;
  ratePerSecond?: number;
}

/** Cisco Unity Connection over CUPI (REST, JSON); see src/connectors/cuc. */
export interface CucTargetConfig {
  name: string;
  type: 'cuc';
  /** The CUPI base, `https://host/vmrest`. */
  url: string;
  /** An administrator with a role that may use CUPI. */
  username: string;
  password: SecretRef;
  /** PEM file of the CA that signed the server's certificate (absolute after loading). */
  tlsCa?: string;
  /** User template new mailboxes are made from; default `voicemailusertemplate`. */
  templateAlias: string;
  /** One request's limit; default 30 000. */
  timeoutMs?: number;
  concurrency: number;
  ratePerSecond?: number;
}

/** Cisco Webex people with calling, over the People REST API; see src/connectors/webex. */
export interface WebexTargetConfig {
  name: string;
  type: 'webex';
  /** API base; `https://webexapis.com` unless the file says otherwise. */
  url: string;
  /** OAuth bearer token (an admin's, or a service app's) with people read and write scopes. */
  token: SecretRef;
  /** Organisation to manage, for a partner admin; absent means the token's own. */
  orgId?: string;
  /** Webex Calling location new calling users go to, unless a change names one. */
  locationId: string;
  /** Licence ids every person gets; a Webex Calling licence among them. */
  licenses: string[];
  /** PEM file of a CA to trust instead of the system's (a TLS-inspecting proxy's). */
  tlsCa?: string;
  /** One request's limit; default 30 000. */
  timeoutMs?: number;
  concurrency: number;
  ratePerSecond?: number;
}

export type TargetConfig =
  | KamailioTargetConfig
  | NullTargetConfig
  | CucmTargetConfig
  | CucTargetConfig
  | ContactCenterTargetConfig
  | WebexTargetConfig;

export interface PoolConfig {
  name: string;
  kind: NumberKind;
  site?: string;
  /** Default region for parsing DIDs (ISO 3166 alpha-2), e.g. `US`. */
  region?: string;
  /** Inclusive range; extensions as digits, DIDs in E.164. */
  range: { start: string; end: string };
  /** Values never to assign. */
  exclude: string[];
  quarantineDays: number;
  /**
   * How a free number is chosen; absent means `lowest`. `pattern` prefers numbers matching
   * `pattern` and falls back to the lowest free one when none matching is free.
   */
  policy?: 'lowest' | 'least-recently-used' | 'random' | 'pattern';
  /** With policy `pattern`: a regex starting with `^` or a digit mask such as `2X00`. */
  pattern?: string;
  /**
   * Extension pools only: the extension follows the person's DID from `didPool`, as its last
   * digits (`lastDigits`, equal to the extension width) or those digits plus `offset`. Absent:
   * extensions and DIDs are allocated independently.
   */
  extensionFrom?: { didPool: string; lastDigits?: number; offset?: number };
  /**
   * Documentation only. Rules already choose pools per department or role by template
   * (`numbers: { extension: '{{person.site}}-ext' }`); these labels choose nothing.
   */
  department?: string;
  role?: string;
  /** DID pools: a leaver's number rings their manager or an announcement first (issue 4). */
  leaverForward?: LeaverForwardConfig;
  /** The site's emergency location and callback number; a number may override it. */
  emergency?: EmergencyInfo;
}

/** An attribute template; `mode: create` sets it only when the resource is created. */
export interface AttributeTemplate {
  value: string;
  mode: 'enforce' | 'create';
}

export interface ResourceTemplate {
  target: string;
  type: string;
  /** Template of the natural key, e.g. `{{numbers.extension}}`. */
  key: string;
  attributes: Record<string, AttributeTemplate>;
  /** Resource types of the same profile (on any target) to create first. */
  dependsOn: string[];
  /** The resource gets a generated secret (SIP password), stored encrypted. */
  secret: boolean;
  /** How the secret is generated; absent: a 20-character password. */
  secretFormat?: SecretFormat;
}

/**
 * A generated secret that is not a password: `{ pin: N }` in the file asks for N digits
 * (a voicemail PIN), never trivial (one digit repeated, an ascending or descending run).
 */
export interface SecretFormat {
  kind: 'pin';
  length: number;
}

export interface ProfileConfig {
  name: string;
  resources: ResourceTemplate[];
}

export interface RuleConfig {
  name: string;
  /** CEL expression over `person` (its attributes) that selects the rule. First match wins. */
  when: string;
  profile: string;
  /** Number kind → pool name template (may use `{{person.site}}`). */
  numbers: Partial<Record<NumberKind, string>>;
}

export interface SafetyConfig {
  /** Brake when a run would de-provision more than this share of known people (0..1). */
  maxDeprovisionShare: number;
  /** Brake when a run would de-provision more than this many people. */
  maxDeprovisionCount: number;
}

export interface EngineConfig {
  pollIntervalSeconds: number;
  leaseSeconds: number;
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
}

/** The HTTP service of `callsign serve`: REST API, SCIM, health and metrics. */
export interface ApiConfig {
  /** Address to bind; default 127.0.0.1 (loopback only). */
  host: string;
  /** Default 8080; 0 picks a free port. */
  port: number;
  /** PEM files (absolute paths); HTTPS when given. */
  tls?: { cert: string; key: string };
  /** Largest request body accepted; default 1 MiB. */
  maxBodyBytes: number;
  /** Requests per minute per token; default 600. */
  rateLimitPerMinute: number;
}

/** One receiver of signed event notifications (`webhooks:`); see src/webhooks. */
export interface WebhookConfig {
  name: string;
  /** http:// or https:// URL the events are POSTed to. */
  url: string;
  /** Reference (env:NAME or file:PATH) to the HMAC-SHA256 signing secret. */
  secret: SecretRef;
  /** Event types to send (`operation.done`, `run.braked`…); empty: every type. */
  events: string[];
  /** One attempt's limit; default 10 000. */
  timeoutMs: number;
  /** Attempts before a delivery is marked failed; default 8. */
  maxAttempts: number;
}

export interface CallsignConfig {
  /** Absolute path of the file it was loaded from (for messages). */
  file: string;
  /** `sqlite:PATH` (relative to the config file) or `postgres://…`. */
  store: string;
  /** Key for encrypting stored secrets: a secret reference to 32 bytes, base64 or hex. */
  secretKey: SecretRef;
  /** Attribute names used to tie records of several sources to one person, in order. */
  correlation: string[];
  sources: SourceConfig[];
  targets: TargetConfig[];
  pools: PoolConfig[];
  profiles: Record<string, ProfileConfig>;
  rules: RuleConfig[];
  safety: SafetyConfig;
  engine: EngineConfig;
  /** Absent in configurations built by hand; `loadConfig` always fills it. */
  api?: ApiConfig;
  /** Absent in configurations built by hand: no webhooks. */
  webhooks?: WebhookConfig[];
  /** Absent: no mail is sent; see src/notify. */
  notifications?: NotificationsConfig;
}
