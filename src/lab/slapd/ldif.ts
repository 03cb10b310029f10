/**
 * A minimal LDIF writer (RFC 2849) for the lab: enough for slapadd. Values that are not "safe
 * strings" (non-ASCII, leading space, colon or '<', trailing space, line breaks) and binary
 * values are written base64 with `::`.
 */

export type LdifValue = string | Buffer;

/** One entry: its DN and attributes, each with one or more values. */
export interface LdifEntry {
  dn: string;
  attributes: Record<string, LdifValue | LdifValue[]>;
}

/** Renders entries as LDIF text, separated by blank lines. */
export function toLdif(entries: LdifEntry[]): string {
  return entries.map(renderEntry).join('\n');
}

function renderEntry(entry: LdifEntry): string {
  const lines = [line('dn', entry.dn)];
  for (const [name, value] of Object.entries(entry.attributes)) {
    for (const one of Array.isArray(value) ? value : [value]) lines.push(line(name, one));
  }
  return `${lines.join('\n')}\n`;
}

function line(name: string, value: LdifValue): string {
  if (Buffer.isBuffer(value)) return `${name}:: ${value.toString('base64')}`;
  if (isSafe(value)) return `${name}: ${value}`;
  return `${name}:: ${Buffer.from(value, 'utf8').toString('base64')}`;
}

function isSafe(value: string): boolean {
  if (value === '') return true;
  if (/^[ :<]/.test(value) || value.endsWith(' ')) return false;
  return /^[\x01-\x09\x0b\x0c\x0e-\x7f]*$/.test(value);
}
