/**
 * How a lab person looks in the directory: an inetOrgPerson extended by the AD-like `user`
 * class, so one lab serves both the OpenLDAP mapping (entryUUID) and the AD one (objectGUID,
 * userAccountControl).
 */
import { randomUUID } from 'node:crypto';

import { escapeDnValue } from '../../connectors/ldap/dn.ts';
import { guidToBytes } from '../../connectors/ldap/guid.ts';

/** A person for the lab directory. */
export interface LabPerson {
  uid: string;
  givenName: string;
  sn: string;
  cn: string;
  mail: string;
  employeeNumber: string;
  departmentNumber: string;
  /** Site (locality). */
  l: string;
  title: string;
  employeeType: string;
  telephoneNumber?: string;
  /** Naming attribute of the DN: `uid=…` (default) or `cn=…` (for DNs with `,` or UTF-8). */
  rdn?: 'uid' | 'cn';
  /** AD-style account flags; default 512 (enabled), 514 when `disabled`. */
  userAccountControl?: number;
  disabled?: boolean;
  /** Canonical objectGUID text; a random one when absent. */
  objectGUID?: string;
  /** Further attributes as stored (bad-input tests: bytes that are not UTF-8, huge values). */
  extra?: Record<string, string | Buffer | string[]>;
}

/** The DN a lab person gets under `peopleDn`. */
export function labPersonDn(person: Pick<LabPerson, 'uid' | 'cn' | 'rdn'>, peopleDn: string) {
  const rdn = person.rdn ?? 'uid';
  return `${rdn}=${escapeDnValue(rdn === 'cn' ? person.cn : person.uid)},${peopleDn}`;
}

/** Attributes of a lab person's entry (values as LDAP strings, objectGUID as bytes). */
export function labPersonAttributes(person: LabPerson): Record<string, string | Buffer | string[]> {
  const guid = guidToBytes(person.objectGUID ?? randomUUID());
  if (guid === undefined) throw new TypeError(`Lab person ${person.uid}: malformed objectGUID`);
  const uac = person.userAccountControl ?? (person.disabled === true ? 514 : 512);

  const attributes: Record<string, string | Buffer | string[]> = {
    objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson', 'user'],
    uid: person.uid,
    cn: person.cn,
    givenName: person.givenName,
    sn: person.sn,
    mail: person.mail,
    departmentNumber: person.departmentNumber,
    l: person.l,
    title: person.title,
    employeeType: person.employeeType,
    sAMAccountName: person.uid,
    userAccountControl: String(uac),
    objectGUID: guid,
  };
  // Empty strings mean "leave it out", so tests can build a person missing an attribute.
  if (person.employeeNumber !== '') attributes.employeeNumber = person.employeeNumber;
  if (person.telephoneNumber !== undefined) attributes.telephoneNumber = person.telephoneNumber;
  Object.assign(attributes, person.extra ?? {});
  for (const [key, value] of Object.entries(attributes)) {
    if (value === '') delete attributes[key];
  }
  return attributes;
}
