/**
 * Turns one LDAP entry into a SourceRecord. Pure: the connector hands it what ldapts returned.
 * A bad entry yields problems naming its DN and the field; it never stops the read.
 */
import type { LdapSourceConfig } from '../../core/config-types.ts';
import type { Attributes, RecordProblem, SourceRecord } from '../../core/model.ts';
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
  'name' | 'idAttribute' | 'attributes' | 'disabled' | 'groups'
>;

/** `userAccountControl` bit ACCOUNTDISABLE (0x2), as AD sets it on disabled accounts. */
export const UAC_ACCOUNT_DISABLE = 0x2;

/** Maps an entry: externalId from the id attribute, mapped attributes, disabled state. */
export function mapEntry(entry: RawEntry, mapping: EntryMapping): MappedEntry {
  const problems: RecordProblem[] = [];
  const { name: source, idAttribute } = mapping;
  const externalId = readId(valueOf(entry, idAttribute), idAttribute);
  if (typeof externalId !== 'string') {
    problems.push({ source, record: entry.dn, field: idAttribute, message: externalId.problem });
    return { problems };
  }

  const attributes: Attributes = {};
  for (const [name, ldapName] of pairsOf(mapping.attributes)) {
    const raw = valueOf(entry, ldapName);
    if (raw === undefined) continue;
    // One value is the common case: no list is built for it.
    const one = Array.isArray(raw) ? (raw.length === 1 ? raw[0]! : undefined) : raw;
    if (one !== undefined) {
      const text = toText(one, ldapName);
      if (typeof text === 'string') attributes[name] = text;
      else problems.push(leftOut(entry, mapping, { name, ldapName, problem: text.problem }));
      continue;
    }
    const list = raw as (string | Buffer)[];
    const texts: string[] = [];
    for (let i = 0; i < list.length; i++) {
      const text = toText(list[i]!, ldapName);
      if (typeof text === 'string') texts.push(text);
      else {
        const which = `value ${i + 1} of ${ldapName}`;
        problems.push(leftOut(entry, mapping, { name, ldapName, problem: text.problem, which }));
      }
    }
    if (texts.length > 0) attributes[name] = texts.length === 1 ? texts[0]! : texts;
  }

  const disabled = isDisabled(entry, mapping.disabled);
  if (disabled.problem !== undefined) {
    problems.push({ source, record: entry.dn, field: disabled.field, message: disabled.problem });
  }
  const state = disabled.value ? 'disabled' : 'active';
  const record: SourceRecord = { source, externalId, dn: entry.dn, state, attributes };
  return { record, problems };
}

function leftOut(
  entry: RawEntry,
  mapping: EntryMapping,
  value: { name: string; ldapName: string; problem: string; which?: string },
): RecordProblem {
  const which = value.which ?? value.ldapName;
  const message = `${which} (mapped to ${value.name}) ${value.problem}; left out`;
  return { source: mapping.name, record: entry.dn, field: value.ldapName, message };
}

/** The mapping's pairs, built once per mapping object rather than once per entry. */
const PAIRS = new WeakMap<Record<string, string>, [string, string][]>();
function pairsOf(attributes: Record<string, string>): [string, string][] {
  let pairs = PAIRS.get(attributes);
  if (pairs === undefined) {
    pairs = Object.entries(attributes);
    PAIRS.set(attributes, pairs);
  }
  return pairs;
}

/** The LDAP attributes a read must request for this mapping (id and disabled detection too). */
export function requestedAttributes(mapping: EntryMapping): string[] {
  const wanted = [mapping.idAttribute, ...Object.values(mapping.attributes)];
  if (mapping.disabled !== undefined) {
    const rule = mapping.disabled;
    wanted.push('attribute' in rule ? rule.attribute : 'userAccountControl');
  }
  if (mapping.groups?.memberOf === true) wanted.push('memberOf');

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

/**
 * An attribute's value, ignoring the case of its name. Servers mostly answer with the names as
 * asked, so the exact name is tried first and the keys are compared only when that misses.
 */
function valueOf(entry: RawEntry, attribute: string): Raw {
  const exact = entry[attribute];
  if (exact !== undefined) return exact;
  const lower = attribute.toLowerCase();
  for (const key in entry) {
    if (key.length === lower.length && key.toLowerCase() === lower) return entry[key];
  }
  return undefined;
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

/** Longest text value kept: a longer one is a data error (a pasted file), not a name. */
export const MAX_TEXT_LENGTH = 4096;

const UTF8 = new TextDecoder('utf-8', { fatal: true });
// C0 controls other than tab, line feed and carriage return, and DEL: binary, not text.
const BINARY = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

/** One mapped value as text, or why it is not usable text. */
function toText(value: string | Buffer, attribute: string): string | { problem: string } {
  if (Buffer.isBuffer(value) && isObjectGuid(attribute)) {
    return guidToString(value) ?? { problem: `is ${value.length} bytes, not a 16-byte GUID` };
  }
  let text: string;
  if (Buffer.isBuffer(value)) {
    try {
      text = UTF8.decode(value);
    } catch {
      return { problem: `is not valid UTF-8 (${value.length} bytes)` };
    }
  } else {
    text = value;
    // The client decoded bytes that were not UTF-8 into U+FFFD.
    if (text.includes('\uFFFD')) return { problem: 'is not valid UTF-8' };
  }
  if (BINARY.test(text)) return { problem: 'holds binary data, not text' };
  if (text.length > MAX_TEXT_LENGTH) {
    return { problem: `is ${text.length} characters long (at most ${MAX_TEXT_LENGTH})` };
  }
  return text;
}

function isDisabled(
  entry: RawEntry,
  rule: EntryMapping['disabled'],
): { value: boolean; field: string; problem?: string } {
  if (rule === undefined) return { value: false, field: '' };

  if ('attribute' in rule) {
    const present = asStrings(valueOf(entry, rule.attribute)).map((v) => v.toLowerCase());
    const wanted = new Set(rule.values.map((v) => v.toLowerCase()));
    return { value: present.some((v) => wanted.has(v)), field: rule.attribute };
  }

  const field = 'userAccountControl';
  const raw = asStrings(valueOf(entry, field));
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
