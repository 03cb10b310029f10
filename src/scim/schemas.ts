/**
 * The schemas this service speaks (RFC 7643 §4 and §8.7.1), as attribute definitions. They
 * drive input validation and coercion, case-exactness in filters and sorting, mutability in
 * PATCH, and the `/Schemas` discovery answer.
 */

export const SCHEMA = {
  User: 'urn:ietf:params:scim:schemas:core:2.0:User',
  Group: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  Enterprise: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  Telecom: 'urn:callsign:params:scim:schemas:extension:telecom:1.0:User',
  ListResponse: 'urn:ietf:params:scim:api:messages:2.0:ListResponse',
  PatchOp: 'urn:ietf:params:scim:api:messages:2.0:PatchOp',
  SearchRequest: 'urn:ietf:params:scim:api:messages:2.0:SearchRequest',
  Schema: 'urn:ietf:params:scim:schemas:core:2.0:Schema',
  ResourceType: 'urn:ietf:params:scim:schemas:core:2.0:ResourceType',
  ServiceProviderConfig: 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig',
} as const;

export type AttrType =
  'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'reference' | 'complex' | 'binary';

/** One attribute's definition, in the shape `/Schemas` returns. */
export interface AttributeDef {
  name: string;
  type: AttrType;
  multiValued: boolean;
  description: string;
  required: boolean;
  caseExact: boolean;
  mutability: 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
  returned: 'always' | 'never' | 'default' | 'request';
  uniqueness: 'none' | 'server' | 'global';
  subAttributes?: AttributeDef[];
  canonicalValues?: string[];
  referenceTypes?: string[];
}

export interface SchemaDef {
  id: string;
  name: string;
  description: string;
  attributes: AttributeDef[];
}

type Opts = Partial<Omit<AttributeDef, 'name' | 'type'>>;

function a(name: string, type: AttrType, opts: Opts = {}): AttributeDef {
  return {
    name,
    type,
    multiValued: false,
    description: opts.description ?? name,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...opts,
  };
}

/** A multi-valued complex attribute with the usual value/display/type/primary sub-attributes. */
function multi(name: string, types: string[], valueType: AttrType = 'string'): AttributeDef {
  return a(name, 'complex', {
    multiValued: true,
    subAttributes: [
      a('value', valueType),
      a('display', 'string'),
      a('type', 'string', { canonicalValues: types }),
      a('primary', 'boolean'),
    ],
  });
}

const ref = (name: string, types: string[], opts: Opts = {}) =>
  a(name, 'reference', { referenceTypes: types, ...opts });

export const USER_SCHEMA: SchemaDef = {
  id: SCHEMA.User,
  name: 'User',
  description: 'User Account',
  attributes: [
    a('userName', 'string', { required: true, uniqueness: 'server' }),
    a('name', 'complex', {
      subAttributes: [
        'formatted',
        'familyName',
        'givenName',
        'middleName',
        'honorificPrefix',
        'honorificSuffix',
      ].map((n) => a(n, 'string')),
    }),
    a('displayName', 'string'),
    a('nickName', 'string'),
    ref('profileUrl', ['external']),
    a('title', 'string'),
    a('userType', 'string'),
    a('preferredLanguage', 'string'),
    a('locale', 'string'),
    a('timezone', 'string'),
    a('active', 'boolean'),
    a('password', 'string', { mutability: 'writeOnly', returned: 'never' }),
    multi('emails', ['work', 'home', 'other']),
    multi('phoneNumbers', ['work', 'home', 'mobile', 'fax', 'pager', 'other']),
    multi('ims', ['aim', 'gtalk', 'icq', 'xmpp', 'msn', 'skype', 'qq', 'yahoo']),
    multi('photos', ['photo', 'thumbnail'], 'reference'),
    a('addresses', 'complex', {
      multiValued: true,
      subAttributes: [
        ...['formatted', 'streetAddress', 'locality', 'region', 'postalCode', 'country'].map((n) =>
          a(n, 'string'),
        ),
        a('type', 'string', { canonicalValues: ['work', 'home', 'other'] }),
        a('primary', 'boolean'),
      ],
    }),
    a('groups', 'complex', {
      multiValued: true,
      mutability: 'readOnly',
      subAttributes: [
        a('value', 'string', { mutability: 'readOnly' }),
        ref('$ref', ['User', 'Group'], { mutability: 'readOnly' }),
        a('display', 'string', { mutability: 'readOnly' }),
        a('type', 'string', { mutability: 'readOnly', canonicalValues: ['direct', 'indirect'] }),
      ],
    }),
    multi('entitlements', []),
    multi('roles', []),
    multi('x509Certificates', [], 'binary'),
  ],
};

