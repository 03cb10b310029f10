/**
 * Ties source records to people: first by an existing source link (`source:externalId`), then by
 * the configured keys in order (employee id, then mail…), never by display name. Ambiguity is
 * held, not guessed: a record whose keys point at two people, or two records of one source that
 * share a key value, are problems, and no change is made for them.
 */
import type { Person, RecordProblem, SourceRecord } from './model.ts';

export interface CorrelateInput {
  records: SourceRecord[];
  /** People already known. */
  people: Person[];
  /** Correlation attribute names, in order of trust. */
  keys: string[];
}

/** Records of one person: an existing one, or a new one when `person` is absent. */
export interface CorrelatedGroup {
  person?: Person;
  records: SourceRecord[];
  /** How the first record was tied: `link`, `key:employeeId`, or `new`. */
  via: string;
}

export interface CorrelateResult {
  matches: CorrelatedGroup[];
  /** Held records: each with the problem that explains why. */
  ambiguous: { record: SourceRecord; problem: RecordProblem }[];
  /**
   * Known people some of whose records are held: keep them as they are (a missing record must
   * not read as "gone" while it is held).
   */
  heldPeople: string[];
  problems: RecordProblem[];
}

/** Key values compare without case and surrounding space (`E123 ` is `e123`). */
export function normalizeKey(value: unknown): string[] {
  const list = Array.isArray(value) ? value : [value];
  const out: string[] = [];
  for (const item of list) {
    if (typeof item !== 'string' && typeof item !== 'number') continue;
    const text = String(item).trim().toLowerCase();
    if (text !== '') out.push(text);
  }
  return out;
}

/** Correlates one batch of records against the known people. Pure. */
export function correlate(input: CorrelateInput): CorrelateResult {
  const index = buildIndex(input.people, input.keys);
  const held = new Map<SourceRecord, RecordProblem>();
  findSharedKeys(input.records, input.keys, held);

  const byPerson = new Map<string, CorrelatedGroup>();
  const unmatched: SourceRecord[] = [];
  for (const record of input.records) {
    if (held.has(record)) continue;
    const found = match(record, input.keys, index, held);
    if (found === undefined) {
      if (!held.has(record)) unmatched.push(record);
      continue;
    }
    const group = byPerson.get(found.person.id) ?? {
      person: found.person,
      records: [],
      via: found.via,
    };
    group.records.push(record);
    byPerson.set(found.person.id, group);
  }

  const groups = [...byPerson.values(), ...groupNew(unmatched, input.keys)];
  const matches = groups.filter((g) => !holdDoubleSource(g, held));
  const ambiguous = [...held].map(([record, problem]) => ({ record, problem }));
  const heldPeople = new Set<string>();
  for (const { record } of ambiguous) {
    for (const person of candidates(record, input.keys, index)) heldPeople.add(person.id);
  }
  for (const group of groups) {
    if (group.person !== undefined && !matches.includes(group)) heldPeople.add(group.person.id);
  }
  const problems = ambiguous.map((a) => a.problem);
  return { matches, ambiguous, heldPeople: [...heldPeople], problems };
}

interface Index {
  links: Map<string, Person>;
  keys: Map<string, Map<string, Person[]>>;
}

function buildIndex(people: Person[], keys: string[]): Index {
  const index: Index = { links: new Map(), keys: new Map(keys.map((k) => [k, new Map()])) };
  for (const person of people) {
    for (const link of person.sourceLinks) {
      index.links.set(`${link.source}\u0000${link.externalId}`, person);
    }
    for (const key of keys) {
      const byValue = index.keys.get(key) as Map<string, Person[]>;
      for (const value of normalizeKey(person.attributes[key])) {
        const list = byValue.get(value);
        if (list === undefined) byValue.set(value, [person]);
        else if (!list.includes(person)) list.push(person);
      }
    }
  }
  return index;
}

