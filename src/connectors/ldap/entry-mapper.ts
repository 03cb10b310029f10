/**
 * Turns one LDAP entry into a SourceRecord. Pure: the connector hands it what ldapts returned.
 * A bad entry yields problems naming its DN and the field; it never stops the read.
 */
import type { LdapSourceConfig } from '../../core/config-types.ts';
import type { AttrValue, Attributes, RecordProblem, SourceRecord } from '../../core/model.ts';
import { guidToString, isUuid } from './guid.ts';

/** An entry as ldapts returns it. */
export interface RawEntry {
  dn: string;
  [attribute: string]: Buffer | Buffer[] | string[] | string;
}

export interface MappedEntry {
  /** Absent when the entry cannot be identified (no usable id attribute). */
  record?: SourceRecord;
  problems: RecordProblem[];
}

/** The mapping subset of the source configuration. */
export type EntryMapping = Pick<
  LdapSourceConfig,
  'name' | 'idAttribute' | 'attributes' | 'disabled'
>;

/** `userAccountControl` bit ACCOUNTDISABLE (0x2), as AD sets it on disabled accounts. */
export const UAC_ACCOUNT_DISABLE = 0x2;

/** Maps an entry: externalId from the id attribute, mapped attributes, disabled state. */
export function mapEntry(entry: RawEntry, mapping: EntryMapping): MappedEntry {
  const values = lowerCaseKeys(entry);
  const problems: RecordProblem[] = [];
  const problem = (field: string, message: string) =>
    problems.push({ source: mapping.name, record: entry.dn, field, message });

  const externalId = readId(values[mapping.idAttribute.toLowerCase()], mapping.idAttribute);
  if (typeof externalId !== 'string') {
    problem(mapping.idAttribute, externalId.problem);
    return { problems };
  }

  const attributes: Attributes = {};
  for (const [name, ldapName] of Object.entries(mapping.attributes)) {
    const value = toAttrValue(values[ldapName.toLowerCase()]);
    if (value !== undefined) attributes[name] = value;
  }

  const disabled = isDisabled(values, mapping.disabled);
  if (disabled.problem !== undefined) problem(disabled.field, disabled.problem);
  const state = disabled.value ? 'disabled' : 'active';
  const { name: source } = mapping;
  const record: SourceRecord = { source, externalId, dn: entry.dn, state, attributes };
  return { record, problems };
}

/** The LDAP attributes a read must request for this mapping (id and disabled detection too). */
export function requestedAttributes(mapping: EntryMapping): string[] {
  const wanted = [mapping.idAttribute, ...Object.values(mapping.attributes)];
  if (mapping.disabled !== undefined) {
    const rule = mapping.disabled;
    wanted.push('attribute' in rule ? rule.attribute : 'userAccountControl');
  }

  const seen = new Set<string>();
  return wanted.filter((name) => {
    const key = name.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** True for AD's binary objectGUID, which must be fetched as bytes. */
export function isObjectGuid(attribute: string): boolean {
  return attribute.toLowerCase() === 'objectguid';
}

type Raw = RawEntry[string] | undefined;

function lowerCaseKeys(entry: RawEntry): Record<string, Raw> {
  const out: Record<string, Raw> = {};
  for (const [key, value] of Object.entries(entry)) out[key.toLowerCase()] = value;
  return out;
}

function readId(raw: Raw, attribute: string): string | { problem: string } {
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  if (list.length === 0) return { problem: `Entry has no ${attribute}` };
  if (list.length > 1) return { problem: `Entry has ${list.length} values of ${attribute}` };
  const value = list[0]!;

  if (isObjectGuid(attribute)) {
    const bytes = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
    const guid = Buffer.isBuffer(bytes) ? guidToString(bytes) : undefined;
    return guid ?? { problem: `${attribute} is ${bytes.length} bytes, not 16` };
  }

  const text = Buffer.isBuffer(value) ? value.toString('utf8') : value.trim();
  if (text === '') return { problem: `${attribute} is empty` };
  if (attribute.toLowerCase() === 'entryuuid') {
    return isUuid(text) ? text.toLowerCase() : { problem: `${attribute} '${text}' is not a UUID` };
  }
  return text;
}

function toAttrValue(raw: Raw): AttrValue | undefined {
  if (raw === undefined) return undefined;
  const text = (v: string | Buffer) => (Buffer.isBuffer(v) ? v.toString('base64') : v);
  if (!Array.isArray(raw)) return text(raw);
  if (raw.length === 0) return undefined;
  if (raw.length === 1) return text(raw[0]!);
  return raw.map(text);
}

function isDisabled(
  values: Record<string, Raw>,
  rule: EntryMapping['disabled'],
): { value: boolean; field: string; problem?: string } {
  if (rule === undefined) return { value: false, field: '' };

  if ('attribute' in rule) {
    const present = asStrings(values[rule.attribute.toLowerCase()]).map((v) => v.toLowerCase());
    const wanted = new Set(rule.values.map((v) => v.toLowerCase()));
    return { value: present.some((v) => wanted.has(v)), field: rule.attribute };
  }

  const field = 'userAccountControl';
  const raw = asStrings(values[field.toLowerCase()]);
  if (raw.length === 0) return { value: false, field };
  // A broken value leaves the person active: guessing "disabled" would de-provision them.
  if (raw.length > 1 || !/^-?[0-9]+$/.test(raw[0]!.trim())) {
    return { value: false, field, problem: `${field} '${raw.join(',')}' is not an integer` };
  }
  return { value: (Number(raw[0]) & UAC_ACCOUNT_DISABLE) !== 0, field };
}

function asStrings(raw: Raw): string[] {
  if (raw === undefined) return [];
  const list = Array.isArray(raw) ? raw : [raw];
  return list.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v));
}
