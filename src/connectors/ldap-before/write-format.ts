/**
 * How a canonical number is written to a directory attribute. OpenLDAP's telephone attributes
 * have PrintableString syntax (RFC 4517 §3.3.31), which refuses `;`, `*` and `#`: they get
 * `+1 908 555 0100 x123`. AD's phone attributes are Unicode strings and take the canonical
 * `+19085550100;ext=123`. Other attributes get the canonical form.
 */
import { formatCanonical, type PhoneStyle } from '../../core/phone.ts';

export type DirectoryFlavor = 'openldap' | 'ad';

/** The style for one attribute on one kind of directory. */
export function phoneStyleFor(attribute: string, flavor: DirectoryFlavor): PhoneStyle {
  if (flavor === 'ad') return 'ad';
  return TELEPHONE_SYNTAX.has(attribute.toLowerCase()) ? 'printable' : 'e164';
}

/** Formats a canonical value (E.164 with optional `;ext=`, or extension digits). */
export function formatForAttribute(
  value: string,
  attribute: string,
  flavor: DirectoryFlavor,
): string {
  return formatCanonical(value, phoneStyleFor(attribute, flavor));
}

/** Attributes of Telephone Number syntax in the OpenLDAP core, cosine and inetOrgPerson schemas. */
const TELEPHONE_SYNTAX: ReadonlySet<string> = new Set([
  'telephonenumber',
  'mobile',
  'mobiletelephonenumber',
  'homephone',
  'hometelephonenumber',
  'pager',
  'pagertelephonenumber',
  'facsimiletelephonenumber',
  'fax',
]);