function match(
  record: SourceRecord,
  keys: string[],
  index: Index,
  held: Map<SourceRecord, RecordProblem>,
): { person: Person; via: string } | undefined {
  const linked = index.links.get(`${record.source}\u0000${record.externalId}`);
  if (linked !== undefined) return { person: linked, via: 'link' };

  // Every key is consulted: a record whose employeeId names one person and whose mail names
  // another is more likely a data error than a match.
  let found: { person: Person; via: string } | undefined;
  for (const key of keys) {
    for (const value of normalizeKey(record.attributes[key])) {
      for (const person of index.keys.get(key)?.get(value) ?? []) {
        if (found === undefined) found = { person, via: `key:${key}` };
        else if (found.person.id !== person.id) {
          const other = `${found.via.slice(4)} matches person ${found.person.id}`;
          const message = `${key} ${value} matches person ${person.id}, but ${other}; held`;
          held.set(record, problem(record, key, message));
          return undefined;
        }
      }
    }
  }
  return found;
}

function candidates(record: SourceRecord, keys: string[], index: Index): Person[] {
  const out: Person[] = [];
  const linked = index.links.get(`${record.source}\u0000${record.externalId}`);
  if (linked !== undefined) out.push(linked);
  for (const key of keys) {
    for (const value of normalizeKey(record.attributes[key])) {
      for (const person of index.keys.get(key)?.get(value) ?? []) {
        if (!out.includes(person)) out.push(person);
      }
    }
  }
  return out;
}

/** Two records of one source with one key value: neither can be trusted to be the person. */
function findSharedKeys(
  records: SourceRecord[],
  keys: string[],
  held: Map<SourceRecord, RecordProblem>,
): void {
  for (const key of keys) {
    const seen = new Map<string, SourceRecord[]>();
    for (const record of records) {
      for (const value of normalizeKey(record.attributes[key])) {
        const id = `${record.source}\u0000${value}`;
        seen.set(id, [...(seen.get(id) ?? []), record]);
      }
    }
    for (const [id, list] of seen) {
      if (list.length < 2) continue;
      const value = id.slice(id.indexOf('\u0000') + 1);
      const ids = list.map((r) => r.externalId).join(', ');
      for (const record of list) {
        if (held.has(record)) continue;
        const what = `${list.length} records of ${record.source}`;
        const message = `${what} share ${key} ${value} (${ids}); held`;
        held.set(record, problem(record, key, message));
      }
    }
  }
}

/** Unmatched records sharing a key value (across sources) become one new person. */
function groupNew(records: SourceRecord[], keys: string[]): CorrelatedGroup[] {
  const groups: SourceRecord[][] = [];
  const owner = new Map<string, SourceRecord[]>();
  for (const record of records) {
    let group: SourceRecord[] | undefined;
    for (const key of keys) {
      for (const value of normalizeKey(record.attributes[key])) {
        const other = owner.get(`${key}\u0000${value}`);
        if (other === undefined || other === group) continue;
        group = group === undefined ? other : merge(group, other, owner);
      }
    }
    if (group === undefined) groups.push((group = []));
    group.push(record);
    for (const key of keys) {
      for (const value of normalizeKey(record.attributes[key])) {
        owner.set(`${key}\u0000${value}`, group);
      }
    }
  }
  return groups.filter((g) => g.length > 0).map((g) => ({ records: g, via: 'new' }));
}

function merge(into: SourceRecord[], from: SourceRecord[], owner: Map<string, SourceRecord[]>) {
  into.push(...from.splice(0));
  for (const [id, group] of owner) if (group === from) owner.set(id, into);
  return into;
}

/** A person with two records of one source (reached by different keys) is held whole. */
function holdDoubleSource(group: CorrelatedGroup, held: Map<SourceRecord, RecordProblem>): boolean {
  const sources = group.records.map((r) => r.source);
  const double = sources.find((s, i) => sources.indexOf(s) !== i);
  if (double === undefined) return false;
  const ids = group.records
    .filter((r) => r.source === double)
    .map((r) => r.externalId)
    .join(', ');
  const who = group.person === undefined ? 'one new person' : `person ${group.person.id}`;
  for (const record of group.records) {
    const message = `records ${ids} of ${double} all correlate to ${who}; held`;
    held.set(record, problem(record, undefined, message));
  }
  return true;
}

function problem(record: SourceRecord, field: string | undefined, message: string): RecordProblem {
  const out: RecordProblem = { source: record.source, record: record.externalId, message };
  if (field !== undefined) out.field = field;
  return out;
}
