/**
 * The LDIF a lab slapd is built from: cn=config (loaded offline with `slapadd -n 0`) and the
 * base tree with its people (`slapadd -n 1`).
 */
import { readFileSync } from 'node:fs';

import { escapeDnValue } from '../../connectors/ldap/dn.ts';
import { toLdif, type LdifEntry } from './ldif.ts';
import { labPersonAttributes, labPersonDn, type LabPerson } from './person-entry.ts';

export interface LabLayout {
  dir: string;
  suffix: string;
  adminDn: string;
  adminPassword: string;
  serviceDn: string;
  servicePassword: string;
  peopleDn: string;
  /** AD-like limits for everyone but the rootdn: 1,000 entries a search, paging unlimited. */
  adLimits: boolean;
  /** Attributes under people the service account may write. */
  writableAttributes: string[];
  schemaDir: string;
  /** Where back_mdb.so and syncprov.so live; absent when slapd has them built in. */
  modulePath?: string;
  /** Server certificate and key (PEM) for ldaps:// and StartTLS. */
  tls?: LabTls;
  /** groupOfNames entries under `ou=Groups`, which the service account may read. */
  groups?: LabGroup[];
  /**
   * The memberof overlay: people get `memberOf` for groups added or changed over LDAP (not
   * for groups loaded by slapadd, which bypasses overlays).
   */
  memberOf?: boolean;
}

/** A lab group: people by uid and other groups by cn (nesting; cycles allowed). */
export interface LabGroup {
  cn: string;
  memberUids?: string[];
  memberGroups?: string[];
}

export interface LabTls {
  certFile: string;
  keyFile: string;
}

/** cn=config for one back_mdb database with syncprov and the AD-like schema. */
export function configLdif(layout: LabLayout): string {
  const schemas = ['core', 'cosine', 'inetorgperson'].map(
    (name) => `include: file://${layout.schemaDir}/${name}.ldif`,
  );
  const adLike = readFileSync(new URL('./ad-like.ldif', import.meta.url), 'utf8');
  const limits = layout.adLimits
    ? 'size.soft=1000 size.hard=1000 size.pr=1000 size.prtotal=unlimited'
    : 'size=unlimited size.pr=unlimited size.prtotal=unlimited';
  const service = `dn.exact="${layout.serviceDn}"`;
  const people = `dn.subtree="${layout.peopleDn}"`;

  const head = toLdif([
    {
      dn: 'cn=config',
      attributes: {
        objectClass: 'olcGlobal',
        cn: 'config',
        olcPidFile: `${layout.dir}/slapd.pid`,
        olcArgsFile: `${layout.dir}/slapd.args`,
        ...tlsAttributes(layout.tls),
      },
    },
    ...moduleEntry(layout.modulePath, layout.memberOf === true),
    { dn: 'cn=schema,cn=config', attributes: { objectClass: 'olcSchemaConfig', cn: 'schema' } },
  ]);
  const databases = toLdif([
    {
      dn: 'olcDatabase={-1}frontend,cn=config',
      attributes: {
        objectClass: ['olcDatabaseConfig', 'olcFrontendConfig'],
        olcDatabase: '{-1}frontend',
      },
    },
    {
      dn: 'olcDatabase={0}config,cn=config',
      attributes: {
        objectClass: 'olcDatabaseConfig',
        olcDatabase: '{0}config',
        olcAccess: '{0}to * by * none',
      },
    },
    {
      dn: 'olcDatabase={1}mdb,cn=config',
      attributes: {
        objectClass: ['olcDatabaseConfig', 'olcMdbConfig'],
        olcDatabase: '{1}mdb',
        olcDbDirectory: `${layout.dir}/data`,
        olcDbMaxSize: String(4 * 1024 ** 3),
        olcSuffix: layout.suffix,
        olcRootDN: layout.adminDn,
        olcRootPW: layout.adminPassword,
        olcDbIndex: ['objectClass eq', 'entryUUID eq', 'entryCSN eq', 'uid eq', 'objectGUID eq'],
        // `*` does not cover the rootdn: limits bite only ordinary accounts, as in AD.
        olcLimits: `{0}* ${limits}`,
        olcAccess: [
          '{0}to attrs=userPassword by anonymous auth by * none',
          `{1}to ${people} attrs=${layout.writableAttributes.join(',')} by ${service} write`,
          `{2}to ${people} by ${service} read`,
          `{3}to dn.subtree="${groupsDn(layout)}" by ${service} read`,
          `{4}to dn.base="${layout.suffix}" by ${service} search`,
          '{5}to * by * none',
        ],
      },
    },
    {
      dn: 'olcOverlay={0}syncprov,olcDatabase={1}mdb,cn=config',
      attributes: {
        objectClass: ['olcOverlayConfig', 'olcSyncProvConfig'],
        olcOverlay: '{0}syncprov',
        olcSpCheckpoint: '100 10',
        olcSpSessionlog: '10000',
      },
    },
    ...memberOfOverlay(layout),
  ]);
  return [head, schemas.join('\n\n'), adLike, databases].join('\n');
}