export const ENTERPRISE_SCHEMA: SchemaDef = {
  id: SCHEMA.Enterprise,
  name: 'EnterpriseUser',
  description: 'Enterprise User',
  attributes: [
    a('employeeNumber', 'string'),
    a('costCenter', 'string'),
    a('organization', 'string'),
    a('division', 'string'),
    a('department', 'string'),
    a('manager', 'complex', {
      subAttributes: [
        a('value', 'string'),
        ref('$ref', ['User']),
        a('displayName', 'string', { mutability: 'readOnly' }),
      ],
    }),
  ],
};

/** Callsign's read-only view of a person's telecom resources, filled from the store. */
export const TELECOM_SCHEMA: SchemaDef = {
  id: SCHEMA.Telecom,
  name: 'CallsignTelecomUser',
  description: 'Telecom resources Callsign assigned to the user (read-only, authoritative)',
  attributes: [
    a('personId', 'string', {
      mutability: 'readOnly',
      caseExact: true,
      description: 'Callsign person id the user is correlated to',
    }),
    a('extension', 'string', { mutability: 'readOnly', description: 'Internal extension' }),
    a('did', 'string', { mutability: 'readOnly', description: 'Direct number, E.164' }),
    a('sipAccounts', 'string', {
      mutability: 'readOnly',
      multiValued: true,
      description: 'SIP accounts as target/key',
    }),
  ],
};

export const GROUP_SCHEMA: SchemaDef = {
  id: SCHEMA.Group,
  name: 'Group',
  description: 'Group',
  attributes: [
    a('displayName', 'string', { required: true }),
    a('members', 'complex', {
      multiValued: true,
      subAttributes: [
        a('value', 'string', { mutability: 'immutable' }),
        ref('$ref', ['User', 'Group'], { mutability: 'immutable' }),
        a('display', 'string', { mutability: 'readOnly' }),
        a('type', 'string', { mutability: 'immutable', canonicalValues: ['User', 'Group'] }),
      ],
    }),
  ],
};

/** Attributes common to every resource (RFC 7643 §3.1). */
export const COMMON_ATTRIBUTES: AttributeDef[] = [
  a('id', 'string', {
    mutability: 'readOnly',
    returned: 'always',
    caseExact: true,
    uniqueness: 'server',
  }),
  a('externalId', 'string', { caseExact: true }),
  a('meta', 'complex', {
    mutability: 'readOnly',
    subAttributes: [
      a('resourceType', 'string', { mutability: 'readOnly', caseExact: true }),
      a('created', 'dateTime', { mutability: 'readOnly' }),
      a('lastModified', 'dateTime', { mutability: 'readOnly' }),
      ref('location', ['uri'], { mutability: 'readOnly' }),
      a('version', 'string', { mutability: 'readOnly', caseExact: true }),
    ],
  }),
];

export const ALL_SCHEMAS = [USER_SCHEMA, ENTERPRISE_SCHEMA, TELECOM_SCHEMA, GROUP_SCHEMA];

/** A resource type: its core schema and the extensions it accepts. */
export interface ResourceKind {
  name: 'User' | 'Group';
  endpoint: '/Users' | '/Groups';
  core: SchemaDef;
  extensions: SchemaDef[];
}

export const USER_KIND: ResourceKind = {
  name: 'User',
  endpoint: '/Users',
  core: USER_SCHEMA,
  extensions: [ENTERPRISE_SCHEMA, TELECOM_SCHEMA],
};

export const GROUP_KIND: ResourceKind = {
  name: 'Group',
  endpoint: '/Groups',
  core: GROUP_SCHEMA,
  extensions: [],
};

/** Finds a named attribute among definitions, without regard to case (RFC 7643 §2.1). */
export function findAttr(defs: AttributeDef[] | undefined, name: string) {
  const lower = name.toLowerCase();
  return defs?.find((d) => d.name.toLowerCase() === lower);
}

/** The schema a URN names for a kind, core or extension; undefined when the kind lacks it. */
export function schemaOf(kind: ResourceKind, urn: string): SchemaDef | undefined {
  const lower = urn.toLowerCase();
  return [kind.core, ...kind.extensions].find((s) => s.id.toLowerCase() === lower);
}
