/**
 * Classifies what happened to a person since the last applied plan: joiner, mover, leaver,
 * rehire, a start or end in the future, or nothing. Time comes in as `now`, never from the
 * system clock, so future-dated cases are tested without waiting.
 */
import type { Attributes, Lifecycle, Person, PersonStatus } from './model.ts';

export type ClassifyInput = (
  | { person: Pick<Person, 'status' | 'attributes'> }
  | { status: PersonStatus; attributes: Attributes }
) & {
  /** The person as last stored; absent for someone never seen. */
  previous?: Person;
  /** The person has linked resources or held numbers. */
  hasResources: boolean;
  now: Date;
  /** First working day; when absent, read from a `startDate` attribute if it is a date. */
  startDate?: Date;
  /** Last working day; when absent, read from an `endDate` attribute if it is a date. */
  endDate?: Date;
  /** The current fingerprint of rule-relevant attributes (CompiledRules.fingerprint). */
  fingerprint?: string;
};

/** Decides the lifecycle event for one person. */
export function classify(input: ClassifyInput): Lifecycle {
  const { status, attributes } = 'person' in input ? input.person : input;
  const { previous, hasResources, now } = input;
  const start = input.startDate ?? dateAttribute(attributes.startDate);
  const end = input.endDate ?? dateAttribute(attributes.endDate);
  const ended = end !== undefined && end.getTime() <= now.getTime();

  // Someone gone (disabled, deleted, or past their end date) loses what they have.
  if (status !== 'active' || ended) return hasResources ? 'leaver' : 'unchanged';

  // A hire that has not started yet gets nothing yet, even if the directory has them early.
  if (start !== undefined && start.getTime() > now.getTime() && !hasResources) {
    return 'future-start';
  }
  if (previous !== undefined && previous.status !== 'active') return 'rehire';
  if (previous === undefined || !hasResources) return 'joiner';

  const changed =
    input.fingerprint !== undefined &&
    previous.lastAppliedHash !== undefined &&
    previous.lastAppliedHash !== input.fingerprint;
  if (changed) return 'mover';
  return end !== undefined ? 'future-end' : 'unchanged';
}

/** A date from an attribute: ISO date or date-time, or LDAP GeneralizedTime (20250131…Z). */
function dateAttribute(value: unknown): Date | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const general = /^(\d{4})(\d{2})(\d{2})(\d{2})?(\d{2})?(\d{2})?(?:\.\d+)?Z$/.exec(value);
  const iso =
    general === null
      ? value
      : `${general[1]}-${general[2]}-${general[3]}T${general[4] ?? '00'}:${general[5] ?? '00'}:` +
        `${general[6] ?? '00'}Z`;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