/** The base tree (suffix, People, Services, the service account) and the people. */
export function dataLdif(layout: LabLayout, people: LabPerson[]): string {
  const top = layout.suffix.split(',')[0]!;
  const [type, value] = top.split('=') as [string, string];
  const topAttributes: LdifEntry['attributes'] =
    type.toLowerCase() === 'dc'
      ? { objectClass: ['top', 'dcObject', 'organization'], dc: value, o: value }
      : { objectClass: ['top', 'organization'], o: value };

  const entries: LdifEntry[] = [
    { dn: layout.suffix, attributes: topAttributes },
    { dn: layout.peopleDn, attributes: { objectClass: 'organizationalUnit', ou: 'People' } },
    {
      dn: `ou=Services,${layout.suffix}`,
      attributes: { objectClass: 'organizationalUnit', ou: 'Services' },
    },
    {
      dn: layout.serviceDn,
      attributes: {
        objectClass: ['organizationalRole', 'simpleSecurityObject'],
        cn: 'callsign',
        userPassword: layout.servicePassword,
      },
    },
    ...people.map((person) => ({
      dn: labPersonDn(person, layout.peopleDn),
      attributes: labPersonAttributes(person),
    })),
    ...groupEntries(layout, people),
  ];
  return toLdif(entries);
}

/** Where lab groups live. */
export function groupsDn(layout: Pick<LabLayout, 'suffix'>): string {
  return `ou=Groups,${layout.suffix}`;
}

function groupEntries(layout: LabLayout, people: LabPerson[]): LdifEntry[] {
  const groups = layout.groups ?? [];
  const base = groupsDn(layout);
  const byUid = new Map(people.map((p) => [p.uid, p]));
  const unit = { dn: base, attributes: { objectClass: 'organizationalUnit', ou: 'Groups' } };
  return [
    unit,
    ...groups.map((group) => {
      const member = [
        ...(group.memberUids ?? []).map((uid) => {
          const person = byUid.get(uid);
          if (person === undefined) throw new TypeError(`Lab group ${group.cn}: no uid ${uid}`);
          return labPersonDn(person, layout.peopleDn);
        }),
        ...(group.memberGroups ?? []).map((cn) => `cn=${escapeDnValue(cn)},${base}`),
      ];
      // groupOfNames must have a member: an empty group names itself, as OpenLDAP's docs do.
      const dn = `cn=${escapeDnValue(group.cn)},${base}`;
      const members = member.length > 0 ? member : [dn];
      return { dn, attributes: { objectClass: 'groupOfNames', cn: group.cn, member: members } };
    }),
  ];
}

/** Checks the suffix is one the base tree can be built for (`dc=…` or `o=…` first). */
export function checkSuffix(suffix: string): void {
  if (!/^(dc|o)=[^,=]+(,dc=[^,=]+)*$/i.test(suffix)) {
    throw new TypeError(`Lab suffix '${suffix}' must look like dc=example,dc=com or o=Example`);
  }
}

function tlsAttributes(tls: LabTls | undefined): Record<string, string> {
  if (tls === undefined) return {};
  // No client certificates are asked for: Callsign authenticates with a simple bind.
  return {
    olcTLSCertificateFile: tls.certFile,
    olcTLSCertificateKeyFile: tls.keyFile,
    olcTLSVerifyClient: 'never',
  };
}

function memberOfOverlay(layout: LabLayout): LdifEntry[] {
  if (layout.memberOf !== true) return [];
  return [
    {
      dn: 'olcOverlay={1}memberof,olcDatabase={1}mdb,cn=config',
      attributes: {
        objectClass: ['olcOverlayConfig', 'olcMemberOf'],
        olcOverlay: '{1}memberof',
        olcMemberOfGroupOC: 'groupOfNames',
        olcMemberOfMemberAD: 'member',
        olcMemberOfMemberOfAD: 'memberOf',
        // Removing a person from a group or deleting the group takes memberOf away too.
        olcMemberOfRefInt: 'TRUE',
      },
    },
  ];
}

function moduleEntry(modulePath: string | undefined, memberOf: boolean): LdifEntry[] {
  if (modulePath === undefined) return [];
  return [
    {
      dn: 'cn=module{0},cn=config',
      attributes: {
        objectClass: 'olcModuleList',
        cn: 'module{0}',
        olcModulePath: modulePath,
        olcModuleLoad: ['back_mdb', 'syncprov', ...(memberOf ? ['memberof'] : [])],
      },
    },
  ];
}
