/**
 * Finds the person an operator names on the command line: Callsign's own id, or a value of one
 * of the configuration's correlation keys (a worker id, a mail), or a mail or worker id the
 * person's attributes hold. Keys compare without case, as correlation does. Two people matching
 * is an error listing them, so a command never acts on a guess.
 */
import { normalizeKey } from '../core/correlate.ts';
import { CallsignError, ErrorCode } from '../core/errors.ts';
import type { Person } from '../core/model.ts';
import type { Store } from '../store/types.ts';

/** Attributes looked at after the correlation keys (they may not be correlation keys). */
const NAMING_ATTRIBUTES = ['workerId', 'employeeId', 'mail'];

export interface FoundPerson {
  person: Person;
  /** `id`, or the key or attribute whose value matched. */
  matchedBy: string;
}

export async function findPerson(
  store: Store,
  correlation: readonly string[],
  text: string,
): Promise<FoundPerson> {
  const byId = await store.getPerson(text);
  if (byId !== undefined) return { person: byId, matchedBy: 'id' };

  const [wanted] = normalizeKey(text);
  const matches = new Map<string, string>();
  if (wanted !== undefined) {
    for (const k of await store.listPersonKeys(correlation)) {
      if (normalizeKey(k.value)[0] === wanted && !matches.has(k.personId)) {
        matches.set(k.personId, k.key);
      }
    }
    if (matches.size === 0) {
      const extra = NAMING_ATTRIBUTES.filter((a) => !correlation.includes(a));
      for (const p of extra.length === 0 ? [] : await store.listPeople()) {
        const attr = extra.find((a) => normalizeKey(p.attributes[a])[0] === wanted);
        if (attr !== undefined) matches.set(p.id, attr);
      }
    }
  }
  if (matches.size === 1) {
    const [[id, matchedBy]] = [...matches];
    const person = await store.getPerson(id!);
    if (person !== undefined) return { person, matchedBy: matchedBy! };
  }
  if (matches.size > 1) {
    const listed = [...matches].map(([id, key]) => `${id} (${key})`).join(', ');
    throw new CallsignError(
      ErrorCode.Ambiguous,
      `'${text}' matches ${matches.size} people: ${listed}; give the person id`,
      { details: { person: text, matches: [...matches.keys()] } },
    );
  }
  const keys = [...new Set([...correlation, ...NAMING_ATTRIBUTES])].join(', ');
  throw new CallsignError(ErrorCode.NotFound, `No person has the id or a ${keys} '${text}'`, {
    details: { person: text },
  });
}
