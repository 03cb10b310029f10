/**
 * Distinguished names as strings (RFC 4514). Servers return the same DN in different spellings:
 * OpenLDAP answers `cn=Doe\, John` as `cn=Doe\2C John`. Compare DNs with `normalizeDn`, never
 * as raw strings. UTF-8 travels as is: only the RFC 4514 specials are escaped.
 */

/** One attribute-value assertion of an RDN, with the value unescaped. */
export interface Ava {
  type: string;
  value: string;
}

/** Escapes an attribute value for use in a DN string (RFC 4514 §2.4). */
export function escapeDnValue(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    const edge = (i === 0 && (ch === ' ' || ch === '#')) || (i === value.length - 1 && ch === ' ');
    if (ch === '\0') out += '\\00';
    else if (edge || SPECIAL.has(ch)) out += `\\${ch}`;
    else out += ch;
  }
  return out;
}

/**
 * Splits a DN into RDNs (leftmost first), each a list of AVAs. Accepts `\,`-style and `\2C`-style
 * escapes, including hex-escaped UTF-8. Throws TypeError on a malformed DN.
 */
export function parseDn(dn: string): Ava[][] {
  const rdns: Ava[][] = [];
  if (dn.trim() === '') return rdns;

  let rdn: Ava[] = [];
  let i = 0;
  while (i < dn.length) {
    const eq = dn.indexOf('=', i);
    if (eq < 0) throw new TypeError(`Malformed DN '${dn}': an RDN has no '='`);
    const type = dn.slice(i, eq).trim();
    if (type === '') throw new TypeError(`Malformed DN '${dn}': empty attribute type`);

    const { value, end } = readValue(dn, eq + 1);
    rdn.push({ type, value });
    i = end + 1;
    if (end >= dn.length || dn[end] === ',' || dn[end] === ';') {
      rdns.push(rdn);
      rdn = [];
    }
  }
  return rdns;
}

/**
 * A DN in one spelling for comparison: types and values lower-cased (the naming attributes of
 * people, cn uid ou dc, match without case), values re-escaped minimally, AVAs sorted.
 */
export function normalizeDn(dn: string): string {
  return parseDn(dn)
    .map((rdn) =>
      rdn
        .map((ava) => `${ava.type.toLowerCase()}=${escapeDnValue(ava.value.toLowerCase())}`)
        .sort()
        .join('+'),
    )
    .join(',');
}

/** True when two DN strings name the same entry. */
export function dnEquals(a: string, b: string): boolean {
  return normalizeDn(a) === normalizeDn(b);
}

const SPECIAL = new Set(['"', '+', ',', ';', '<', '>', '\\']);

/** Reads one value from `start`; `end` is the index of the separator (or dn.length). */
function readValue(dn: string, start: number): { value: string; end: number } {
  const bytes: number[] = [];
  let trailingSpaces = 0;
  let i = start;
  while (i < dn.length && dn[i] === ' ') i++;

  for (; i < dn.length; i++) {
    const ch = dn[i]!;
    if (ch === ',' || ch === ';' || ch === '+') break;
    if (ch === '\\') {
      const hex = dn.slice(i + 1, i + 3);
      if (/^[0-9a-fA-F]{2}$/.test(hex)) {
        bytes.push(parseInt(hex, 16));
        i += 2;
      } else if (i + 1 < dn.length) {
        bytes.push(...Buffer.from(dn[i + 1]!, 'utf8'));
        i += 1;
      } else {
        throw new TypeError(`Malformed DN '${dn}': it ends with a lone backslash`);
      }
      trailingSpaces = 0;
      continue;
    }
    const code = dn.codePointAt(i)!;
    const char = String.fromCodePoint(code);
    bytes.push(...Buffer.from(char, 'utf8'));
    if (char.length === 2) i++;
    trailingSpaces = ch === ' ' ? trailingSpaces + 1 : 0;
  }

  const kept = bytes.slice(0, bytes.length - trailingSpaces);
  return { value: Buffer.from(kept).toString('utf8'), end: i };
}
