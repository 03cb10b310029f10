/**
 * Values in LDAP search filters. Anything that comes from data (a uid, an entryUUID, a GUID)
 * is escaped, or carried in a filter object, before it reaches the server.
 */
import { EqualityFilter } from 'ldapts';

/**
 * Escapes an assertion value per RFC 4515 §3: `*`, `(`, `)`, `\` and NUL always; a byte array
 * is escaped byte by byte (`\a8\20…`), the text form of a search by binary objectGUID. Non-ASCII
 * text stays as UTF-8.
 */
export function escapeFilterValue(value: string | Uint8Array): string {
  if (typeof value !== 'string') {
    return Array.from(value, (byte) => `\\${byte.toString(16).padStart(2, '0')}`).join('');
  }

  let out = '';
  for (const ch of value) out += ESCAPES[ch] ?? ch;
  return out;
}

/**
 * An equality filter as an ldapts filter object, value carried as is. Filter objects are used
 * rather than strings because ldapts 8 unescapes `\xx` in a filter string to one UTF-16 unit
 * per byte and then writes it as UTF-8, which corrupts bytes from 0x80 (binary GUIDs).
 */
export function equalityFilter(attribute: string, value: string | Buffer): EqualityFilter {
  if (!ATTRIBUTE.test(attribute)) {
    throw new TypeError(`'${attribute}' is not an attribute description`);
  }
  return new EqualityFilter({ attribute, value });
}

const ATTRIBUTE = /^([A-Za-z][A-Za-z0-9-]*|[0-9]+(\.[0-9]+)*)(;[A-Za-z0-9-]+)*$/;

const ESCAPES: Record<string, string> = {
  '*': '\\2a',
  '(': '\\28',
  ')': '\\29',
  '\\': '\\5c',
  '\0': '\\00',
};
